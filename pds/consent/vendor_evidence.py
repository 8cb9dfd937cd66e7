"""Evidence about one vendor, for the customer to hand to a data-protection authority.

Everything the pod knows of one vendor (keyed by its key thumbprint, the vendor id): its access
requests and the decisions on them, its grants with their signed consent receipts, the signed
IEEE 7012 agreement records, and every audit event by it or about it. `VendorEvidence.gather`
collects it as `Evidence`; `VendorEvidence.archive` packs it with a readable report into a zip
the pod signs (see `pds.consent.evidence_archive`), so that whoever receives it can check it
against the pod's published keys without having to trust the customer who hands it over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from pds.consent import evidence_archive
from pds.consent.activity import MAX_EVENTS, Activity
from pds.consent.agreement_records import AgreementRecord, Agreements
from pds.consent.audit import OWNER, Action, AuditEvent, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import VendorNotFound
from pds.consent.grants import Grant, Grants
from pds.consent.inputs import is_id
from pds.consent.requests import AccessRequest, AccessRequests
from pds.consent.time_zone import TimeZoneSetting
from pds.consent.vendor_identity import domain_of

JWKS_PATH = "/.well-known/jwks.json"  # where the pod publishes its keys (protocol §2.3)
MAX_REQUESTS = 10_000
# Events read per scan (the vendor's own, the owner's): beyond it the oldest are left out, and
# the evidence says it is not complete.
MAX_SCANNED = 200_000


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What the pod knows of one vendor at `generated_at`; every list oldest first."""

    vendor_id: str
    vendor: dict[str, Any]  # as it last declared itself, with its domain's proof
    requests: list[AccessRequest]
    grants: list[Grant]
    records: list[AgreementRecord]
    events: list[AuditEvent]
    pod_url: str
    jwks: dict[str, Any]  # the pod's published keys when the evidence was gathered
    kid: str  # the key that signs the archive
    time_zone: str  # the customer's, for the report's dates
    generated_at: dt.datetime
    complete: bool  # False if the audit log held more events than one export reads

    @property
    def name(self) -> str:
        """The name the vendor gave itself (unverified: anyone can claim any name)."""
        return str(self.vendor.get("name") or self.vendor_id)

    @property
    def domain(self) -> str | None:
        return domain_of(self.vendor)

    @property
    def domain_verified(self) -> bool:
        """Whether the vendor's web site lists its key (protocol §18)."""
        return bool(self.vendor.get("verified")) and self.domain is not None

    @property
    def jwks_uri(self) -> str:
        return self.pod_url + JWKS_PATH

    def to_json(self) -> dict[str, Any]:
        """The whole evidence as plain JSON, signed JWS included as they were issued."""
        return {
            "type": "vendor-evidence",
            "generated_at": self.generated_at.isoformat(),
            "complete": self.complete,
            "pod": {
                "url": self.pod_url,
                "jwks_uri": self.jwks_uri,
                "jwks": self.jwks,
                "signing_kid": self.kid,
                "time_zone": self.time_zone,
            },
            "vendor": {
                "id": self.vendor_id,
                "name": self.vendor.get("name"),
                "homepage": self.vendor.get("homepage"),
                "contact": self.vendor.get("contact"),
                "domain": self.domain,
                "domain_verified": self.domain_verified,
                "domain_problem": self.vendor.get("domain_problem"),
            },
            "access_requests": [_request_json(r) for r in self.requests],
            "grants": [_grant_json(g) for g in self.grants],
            "agreement_records": [r.to_json() for r in self.records],
            "audit_events": [_event_json(e) for e in self.events],
        }


class VendorEvidence:
    """The evidence about one vendor, gathered, and packed as a signed archive."""

    def __init__(
        self,
        ctx: PodContext,
        requests: AccessRequests,
        grants: Grants,
        agreements: Agreements,
        activity: Activity,
    ):
        self.ctx = ctx
        self.requests = requests
        self.grants = grants
        self.agreements = agreements
        self.activity = activity
        self.time_zone = TimeZoneSetting(ctx)

    def gather(self, vendor_id: str) -> Evidence:
        """Everything about `vendor_id` now; VendorNotFound if the pod never heard of it.

        >>> evidence = pod.evidence.gather(vendor_id)
        >>> [g.state for g in evidence.grants]
        ['revoked', 'active']
        """
        if not is_id(vendor_id):
            raise VendorNotFound(f"there is no vendor {vendor_id[:64]!r}")
        kid = self.ctx.keys.active.kid  # read before anything else: it signs what is read
        requests = self.requests.of_vendor(vendor_id, MAX_REQUESTS)[::-1]
        grants = sorted(self.grants.list(vendor_id), key=lambda g: (g.issued_at, g.id))
        if not requests and not grants:
            raise VendorNotFound(f"there is no vendor {vendor_id!r}")
        records = [rec for r in requests for rec in self.agreements.records(r.id)]
        events, complete = self._events(vendor_id, grants, requests)
        declared = requests[-1].vendor if requests else grants[-1].vendor
        return Evidence(
            vendor_id=vendor_id,
            vendor=dict(declared),
            requests=requests,
            grants=grants,
            records=records,
            events=events,
            pod_url=self.ctx.base_url,
            jwks=self.ctx.keys.jwks(),
            kid=kid,
            time_zone=self.time_zone.current().key,
            generated_at=self.ctx.clock(),
            complete=complete,
        )

    def archive(self, evidence: Evidence, report_html: str) -> bytes:
        """The zip of `evidence`, its readable report and the pod's signature over both; the
        export is audited. `report_html` is the report as the server renders it."""
        readme = evidence_archive.readme(
            name=evidence.name,
            vendor_id=evidence.vendor_id,
            pod_url=evidence.pod_url,
            jwks_uri=evidence.jwks_uri,
            kid=evidence.kid,
            at=evidence.generated_at,
        )
        files = evidence_archive.contents(readme, evidence.to_json(), report_html)
        key = self.ctx.keys.verification_key(evidence.kid)
        assert key is not None  # keys are never deleted: retired ones stay published
        manifest = evidence_archive.manifest(
            evidence.pod_url, evidence.vendor_id, evidence.generated_at, files
        )
        signed = self.ctx.keys.sign(manifest, evidence_archive.EVIDENCE_TYP, key)
        with self.ctx.store.begin() as conn:
            self.ctx.record(
                conn,
                OWNER,
                Action.EVIDENCE_EXPORT,
                Outcome.OK,
                detail={"vendor": evidence.vendor_id, "files": manifest["files"]},
            )
        return evidence_archive.pack(files, signed, evidence.generated_at)

    def _events(
        self, vendor_id: str, grants: list[Grant], requests: list[AccessRequest]
    ) -> tuple[list[AuditEvent], bool]:
        """The vendor's own events, and the owner's that name it, one of its grants or one of
        its requests; oldest first. The log can only be filtered by actor (and grant), so the
        owner's events are read and picked here."""
        own, own_complete = self._scan(vendor_id)
        owners, owners_complete = self._scan(OWNER)
        grant_ids = {g.id for g in grants}
        request_ids = {r.id for r in requests}
        about = [
            e
            for e in owners
            if e.detail.get("vendor") == vendor_id
            or e.detail.get("grant") in grant_ids
            or e.detail.get("request") in request_ids
        ]
        unique = {e.id: e for e in [*own, *about]}
        return [unique[i] for i in sorted(unique)], own_complete and owners_complete

    def _scan(self, actor: str) -> tuple[list[AuditEvent], bool]:
        """Every event of `actor` (newest first), page by page; and whether that was all."""
        found: list[AuditEvent] = []
        before: int | None = None
        while len(found) < MAX_SCANNED:
            page = self.activity.events(actor=actor, before_id=before, limit=MAX_EVENTS)
            found += page
            if len(page) < MAX_EVENTS:
                return found, True
            before = page[-1].id
        return found, False


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _request_json(r: AccessRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status,
        "created_at": _iso(r.created_at),
        "decided_at": _iso(r.decided_at),
        "grant": r.grant_id,
        "vendor": r.vendor,  # as declared in this request
        "scopes": [s.to_json() for s in r.scopes],
        "purpose": r.purpose,
        "duration_seconds": r.duration_seconds,
        "terms": r.terms,
        "agreement_answer": r.agreement.to_json() if r.agreement else None,
    }


def _grant_json(g: Grant) -> dict[str, Any]:
    return {
        "id": g.id,
        "request": g.request_id,
        "state": g.state,
        "scopes": [s.to_json() for s in g.scopes],
        "purpose": g.purpose,
        "terms": g.terms,
        "agreement": g.agreement,
        "issued_at": _iso(g.issued_at),
        "expires_at": _iso(g.expires_at),
        "revoked_at": _iso(g.revoked_at),
        "revoked_by": g.revoked_by,
        "consent_receipt": {"claims": g.receipt_claims(), "jws": g.receipt},
        "deletion_requested_at": _iso(g.deletion_requested_at),
        "deletion_acknowledged_at": _iso(g.deletion_acknowledged_at),
        "deletion_ack": g.deletion_ack,  # the vendor's signed acknowledgement (JWS)
        "deletion_receipt": g.deletion_receipt,  # the pod's signed receipt for it (JWS)
    }


def _event_json(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _iso(e.at),
        "actor": e.actor,
        "action": e.action.value,
        "outcome": e.outcome.value,
        "resource": e.resource,
        "grant": e.grant_id,
        "detail": e.detail,
    }
