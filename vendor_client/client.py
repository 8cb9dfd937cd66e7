"""The high-level client: discover a pod, ask for access, wait, read and append."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any
from urllib.parse import urljoin

import jwt
import requests
from rdflib import Graph, URIRef

from vendor_client import deletion
from vendor_client.agreements import (
    RECORD_TYP,
    AgreementAnswer,
    AgreementRecord,
    check_records,
)
from vendor_client.configuration import PodConfiguration
from vendor_client.deletion import DeletionReceipt
from vendor_client.dpop import DPoPAuth
from vendor_client.errors import ProtocolError, VendorClientError
from vendor_client.grants import Grant, PendingRequest
from vendor_client.keys import VendorKey
from vendor_client.notifications import Notification
from vendor_client.threads import Thread, sign_message
from vendor_client.transport import call

REQUEST_TYP = "pds-access-request+jwt"
GRANT_TYP = "pds-grant+jwt"
NOTIFICATION_TYP = "pds-notification+jwt"
RECEIPT_TYP = "pds-receipt+jwt"
DEFAULT_TIMEOUT = 10.0
# The protocol this client speaks (docs/protocol.md §1.4); a pod of another version is refused.
PROTOCOL_VERSION = "2026-11"


class PodClient:
    """A vendor's view of one customer's pod.

    >>> key = VendorKey.generate()
    >>> pod = PodClient("https://alex.pods.example", key)              # doctest: +SKIP
    >>> pending = pod.request_access(
    ...     [{"resource": "/profile", "modes": ["read"],
    ...       "fields": ["https://schema.org/email"]}],
    ...     purpose="https://w3id.org/dpv#ServiceProvision",
    ...     description="to send your order confirmations",
    ...     duration=dt.timedelta(days=30),
    ...     vendor={"name": "Example Shop"})                             # doctest: +SKIP
    >>> grant = pending.wait()                                           # doctest: +SKIP
    >>> graph = pod.read("/profile", grant)                              # doctest: +SKIP
    """

    def __init__(
        self,
        pod_url: str,
        key: VendorKey,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.pod_url = pod_url.rstrip("/")
        self.key = key
        self.session = session or requests.Session()
        self.timeout = timeout
        self._configuration: PodConfiguration | None = None
        self._jwks: dict[str, Any] | None = None

    @property
    def vendor_id(self) -> str:
        return self.key.thumbprint

    # -- discovery -----------------------------------------------------------------------------

    def discover(self, *, refresh: bool = False) -> PodConfiguration:
        """The pod's discovery document (§2), fetched once: refused with ProtocolError unless
        its `issuer` is the URL we were given and its `protocol_version` the one we speak."""
        if self._configuration is None or refresh:
            raw = self._call("GET", self.pod_url + "/.well-known/pds-configuration").json()
            if raw.get("issuer") != self.pod_url:
                raise ProtocolError(
                    f"the pod calls itself {raw.get('issuer')!r}, not {self.pod_url!r}"
                )
            if raw.get("protocol_version") != PROTOCOL_VERSION:
                raise ProtocolError(
                    f"the pod speaks protocol version {raw.get('protocol_version')!r}; this "
                    f"client speaks {PROTOCOL_VERSION!r} only: use a vendor_client release for "
                    "the pod's version"
                )
            self._configuration = PodConfiguration(raw["issuer"], raw)
        return self._configuration

    # -- asking --------------------------------------------------------------------------------

    def request_access(
        self,
        scopes: list[dict[str, Any]],
        *,
        purpose: str,
        description: str,
        duration: dt.timedelta,
        vendor: dict[str, str],
        accept_terms: list[str] | None = None,
        callback: str | None = None,
        agreement: AgreementAnswer | None = None,
    ) -> PendingRequest:
        """Ask the customer for access; returns a PendingRequest to `wait()` on.

        `scopes`: [{"resource": "/profile", "modes": ["read"], "fields": [IRI, ...]}, ...].
        `purpose`: a W3C DPV purpose IRI the pod lists; `description` says it in plain words.
        `accept_terms`: the customer's term ids you accept; None accepts the required ones,
        which you must then honour (read them in `discover().terms`).
        `agreement`: your answer to the IEEE 7012 agreement the customer proffers
        (`discover().agreement`): `Accept(id)`, one `Alternative(id)`, or `Reject()`.
        """
        config = self.discover()
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": config.issuer,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
            "vendor": vendor,
            "scopes": scopes,
            "purpose": {"iri": purpose, "description": description},
            "duration": int(duration.total_seconds()),
            "terms": config.required_terms if accept_terms is None else accept_terms,
        }
        if callback is not None:
            claims["callback"] = callback
        if agreement is not None:
            claims["agreement"] = agreement.claim()
        signed = self.key.sign(claims, REQUEST_TYP)
        response = self._call(
            "POST",
            config.raw["access_request_endpoint"],
            data=signed,
            headers={"Content-Type": "application/jwt"},
        )
        body = response.json()
        return PendingRequest(self, body["id"], body["status_url"], signed=signed, answer=agreement)

    def _agreement_records(
        self, state: dict[str, Any], pending: PendingRequest | None, agreed: str | None
    ) -> list[AgreementRecord]:
        tokens = (state.get("agreement") or {}).get("records", [])
        verified = [(token, self.verify_pod_token(token, RECORD_TYP)) for token in tokens]
        return check_records(
            verified,
            pod_url=self.pod_url,
            vendor_id=self.vendor_id,
            request_id=state["id"],
            signed_answer=pending.signed if pending else None,
            answer=pending.answer if pending else None,
            agreed=agreed,
        )

    def _grant_from(self, state: dict[str, Any], pending: PendingRequest | None = None) -> Grant:
        token = state["grant"]
        claims = self.verify_pod_token(token, GRANT_TYP)
        if claims.get("cnf", {}).get("jkt") != self.vendor_id:
            raise ProtocolError("the grant is bound to another key than ours")
        agreement = claims.get("agreement")
        agreed = agreement.get("id") if isinstance(agreement, dict) else None
        return Grant(
            id=claims["jti"],
            token=token,
            scopes=claims["scopes"],
            expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
            receipt=state["receipt"],
            agreement=agreement if isinstance(agreement, dict) else None,
            agreement_records=tuple(self._agreement_records(state, pending, agreed)),
        )

    # -- using a grant -------------------------------------------------------------------------

    def read(self, path: str, grant: Grant) -> Graph:
        """The resource at `path` (e.g. "/profile") as an rdflib Graph: only what was granted."""
        url = self.resource_url(path)
        response = self._call(
            "GET", url, auth=DPoPAuth(self.key, grant.token), headers={"Accept": "text/turtle"}
        )
        return Graph().parse(data=response.text, format="turtle", publicID=url)

    def read_jsonld(self, path: str, grant: Grant) -> dict[str, Any]:
        """The resource as compacted JSON-LD (its context inline)."""
        response = self._call(
            "GET",
            self.resource_url(path),
            auth=DPoPAuth(self.key, grant.token),
            headers={"Accept": "application/ld+json"},
        )
        document: dict[str, Any] = response.json()
        return document

    def append(
        self, container: str, data: Graph | str, grant: Grant, *, slug: str | None = None
    ) -> str:
        """Add a record (Turtle text or a Graph) to a container; returns its URL."""
        body = data.serialize(format="turtle") if isinstance(data, Graph) else data
        headers = {"Content-Type": "text/turtle"}
        if slug:
            headers["Slug"] = slug
        response = self._call(
            "POST",
            self.resource_url(container),
            data=body.encode(),
            headers=headers,
            auth=DPoPAuth(self.key, grant.token),
        )
        return urljoin(self.pod_url, response.headers["Location"])

    def write_record(
        self, record: Graph | str, grant: Grant, *, slug: str | None = None, folder: str = ""
    ) -> str:
        """Keep a record (a receipt, a warranty, a service visit: Turtle or a Graph) in your
        own container of the pod, or a folder below it; returns its URL (§7.6, §16)."""
        container = self.own_container + (f"{folder.strip('/')}/" if folder.strip("/") else "")
        return self.append(container, record, grant, slug=slug)

    def list_records(self, grant: Grant, container: str | None = None) -> list[str]:
        """The URLs of the documents in a container you may read (by default your own)."""
        path = container or self.own_container
        listing = self.read(path if path.endswith("/") else path + "/", grant)
        contains = URIRef("http://www.w3.org/ns/ldp#contains")
        return sorted(str(o) for o in listing.objects(None, contains))

    @property
    def own_container(self) -> str:
        """Where you may keep records with an append grant: /vendors/<your vendor id>/."""
        return f"/vendors/{self.vendor_id}/"

    def shared_grant(
        self, access_request_url: str, *, grant_id: str | None = None, timeout: float = 60.0
    ) -> Grant:
        """The grant the customer gave you on their own initiative, e.g. to read another
        vendor's records: a `Share` notification names its access request (`object`) and
        the grant (`grant_id`, checked); without a callback, look in `approved_requests()`.
        Its receipt's signature is checked too."""
        request_id = access_request_url.rstrip("/").rpartition("/")[2]
        grant = PendingRequest(self, request_id, access_request_url).wait(timeout=timeout)
        if grant_id is not None and grant.id != grant_id:
            raise ProtocolError(f"the access request holds grant {grant.id}, not {grant_id}")
        self.verify_receipt(grant)
        return grant

    def approved_requests(self) -> list[str]:
        """The status URLs of your approved access requests at this pod, newest first: those
        you made, and those the customer made for you (shares, accepted offers). Fetch a new
        one's grant with `shared_grant`."""
        listing = self._call(
            "GET", self.discover().raw["access_request_endpoint"], auth=DPoPAuth(self.key)
        ).json()
        return [r["status_url"] for r in listing["access_requests"] if r["status"] == "approved"]

    # -- conversations -------------------------------------------------------------------------

    def start_thread(self, subject: str, text: str) -> Thread:
        """Write first to the customer (you need a live grant); returns the new thread."""
        inbox = self.discover().raw["inbox"]
        response = self._call(
            "POST",
            inbox,
            data=sign_message(self.key, inbox, text, subject=subject),
            headers={"Content-Type": "application/jwt"},
        )
        return self.thread(response.json()["thread"])

    def thread(self, url: str) -> Thread:
        """The thread at `url` (a `Message` notification names it)."""
        return Thread(url, self.key, session=self.session, timeout=self.timeout)

    def threads(self) -> list[Thread]:
        """Your threads with this customer, most recently active first."""
        inbox = self.discover().raw["inbox"]
        listing = self._call("GET", inbox, auth=DPoPAuth(self.key)).json()
        return [self.thread(item["id"]) for item in listing.get("items", [])]

    def give_back(self, grant: Grant) -> None:
        """Return a grant you no longer need: it ends at once, as if revoked."""
        self._call(
            "POST", f"{self.pod_url}/grants/{grant.id}/return", auth=DPoPAuth(self.key, grant.token)
        )

    def acknowledge_deletion(
        self, grant: Grant | str, statement: str | None = None
    ) -> DeletionReceipt:
        """Tell the pod, signed, that you deleted what `grant` (a Grant or its id) let you
        hold, after the customer asked (`Notification.deletion_requested`); returns the pod's
        receipt, its signature checked (§19). `statement`: one line for the customer, at most
        500 characters ("Deleted all order data on 2026-12-01")."""
        return deletion.acknowledge_deletion(self, grant, statement)

    def resource_path(self, url: str) -> str:
        """The path of one of this pod's resource URLs (as a listing gives them)."""
        prefix = f"{self.pod_url}/data/"
        if not url.startswith(prefix):
            raise ValueError(f"{url} is not a resource of {self.pod_url}")
        return url[len(prefix) - 1 :]

    def resource_url(self, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("resource paths start with '/', as in '/profile'")
        return f"{self.pod_url}/data{path}"

    # -- signatures from the pod ---------------------------------------------------------------

    def verify_pod_token(self, token: str, typ: str) -> dict[str, Any]:
        """Verify a JWT the pod signed (grant, notification) against the pod's JWKS."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise ProtocolError(f"not a JWT from the pod: {exc}") from None
        if header.get("typ") != typ:
            raise ProtocolError(f"expected a {typ}, got {header.get('typ')!r}")
        key = self._pod_key(header.get("kid"))
        # Grants are addressed to the pod (it checks them); receipts and notifications to us.
        audience = self.pod_url if typ == GRANT_TYP else self.vendor_id
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["EdDSA", "ES256"],
                issuer=self.pod_url,
                audience=audience,
                leeway=30,
            )
        except jwt.InvalidTokenError as exc:
            raise ProtocolError(f"the pod's signature does not verify: {exc}") from None

    def verify_receipt(self, grant: Grant) -> dict[str, Any]:
        """The consent receipt of `grant`, its signature checked: keep it as your record."""
        return self.verify_pod_token(grant.receipt, RECEIPT_TYP)

    def verify_notification(self, body: str | bytes) -> dict[str, Any]:
        """Check a notification POSTed to your callback; returns its claims.

        `claims["type"]` is "Revoke" (stop using the grant, delete what you read; with
        `"delete": true` the customer also asks you to acknowledge that, §19); "Shorten" (the
        grant now ends at `claims["expires_at"]`); "DeletionRequest" (delete what an ended grant
        let you hold, then `acknowledge_deletion`); "Create",
        "Update" or "Delete" of `claims["object"]` (read it again, or forget it); "Message"
        (the customer wrote in the thread `claims["object"]`); or "Share" (the customer gave
        you a grant: fetch it with `shared_grant(claims["object"])`).
        """
        text = body.decode("ascii") if isinstance(body, bytes) else body
        return self.verify_pod_token(text.strip(), NOTIFICATION_TYP)

    def notification(self, body: str | bytes) -> Notification:
        """Check a notification POSTed to your callback (as `verify_notification`); returns
        what it says, with `deletion_requested` and, for a `Shorten`, the new `expires_at`."""
        return Notification.from_claims(self.verify_notification(body))

    def _pod_key(self, kid: Any) -> Any:  # a cryptography public key, as PyJWK makes it
        for refresh in (False, True):
            if self._jwks is None or refresh:
                self._jwks = self._call("GET", self.discover().raw["jwks_uri"]).json()
            for jwk in self._jwks.get("keys", []):
                if jwk.get("kid") == kid:
                    return jwt.PyJWK(jwk).key
        raise ProtocolError(f"the pod has no key {kid!r}")

    # -- transport -----------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return call(method, url, self.timeout, session=self.session, **kwargs)


__all__ = ["Grant", "PendingRequest", "PodClient", "PodConfiguration", "VendorClientError"]
