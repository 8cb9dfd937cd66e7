"""The pod client: discovery, access requests, polling, grants, data, give-back, status list
and notifications, section by section of the document."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import requests
from jwcrypto import jwk, jws

from tests.protocol.independent_client.answers import Grant, PendingRequest, RequestDenied
from tests.protocol.independent_client.jose import ProtocolError, b64url_decode, jws_header, new_jti
from tests.protocol.independent_client.keys import VendorKey

PROTOCOL_VERSION = "2026-11"
POD_ALGS = ["EdDSA"]  # §2.1 grant_signing_alg_values_supported
STATUS_LIST_BITS = 131_072  # §9.3, Appendix A


class PodClient:
    def __init__(self, base_url: str, key: VendorKey, session: requests.Session | None = None):
        self.base_url = base_url
        self.key = key
        self.http = session or requests.Session()
        self.config: dict[str, Any] = {}
        self._jwks: jwk.JWKSet | None = None
        self._seen_notifications: set[str] = set()
        self.held_grants: dict[str, Grant] = {}

    # §2 ----------------------------------------------------------------------------------------

    def discover(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base_url}/.well-known/pds-configuration", timeout=10)
        response.raise_for_status()
        config = response.json()
        if config["issuer"] != self.base_url:
            raise ProtocolError(f"issuer {config['issuer']!r} is not {self.base_url!r} (§2)")
        if config["protocol_version"] != PROTOCOL_VERSION:
            raise ProtocolError(f"unknown protocol version {config['protocol_version']!r}")
        if self.key.alg not in config["access_request_signing_alg_values_supported"]:
            raise ProtocolError(f"the pod does not take {self.key.alg} requests")
        self.config = config
        return config

    @property
    def issuer(self) -> str:
        return self.config["issuer"]

    def jwks(self, *, refresh: bool = False) -> jwk.JWKSet:
        if self._jwks is None or refresh:
            response = self.http.get(self.config["jwks_uri"], timeout=10)
            response.raise_for_status()
            self._jwks = jwk.JWKSet.from_json(response.text)
        return self._jwks

    def _pod_key(self, kid: str) -> jwk.JWK:
        """§2.3: look the kid up, re-fetching the set once if it is unknown."""
        key = self.jwks().get_key(kid)
        if key is None:
            key = self.jwks(refresh=True).get_key(kid)
        if key is None:
            raise ProtocolError(f"no key {kid!r} in the pod's JWKS")
        public = key.export_public(as_dict=True)
        if (public.get("kty"), public.get("crv")) != ("OKP", "Ed25519"):
            raise ProtocolError("pod keys are Ed25519 (§2.3)")
        return key

    def verify_pod_jws(self, token: str, typ: str) -> dict[str, Any]:
        """Check ``typ`` first, take ``alg`` from our allow-list, verify with the kid's key."""
        header = jws_header(token)
        if header.get("typ") != typ:
            raise ProtocolError(f"typ {header.get('typ')!r} is not {typ!r}")
        if header.get("alg") not in POD_ALGS:
            raise ProtocolError(f"alg {header.get('alg')!r} is not allowed")
        if "kid" not in header:
            raise ProtocolError("no kid in the header")
        key = self._pod_key(header["kid"])
        token_obj = jws.JWS()
        token_obj.deserialize(token)
        token_obj.allowed_algs = POD_ALGS
        token_obj.verify(key, alg="EdDSA")  # raises on a bad signature
        return json.loads(token_obj.payload)

    # §4 ----------------------------------------------------------------------------------------

    def required_terms(self) -> list[str]:
        return sorted(term["id"] for term in self.config["terms"] if term["required"])

    def sign_access_request(
        self,
        scopes: list[dict[str, Any]],
        *,
        purpose_iri: str = "https://w3id.org/dpv#ServiceProvision",
        description: str = "to send your order confirmations",
        duration: int = 3600,
        terms: list[str] | None = None,
        callback: str | None = None,
        vendor: dict[str, str] | None = None,
        lifetime: int = 300,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": self.issuer,
            "iat": now,
            "exp": now + lifetime,
            "jti": new_jti(),
            "vendor": vendor
            or {"name": "Independent Test Vendor", "contact": "dpo@vendor.example"},
            "scopes": scopes,
            "purpose": {"iri": purpose_iri, "description": description},
            "duration": duration,
            "terms": self.required_terms() if terms is None else terms,
        }
        if callback is not None:
            claims["callback"] = callback
        return self.key.sign("pds-access-request+jwt", claims)

    def submit(self, signed_request: str) -> requests.Response:
        return self.http.post(
            self.config["access_request_endpoint"],
            data=signed_request.encode("ascii"),
            headers={"Content-Type": "application/jwt"},
            timeout=10,
        )

    def request_access(self, scopes: list[dict[str, Any]], **kwargs: Any) -> PendingRequest:
        response = self.submit(self.sign_access_request(scopes, **kwargs))
        if response.status_code != 202:
            raise ProtocolError(f"access request refused: {response.status_code} {response.text}")
        body = response.json()
        if body["vendor_id"] != self.key.vendor_id:
            raise ProtocolError("the pod computed another vendor id (§4.4)")
        if response.headers["Location"] != body["status_url"]:
            raise ProtocolError("Location and status_url differ (§4.4)")
        return PendingRequest(id=body["id"], status_url=body["status_url"], body=body)

    # §5 ----------------------------------------------------------------------------------------

    def poll(self, pending: PendingRequest, method: str = "GET") -> requests.Response:
        """One poll: a DPoP proof and nothing else (no Authorization, no ath)."""
        proof = self.key.proof(method, pending.status_url)
        return self.http.request(method, pending.status_url, headers={"DPoP": proof}, timeout=10)

    def wait(
        self, pending: PendingRequest, *, timeout: float = 30.0, max_interval: float | None = None
    ) -> Grant:
        """Poll until decided, respecting Retry-After (capped at ``max_interval`` if given)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.poll(pending)
            if response.status_code != 200:
                raise ProtocolError(f"poll failed: {response.status_code} {response.text}")
            body = response.json()
            if body["status"] == "approved":
                grant = Grant(
                    token=body["grant"],
                    claims=self.verify_grant(body["grant"]),
                    receipt=body["receipt"],
                )
                if grant.id != body["grant_id"]:
                    raise ProtocolError("grant_id is not the grant's jti")
                self.held_grants[grant.id] = grant
                return grant
            if body["status"] == "denied":
                raise RequestDenied(pending.id)
            delay = float(response.headers.get("Retry-After", "5"))
            if max_interval is not None:
                delay = min(delay, max_interval)
            if time.monotonic() + delay > deadline:
                raise TimeoutError(f"request {pending.id} still pending")
            time.sleep(delay)

    # §6, §11 -----------------------------------------------------------------------------------

    def verify_grant(self, token: str, *, leeway: int = 5) -> dict[str, Any]:
        claims = self.verify_pod_jws(token, "pds-grant+jwt")
        if claims["iss"] != self.issuer or claims["aud"] != self.issuer:
            raise ProtocolError("grant iss/aud is not the issuer")
        now = time.time()
        if not (claims["nbf"] - leeway <= now < claims["exp"] + leeway):
            raise ProtocolError("grant not within nbf..exp")
        if claims["cnf"]["jkt"] != self.key.vendor_id or claims["sub"] != self.key.vendor_id:
            raise ProtocolError("grant is bound to another key")
        return claims

    def verify_receipt(self, grant: Grant) -> dict[str, Any]:
        claims = self.verify_pod_jws(grant.receipt, "pds-receipt+jwt")
        if claims["iss"] != self.issuer:
            raise ProtocolError("receipt iss is not the issuer")
        if claims["aud"] != self.key.vendor_id:
            raise ProtocolError("receipt aud is not our vendor id")
        if claims["jti"] != grant.id:
            raise ProtocolError("receipt jti is not the grant id")
        return claims

    # §7 ----------------------------------------------------------------------------------------

    def resource_url(self, path: str) -> str:
        return f"{self.issuer}/data{path}"

    def grant_headers(self, method: str, url: str, grant: Grant) -> dict[str, str]:
        return {
            "Authorization": f"DPoP {grant.token}",
            "DPoP": self.key.proof(method, url, grant.token),
        }

    def read(
        self, path_or_url: str, grant: Grant, accept: str = "text/turtle", **headers: str
    ) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.resource_url(path_or_url)
        return self.http.get(
            url,
            headers={"Accept": accept, **headers, **self.grant_headers("GET", url, grant)},
            timeout=10,
        )

    def append(
        self,
        container: str,
        grant: Grant,
        body: str,
        content_type: str = "text/turtle",
        slug: str | None = None,
    ) -> requests.Response:
        if not container.endswith("/"):
            raise ValueError("append targets a container (§7.6)")
        url = self.resource_url(container)
        headers = {"Content-Type": content_type, **self.grant_headers("POST", url, grant)}
        if slug is not None:
            headers["Slug"] = slug
        return self.http.post(url, data=body.encode("utf-8"), headers=headers, timeout=10)

    # §9 ----------------------------------------------------------------------------------------

    def give_back(self, grant: Grant) -> requests.Response:
        url = f"{self.issuer}/grants/{grant.id}/return"
        return self.http.post(url, headers=self.grant_headers("POST", url, grant), timeout=10)

    def status_list(self, *, signed: bool = False) -> dict[str, Any]:
        url = self.config["status_list_uri"]
        if signed:
            response = self.http.get(url, headers={"Accept": "application/vc+jwt"}, timeout=10)
            response.raise_for_status()
            credential = self.verify_pod_jws(response.text.strip(), "vc+jwt")
        else:
            response = self.http.get(url, timeout=10)
            response.raise_for_status()
            credential = response.json()
        return credential

    def is_revoked(self, grant: Grant, *, signed: bool = True) -> bool:
        """§9.3: fetch the list named by the grant and read the grant's bit (MSB first)."""
        status = grant.claims["credentialStatus"]
        if status["statusListCredential"] != self.config["status_list_uri"]:
            raise ProtocolError("the grant names another status list")
        credential = self.status_list(signed=signed)
        if credential["issuer"] != grant.claims["iss"]:
            raise ProtocolError("status list issuer is not the grant's iss")
        subject = credential["credentialSubject"]
        if subject["statusPurpose"] != "revocation":
            raise ProtocolError("not a revocation list")
        encoded = subject["encodedList"]
        if not encoded.startswith("u"):
            raise ProtocolError("encodedList is not multibase base64url")
        bits = gzip.decompress(b64url_decode(encoded[1:]))
        if len(bits) * 8 != STATUS_LIST_BITS:
            raise ProtocolError(f"status list has {len(bits) * 8} bits")
        index = int(status["statusListIndex"])
        return bool(bits[index // 8] & (0x80 >> (index % 8)))

    # §10 ---------------------------------------------------------------------------------------

    def verify_notification(self, token: str, *, skew: int = 30) -> dict[str, Any] | None:
        """Verify a notification; ``None`` for a duplicate (already processed ``jti``)."""
        claims = self.verify_pod_jws(token.strip(), "pds-notification+jwt")
        if claims["iss"] != self.issuer:
            raise ProtocolError("notification iss is not the issuer")
        if claims["aud"] != self.key.vendor_id:
            raise ProtocolError("notification aud is not our vendor id")
        if claims["grant"] not in self.held_grants:
            raise ProtocolError("notification about a grant we do not hold")
        if claims["iat"] > time.time() + skew:
            raise ProtocolError("notification from the future")
        if claims["jti"] in self._seen_notifications:
            return None
        self._seen_notifications.add(claims["jti"])
        return claims
