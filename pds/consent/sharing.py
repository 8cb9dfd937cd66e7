"""Sharing: the customer lets one vendor read what another vendor saved in the pod, in one step.

"Let my insurer read the dealer's service history": the customer picks records (or a vendor's
whole container), a vendor the pod already knows, a purpose and a time. The pod makes an access
request on the customer's behalf and approves it at once (`Decisions.approve`, as accepting an
offer does), so a share is an ordinary grant: read only, bound to the vendor's key, with a
purpose, an expiry, a signed receipt and an audit event, and revoked like any other. The vendor
is told by a signed `Share` notification to its latest callback, if it has one, and fetches the
grant at the request's status URL with a proof of its key (protocol §5).

Nothing changes for the records themselves: a vendor only ever reads another vendor's records,
and appends only to its own container.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import PodContext
from pds.consent.decisions import MIN_GRANT_SECONDS, Decisions
from pds.consent.errors import InvalidInput
from pds.consent.grants import Grant
from pds.consent.requests import MAX_DURATION, purposes
from pds.consent.scopes import MAX_SCOPES, READ, Scope, check_scope, container_vendor
from pds.consent.terms import current_terms
from pds.resources.paths import is_container
from pds.store import pods
from pds.store import requests as request_rows
from pds.store import resources as resource_rows

MAX_DESCRIPTION = 1000  # as a vendor's own purpose description (protocol §4.2)


@dataclasses.dataclass(frozen=True)
class KnownVendor:
    """A vendor that asked this pod for access at least once: one the customer can share with."""

    vendor_id: str
    name: str  # the name it declared in its latest request: unverified
    callback: str | None  # the latest callback it gave, where it hears about its grants


@dataclasses.dataclass(frozen=True)
class Shared:
    """A share made: the grant, where the vendor fetches it, and whether it was told."""

    grant: Grant
    status_url: str  # the access request's status URL: the vendor reads the grant there
    notified: bool  # a Share notification was queued for the vendor's callback


class Sharing:
    def __init__(self, ctx: PodContext, decisions: Decisions):
        self.ctx = ctx
        self.decisions = decisions

    def known_vendors(self) -> list[KnownVendor]:
        """Every vendor the customer gave access to at least once, by name."""
        with self.ctx.store.read() as conn:
            rows = _approved(conn, self.ctx.id)  # newest first
        return sorted(
            (_known(vendor_rows) for vendor_rows in _by_vendor(rows).values()),
            key=lambda v: (v.name.lower(), v.vendor_id),
        )

    def share(
        self,
        vendor_id: str,
        resources: Sequence[str],
        purpose_iri: str,
        duration_seconds: int,
    ) -> Shared:
        """Let `vendor_id` read `resources` for `duration_seconds`, for the DPV purpose
        `purpose_iri`: each resource a record another vendor saved (`/vendors/<id>/<name>`) or
        such a vendor's whole container (`/vendors/<id>/`).

        Refused with InvalidInput, and nothing made: an unknown vendor, a resource that is not
        a record or container under /vendors/ (or holds nothing), the vendor's own records, an
        unknown purpose, a duration out of range.

        >>> shared = pod.sharing.share(                                    # doctest: +SKIP
        ...     insurer_id, [f"/vendors/{dealer_id}/service-2026"],
        ...     "https://w3id.org/dpv#ServiceProvision", 30 * 86400)
        >>> shared.grant.scopes                                            # doctest: +SKIP
        [Scope(resource='/vendors/.../service-2026', modes=frozenset({'read'}), fields=None)]
        """
        if (
            not isinstance(duration_seconds, int)
            or isinstance(duration_seconds, bool)
            or not MIN_GRANT_SECONDS <= duration_seconds <= MAX_DURATION
        ):
            raise InvalidInput(
                f"a share lasts a whole number of seconds from {MIN_GRANT_SECONDS} "
                f"to {MAX_DURATION} (366 days)"
            )
        if not isinstance(purpose_iri, str) or purpose_iri not in purposes():
            raise InvalidInput("choose the purpose of the share from the purposes your pod lists")
        paths = _checked_paths(resources)
        with self.ctx.store.read() as conn:
            by_vendor = _by_vendor(_approved(conn, self.ctx.id))
            missing = [p for p in paths if not _holds_something(conn, self.ctx.id, p)]
            # The grant binds the vendor to the customer's terms as they are now.
            settings = pods.get(conn, self.ctx.id).settings
            required = [t["id"] for t in current_terms(settings) if t.get("required")]
        if vendor_id not in by_vendor:
            raise InvalidInput(
                "you have not given this vendor access before: records can be shared only "
                "with a vendor you already know"
            )
        recipient = _known(by_vendor[vendor_id])
        for path in paths:
            if container_vendor(path) == vendor_id:
                raise InvalidInput(
                    f"{path} holds {recipient.name}'s own records: share another vendor's "
                    "records with it"
                )
        if missing:
            raise InvalidInput(f"there is no record in your pod at {', '.join(missing)}")

        latest = by_vendor[vendor_id][0]
        names = {v: _known(rows).name for v, rows in by_vendor.items()}
        request_id = secrets.token_urlsafe(16)
        with self.ctx.store.begin() as conn:
            request_rows.add(
                conn,
                self.ctx.id,
                request_rows.RequestRow(
                    id=request_id,
                    vendor_id=vendor_id,
                    vendor_jwk=latest.vendor_jwk,
                    vendor=latest.vendor,
                    scopes=[Scope(p, frozenset({READ})).to_json() for p in paths],
                    purpose={"iri": purpose_iri, "description": _description(paths, names)},
                    duration_seconds=duration_seconds,
                    terms=sorted(set(latest.terms) | set(required)),
                    callback=recipient.callback,
                    status="pending",
                    created_at=self.ctx.clock(),
                    decided_at=None,
                    grant_id=None,
                ),
            )
        # Approved at once: the customer's choice on the page is the decision. A request the
        # pod made itself and could not approve is forgotten: the vendor never asked for it.
        try:
            grant = self.decisions.approve(request_id, duration_seconds=duration_seconds)
        except Exception:
            with self.ctx.store.begin() as conn:
                request_rows.remove(conn, self.ctx.id, request_id)
            raise
        status_url = f"{self.ctx.base_url}/access-requests/{request_id}"
        with self.ctx.store.begin() as conn:
            self.ctx.record(
                conn,
                OWNER,
                Action.RECORDS_SHARE,
                Outcome.OK,
                resource=paths[0],
                detail={"vendor": vendor_id, "grant": grant.id, "resources": paths},
            )
            if grant.callback is not None:
                payload = {"type": "Share", "grant": grant.id, "object": status_url}
                self.ctx.outbox.queue(conn, grant, payload)
        if grant.callback is None:
            return Shared(grant, status_url, notified=False)
        self.ctx.outbox.kick()
        return Shared(grant, status_url, notified=True)


def _checked_paths(resources: Sequence[str]) -> list[str]:
    """The resources as paths a share may name, each once; else InvalidInput in words."""
    if (
        isinstance(resources, str)
        or not isinstance(resources, Sequence)
        or not resources
        or not all(isinstance(r, str) for r in resources)
    ):
        raise InvalidInput("choose at least one record to share")
    if len(resources) > MAX_SCOPES:
        raise InvalidInput(f"at most {MAX_SCOPES} records or folders can be shared at once")
    if len(set(resources)) != len(resources):
        raise InvalidInput("each record may be named only once")
    for resource in resources:
        if container_vendor(resource) is None:
            raise InvalidInput(
                f"{resource!r} is not a record a vendor saved in your pod: only records under "
                "/vendors/<vendor id>/, or a vendor's whole folder, can be shared this way"
            )
        check_scope(Scope(resource, frozenset({READ})), within_containers=True)
    return list(resources)


def _holds_something(conn: sa.Connection, pod_id: str, path: str) -> bool:
    """A record is there, or a container holds at least one (an empty one does not exist)."""
    if is_container(path):
        return bool(resource_rows.paths_under(conn, pod_id, path))
    return resource_rows.get_etag(conn, pod_id, path) is not None


def _approved(conn: sa.Connection, pod_id: str) -> list[request_rows.RequestRow]:
    """The requests the customer approved, newest first: of vendors it gave access to (a key
    that only asked is anyone's, and may have taken any name)."""
    return request_rows.list_requests(conn, pod_id, "approved")


def _by_vendor(rows: list[request_rows.RequestRow]) -> dict[str, list[request_rows.RequestRow]]:
    """Request rows (newest first) grouped by vendor, each group newest first."""
    grouped: dict[str, list[request_rows.RequestRow]] = {}
    for row in rows:
        grouped.setdefault(row.vendor_id, []).append(row)
    return grouped


def _known(rows: list[request_rows.RequestRow]) -> KnownVendor:
    """A vendor as its requests (newest first) describe it: its latest name and callback."""
    latest = rows[0]
    callback = next((r.callback for r in rows if r.callback), None)
    return KnownVendor(latest.vendor_id, str(latest.vendor.get("name", latest.vendor_id)), callback)


def _description(paths: list[str], names: dict[str, str]) -> str:
    """The purpose description the receipt and the grant show: what the customer shared."""
    writers = sorted({names.get(container_vendor(p) or "", "another vendor") for p in paths})
    if len(paths) > 1:
        what = f"{len(paths)} records or folders that {', '.join(writers)} saved in your pod"
    else:
        path, writer = paths[0], container_vendor(paths[0]) or ""
        inside = path[len(f"/vendors/{writer}/") :]
        if not inside:
            what = f"the records {writers[0]} saved in your pod"
        else:
            kind = "folder" if is_container(path) else "record"
            what = f"the {kind} {inside} that {writers[0]} saved in your pod"
    return f"to read {what}, which you shared with it"[:MAX_DESCRIPTION]
