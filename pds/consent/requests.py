"""Access requests: a vendor asks, signed with its own key, and waits for the customer."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from rdflib import RDF, RDFS, URIRef

from pds import schemas
from pds.consent import (
    agreement_records,
    agreements,
    callbacks,
    jose,
    scopes,
    terms,
    vendor_identity,
)
from pds.consent.agreement_records import Negotiation
from pds.consent.agreements import AgreementAnswer
from pds.consent.audit import Action, Outcome
from pds.consent.context import PodContext
from pds.consent.errors import InvalidInput, RateLimited, RequestNotFound
from pds.consent.hourly import HOUR, check_cap
from pds.consent.inputs import check_lifetime, is_id, is_text, one_line
from pds.consent.scopes import Scope
from pds.store import AlreadyExists, NotFound, pods, replay
from pds.store import requests as rows

REQUEST_TYP = "pds-access-request+jwt"
MAX_REQUEST_BYTES = 16384
MAX_REQUEST_LIFETIME = 600  # a signed request must be used within 10 minutes of iat
MIN_DURATION, MAX_DURATION = 60, 366 * 86400
REQUESTS_PER_HOUR = 20  # from one vendor key
REQUESTS_PER_CLIENT_HOUR = 10  # from one network, whatever the keys: fresh keys cost nothing
MAX_PENDING = 50  # waiting for the customer at once, from everyone
FLOOD = 3  # pending requests from one network that the page shows as one line
DPV = "https://w3id.org/dpv#"


@dataclasses.dataclass(frozen=True)
class AccessRequest:
    id: str
    vendor_id: str
    vendor: dict[str, Any]  # self-declared name, homepage, contact; its domain's proof (§18)
    scopes: list[Scope]
    purpose: dict[str, str]  # iri, description
    duration_seconds: int
    terms: list[str]
    callback: str | None
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    grant_id: str | None
    client: str | None = None  # the network it came from (see client_network)
    agreement: AgreementAnswer | None = None  # the vendor's IEEE 7012 answer, if it gave one

    def negotiation(self) -> Negotiation:
        """What an agreement interaction about this request records."""
        asked = [s.to_json() for s in self.scopes]
        return Negotiation(self.id, self.vendor_id, self.vendor, self.purpose, asked)

    @classmethod
    def from_row(cls, row: rows.RequestRow) -> AccessRequest:
        return cls(
            id=row.id,
            vendor_id=row.vendor_id,
            vendor=row.vendor,
            scopes=scopes.scopes_from_json(row.scopes),
            purpose=row.purpose,
            duration_seconds=row.duration_seconds,
            terms=row.terms,
            callback=row.callback,
            status=row.status,
            created_at=row.created_at,
            decided_at=row.decided_at,
            grant_id=row.grant_id,
            client=row.client,
            agreement=AgreementAnswer.from_json(row.agreement),
        )


@cache
def purposes() -> dict[str, dict[str, str]]:
    """DPV purposes a vendor may cite: IRI -> label and plain-language comment."""
    graph = schemas.purposes_graph()
    out = {}
    for purpose in graph.subjects(RDF.type, URIRef(DPV + "Purpose")):
        out[str(purpose)] = {
            "label": str(graph.value(purpose, RDFS.label) or purpose),
            "comment": str(graph.value(purpose, RDFS.comment) or ""),
        }
    return out


class AccessRequests:
    def __init__(self, ctx: PodContext):
        self.ctx = ctx
        # The customer's standing rules (pds.consent.rules), set by the Pod: they may decide a
        # request as soon as it is submitted.
        self.standing_rules: Callable[[AccessRequest], AccessRequest] | None = None

    def submit(self, signed: str, client_address: str | None = None) -> AccessRequest:
        """Verify a vendor's signed request and queue it for the customer's decision.

        `client_address` is where it came from: requests from one network are capped.
        """
        if len(signed) > MAX_REQUEST_BYTES:
            raise InvalidInput(f"an access request is at most {MAX_REQUEST_BYTES} bytes")
        request = jose.verify_self_signed(signed, REQUEST_TYP, "the request")
        claims, vendor_jwk, vendor_id = request.claims, request.jwk, request.thumbprint
        self._check_claims(claims)
        now = self.ctx.clock()

        asked = scopes.parse_scopes(claims.get("scopes"), vendor_id)
        purpose = self._purpose(claims.get("purpose"))
        duration = claims.get("duration")
        if not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
            raise InvalidInput(
                f"duration is a number of seconds from {MIN_DURATION} to {MAX_DURATION}"
            )
        vendor = vendor_info(claims.get("vendor"))
        callback = self._callback(claims.get("callback"))
        request_id = secrets.token_urlsafe(16)
        signing_key = self.ctx.keys.active  # for agreement records; loaded before the transaction
        with self.ctx.store.begin() as conn:
            # Locked while the caps are counted, as for offers: none can slip past a cap.
            pod_settings = pods.lock(conn, self.ctx.id).settings
            pod_terms = terms.current_terms(pod_settings)
            answer = agreements.answer_in(claims, pod_settings, vendor)  # the one-round rule
            accepted = terms.check_accepted(pod_terms, claims.get("terms", []))
            client = client_network(client_address)
            self._check_flood(conn, vendor_id, client, now)
            try:
                # A signed request is used once: a copy replayed by an eavesdropper is refused.
                replay.remember(
                    conn,
                    self.ctx.id,
                    hashlib.sha256(f"request {vendor_id} {claims['jti']}".encode()).hexdigest(),
                    dt.datetime.fromtimestamp(claims["exp"] + 60, dt.UTC),
                )
            except AlreadyExists:
                raise InvalidInput("this signed request was already submitted") from None
            row = rows.RequestRow(
                id=request_id,
                vendor_id=vendor_id,
                vendor_jwk=vendor_jwk,
                vendor=vendor,
                scopes=[s.to_json() for s in asked],
                purpose=purpose,
                duration_seconds=duration,
                terms=accepted,
                callback=callback,
                status="pending",
                created_at=now,
                decided_at=None,
                grant_id=None,
                client=client,
                agreement=answer.to_json() if answer else None,
            )
            rows.add(conn, self.ctx.id, row)
            negotiation = AccessRequest.from_row(row).negotiation()
            agreement_records.record_submission(
                self.ctx, conn, signing_key, negotiation, answer, signed
            )
            self.ctx.record(
                conn,
                vendor_id,
                Action.REQUEST_SUBMIT,
                Outcome.PENDING,
                detail={"request": request_id, "vendor": vendor.get("name")},
            )
        submitted = self._prove_domain(AccessRequest.from_row(row))
        return self.standing_rules(submitted) if self.standing_rules else submitted

    def get(self, request_id: str) -> AccessRequest:
        if not is_id(request_id):
            raise RequestNotFound(f"there is no access request {request_id!r}")
        with self.ctx.store.read() as conn:
            try:
                return AccessRequest.from_row(rows.get(conn, self.ctx.id, request_id))
            except NotFound:
                raise RequestNotFound(f"there is no access request {request_id!r}") from None

    def for_vendor(self, request_id: str, vendor_id: str) -> AccessRequest:
        """The request if `vendor_id` made it; others learn nothing, not even that it exists."""
        request = None
        with contextlib.suppress(RequestNotFound):
            request = self.get(request_id)
        if request is None or not secrets.compare_digest(request.vendor_id, vendor_id):
            raise RequestNotFound("there is no access request here for your key")
        return request

    def of_vendor(self, vendor_id: str, limit: int = 50) -> list[AccessRequest]:
        """The latest requests for the vendor's key, newest first: those it made, and those the
        customer made for it (a share of records, an accepted offer)."""
        with self.ctx.store.read() as conn:
            found = rows.of_vendor(conn, self.ctx.id, vendor_id, limit)
        return [AccessRequest.from_row(r) for r in found]

    def list(self, status: str | None = None) -> list[AccessRequest]:
        with self.ctx.store.read() as conn:
            return [
                AccessRequest.from_row(r) for r in rows.list_requests(conn, self.ctx.id, status)
            ]

    def _check_flood(
        self, conn: sa.Connection, vendor_id: str, client: str | None, now: dt.datetime
    ) -> None:
        """429 when one key, one network or everyone together has asked too often (§13.7)."""
        since = now - HOUR
        count, oldest = rows.recent(conn, self.ctx.id, vendor_id, since)
        check_cap(count, oldest, REQUESTS_PER_HOUR, since, "requests an hour per vendor key")
        if client is not None:
            count, oldest = rows.recent_from_client(conn, self.ctx.id, client, since)
            check_cap(
                count, oldest, REQUESTS_PER_CLIENT_HOUR, since, "requests an hour from one network"
            )
        if rows.count_pending(conn, self.ctx.id) >= MAX_PENDING:
            raise RateLimited(
                f"the customer has {MAX_PENDING} requests waiting already: ask again later",
                retry_after=3600,
            )

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """aud, iat, exp and jti as §4.2 says, with 30 s of leeway for clocks."""
        for name in ("aud", "iat", "exp", "jti"):
            if name not in claims:
                raise InvalidInput(f"the request's claims are invalid: {name!r} is required")
        aud = claims["aud"]
        if aud != self.ctx.base_url and not (isinstance(aud, list) and self.ctx.base_url in aud):
            raise InvalidInput(f"the request's aud must be this pod, {self.ctx.base_url}")
        check_lifetime(claims, self.ctx.clock().timestamp(), MAX_REQUEST_LIFETIME, "request")
        if not is_text(claims["jti"]) or not claims["jti"]:
            raise InvalidInput("the request's jti must be a non-empty string")

    @staticmethod
    def _purpose(raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise InvalidInput("purpose is an object with a DPV 'iri' and a 'description'")
        iri, description = raw.get("iri"), raw.get("description")
        known = purposes()
        if not isinstance(iri, str) or iri not in known:
            raise InvalidInput(
                f"purpose {iri!r} is not one of the DPV purposes this pod knows: "
                "see purposes_supported in the pod's configuration"
            )
        if not isinstance(description, str) or not 0 < len(description.strip()) <= 1000:
            raise InvalidInput("the purpose needs a description of 1 to 1000 characters")
        return {"iri": iri, "description": description.strip()}

    def _prove_domain(self, request: AccessRequest) -> AccessRequest:
        """The request with its vendor's domain proof (§18) read and stored: after the caps let
        it in, outside any transaction (a slow site holds no lock), before any rule decides."""
        vendor = vendor_identity.prove_domain(
            request.vendor_id,
            request.vendor,
            allow_private=self.ctx.allow_private_callbacks,
            now=self.ctx.clock(),
        )
        if vendor == request.vendor:
            return request
        with self.ctx.store.begin() as conn:
            rows.set_vendor(conn, self.ctx.id, request.id, vendor)
        return dataclasses.replace(request, vendor=vendor)

    def _callback(self, raw: Any) -> str | None:
        return callbacks.check_callback(raw, allow_private=self.ctx.allow_private_callbacks)


def client_network(address: str | None) -> str | None:
    """The network a request came from: an IPv4 address, or the /64 of an IPv6 one (what one
    machine is usually given)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


@dataclasses.dataclass(frozen=True)
class Flood:
    """Pending requests from one network, shown to the customer as one line."""

    client: str
    requests: list[AccessRequest]

    @property
    def vendor_names(self) -> list[str]:
        return sorted({str(r.vendor.get("name", "?")) for r in self.requests})


def floods(pending: list[AccessRequest]) -> tuple[list[AccessRequest], list[Flood]]:
    """`pending` split into requests to show one by one and floods (FLOOD or more from one
    network), each in the order given."""
    by_client: dict[str, list[AccessRequest]] = {}
    for r in pending:
        if r.client is not None:
            by_client.setdefault(r.client, []).append(r)
    flooded = {c: rs for c, rs in by_client.items() if len(rs) >= FLOOD}
    single = [r for r in pending if r.client not in flooded]
    return single, [Flood(c, rs) for c, rs in flooded.items()]


def vendor_info(raw: Any) -> dict[str, Any]:
    """The vendor's self-declared name, homepage and contact, checked; marked unverified."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise InvalidInput("vendor is an object with at least a 'name'")
    out: dict[str, Any] = {}
    for name, limit in (("name", 200), ("homepage", 2048), ("contact", 320)):
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not 0 < len(value.strip()) <= limit:
            raise InvalidInput(f"vendor {name} must be text of 1 to {limit} characters")
        out[name] = one_line(value.strip(), f"vendor {name}")
    homepage = out.get("homepage")
    if homepage and _scheme(homepage) not in ("https", "http"):
        raise InvalidInput("vendor homepage must be an http(s) URL")
    if raw.get("agreements_accepted") is not None:  # the IEEE 7012 agreements it accepts
        out["agreements_accepted"] = agreements.accepted_list(raw["agreements_accepted"])
    out["verified"] = False  # self-declared: nothing proves the key belongs to that name
    return out


def _scheme(url: str) -> str | None:
    try:
        return urlsplit(url).scheme
    except ValueError:  # "http://[": not a URL at all
        return None
