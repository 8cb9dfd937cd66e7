"""Who a vendor is, as the pages show it: its proven (or only claimed) domain and warnings.

Templates call `vendor_identity(req)` with a request or a grant (anything with `vendor_id` and
`vendor`); the domains it is compared with (the customer's vendors, the brands) are gathered
once per page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask import g

from pds.consent.domain_names import DomainWarning, KnownDomain, shown_domain, warnings
from pds.consent.vendor_identity import domain_of, known_domains
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.session import is_signed_in


@dataclasses.dataclass(frozen=True)
class VendorIdentity:
    domain: str | None  # as people read it
    ascii: str | None  # as it travels (differs for letters beyond a-z)
    verified: bool
    problem: str | None  # why it is not verified
    warnings: list[DomainWarning]

    @property
    def serious(self) -> list[DomainWarning]:
        return [w for w in self.warnings if w.serious]

    @property
    def notes(self) -> list[DomainWarning]:
        return [w for w in self.warnings if not w.serious]


def identity_of(holder: Any) -> VendorIdentity:
    """The identity of the vendor of a request or grant (as an object or its JSON)."""
    vendor_id = _get(holder, "vendor_id")
    vendor: Mapping[str, Any] = _get(holder, "vendor") or {}
    domain = domain_of(vendor)
    verified = bool(vendor.get("verified")) and domain is not None
    if domain is None:
        return VendorIdentity(None, None, False, None, [])
    return VendorIdentity(
        domain=shown_domain(domain),
        ascii=domain,
        verified=verified,
        problem=None if verified else vendor.get("domain_problem"),
        warnings=warnings(domain, vendor_id, verified, _known()),
    )


def _known() -> list[KnownDomain]:
    """The domains a vendor's is compared with; gathered once a page."""
    if "known_domains" not in g:
        g.known_domains = known_domains(current_pod().grants.list() if is_signed_in() else [])
    known: list[KnownDomain] = g.known_domains
    return known


def _get(holder: Any, name: str) -> Any:
    return holder.get(name) if isinstance(holder, Mapping) else getattr(holder, name, None)


@bp.app_context_processor
def _vendor_identity() -> dict[str, Any]:
    return {"vendor_identity": identity_of}
