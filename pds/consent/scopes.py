"""What a vendor may ask for, and the scopes of requests and grants.

A scope names one resource (`/profile`) or container (`/vendors/<id>/`), the modes (`read`,
`append`) and optionally the fields (predicate IRIs) wanted. The catalogue of what can be asked
for comes from the SHACL shapes, so the consent page and the vendor see the same fields.

The customer may also give a vendor a read scope on one record, or one folder, of another
vendor's container (sharing, see `pds.consent.sharing`); vendors themselves ask for whole
containers only.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import SH

from pds import schemas
from pds.consent.errors import InvalidInput
from pds.resources import InvalidPath
from pds.resources.paths import check_path

READ, APPEND = "read", "append"
MODES = (READ, APPEND)
TYPED_RESOURCES = ("/profile", "/preferences")
_VENDOR_CONTAINER = re.compile(r"/vendors/([A-Za-z0-9_-]{43})/")
_IN_VENDOR_CONTAINER = re.compile(r"/vendors/([A-Za-z0-9_-]{43})/.+")
MAX_SCOPES = 16


@dataclasses.dataclass(frozen=True)
class Scope:
    resource: str
    modes: frozenset[str]
    fields: frozenset[str] | None = None  # None: every field of the resource

    def covers(self, path: str) -> bool:
        if self.resource.endswith("/"):
            return path.startswith(self.resource)
        return path == self.resource

    def within(self, asked: Scope) -> bool:
        """Whether this scope asks for no more than `asked` does."""
        if self.resource != asked.resource or not self.modes <= asked.modes:
            return False
        if asked.fields is None:
            return True
        return self.fields is not None and self.fields <= asked.fields

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": self.resource, "modes": sorted(self.modes)}
        if self.fields is not None:
            out["fields"] = sorted(self.fields)
        return out


def fields_of(resource: str) -> list[dict[str, str]]:
    """The fields of a typed resource: predicate IRI, human name and help text, in form order."""
    return [dict(f) for f in _fields_of(resource)]


@cache
def _fields_of(resource: str) -> tuple[dict[str, str], ...]:
    shape = schemas.shape_for_path(resource)
    if shape is None:
        return ()
    shapes = schemas.shapes_graph()
    ordered: list[tuple[float, dict[str, str]]] = []
    for prop in shapes.objects(shape, SH.property):
        path = shapes.value(prop, SH.path)
        if isinstance(path, URIRef):
            order = shapes.value(prop, SH.order)
            field = {
                "iri": str(path),
                "name": str(shapes.value(prop, SH.name) or path),
                "description": str(shapes.value(prop, SH.description) or ""),
            }
            ordered.append((float(order) if isinstance(order, Literal) else 1e9, field))
    ordered.sort(key=lambda pair: pair[0])
    return tuple(field for _order, field in ordered)


def parse_scopes(raw: Any, vendor_id: str | None = None) -> list[Scope]:
    """Scopes from JSON (a request, an owner's decision); unknown resources or fields refused.

    Without `vendor_id` (a decision, checked against its request) any vendor container passes.
    """
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("scopes must be a non-empty list")
    if len(raw) > MAX_SCOPES:
        raise InvalidInput(f"at most {MAX_SCOPES} scopes may be asked for at once")
    scopes = [check_scope(_from_json(item), vendor_id) for item in raw]
    if len({s.resource for s in scopes}) != len(scopes):
        raise InvalidInput("each resource may appear in only one scope")
    return scopes


def _from_json(item: Any) -> Scope:
    if not isinstance(item, dict) or not isinstance(item.get("resource"), str):
        raise InvalidInput("each scope is an object with a 'resource' path")
    resource = item["resource"]
    modes = item.get("modes", [READ])
    if not isinstance(modes, list) or not modes or not all(isinstance(m, str) for m in modes):
        raise InvalidInput(f"modes of {resource} must be a non-empty list of 'read', 'append'")
    fields = item.get("fields")
    if fields is not None and (
        not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields)
    ):
        raise InvalidInput(f"fields of {resource} must be a non-empty list of IRIs")
    return Scope(resource, frozenset(modes), frozenset(fields) if fields is not None else None)


def check_scope(
    scope: Scope, vendor_id: str | None = None, *, within_containers: bool = False
) -> Scope:
    """`scope` if a vendor may be given it: known resource and fields, append only at home.

    With `within_containers` (the customer sharing records), a scope may also name a record or
    a folder inside a vendor's container, to be read only.
    """
    resource, modes, fields = scope.resource, scope.modes, scope.fields
    if not modes or not modes <= set(MODES):
        raise InvalidInput(f"modes of {resource} must be a non-empty list of 'read', 'append'")
    if resource in TYPED_RESOURCES:
        if APPEND in modes:
            raise InvalidInput(f"{resource} can only be read by vendors")
        known = {f["iri"] for f in fields_of(resource)}
    else:
        match = _VENDOR_CONTAINER.fullmatch(resource)
        if match is None and within_containers and container_vendor(resource) is not None:
            if APPEND in modes:
                raise InvalidInput(
                    f"{resource} can only be read: a vendor may append only to its own container"
                )
        elif match is None:
            raise InvalidInput(
                f"unknown resource {resource!r}: vendors may ask for "
                + ", ".join(TYPED_RESOURCES)
                + " or /vendors/<vendor id>/"
            )
        elif APPEND in modes and vendor_id is not None and match.group(1) != vendor_id:
            raise InvalidInput(
                f"a vendor may append only to its own container /vendors/{vendor_id}/"
            )
        if fields is not None:
            raise InvalidInput(f"fields can be chosen only for {', '.join(TYPED_RESOURCES)}")
        known = set()
    if fields is not None:
        if not fields:
            raise InvalidInput(f"fields of {resource} must be a non-empty list of IRIs")
        unknown = sorted(fields - known)
        if unknown:
            raise InvalidInput(f"unknown field(s) of {resource}: {', '.join(unknown)}")
    return scope


def container_vendor(resource: str) -> str | None:
    """The vendor whose container `resource` is, or is in (a record, a folder); else None.

    >>> container_vendor("/vendors/" + "V" * 43 + "/service-2026")
    'VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV'
    >>> container_vendor("/profile") is None
    True
    """
    match = _VENDOR_CONTAINER.fullmatch(resource) or _IN_VENDOR_CONTAINER.fullmatch(resource)
    if match is None:
        return None
    try:
        check_path(resource)
    except InvalidPath:
        return None
    return match.group(1)


def scopes_from_json(raw: list[dict[str, Any]]) -> list[Scope]:
    """Scopes as stored by the pod itself (already validated)."""
    return [
        Scope(
            s["resource"],
            frozenset(s["modes"]),
            frozenset(s["fields"]) if s.get("fields") is not None else None,
        )
        for s in raw
    ]
