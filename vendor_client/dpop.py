"""DPoP (RFC 9449) for `requests`: a fresh proof on every request, signed by the vendor key."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlsplit, urlunsplit

import requests

from vendor_client.keys import VendorKey

PROOF_TYP = "dpop+jwt"


def make_proof(key: VendorKey, method: str, url: str, access_token: str | None = None) -> str:
    """A DPoP proof for one request: `htu` is the URL without query or fragment."""
    parts = urlsplit(url)
    claims = {
        "htm": method.upper(),
        "htu": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(18),
    }
    if access_token is not None:
        digest = hashlib.sha256(access_token.encode("ascii")).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return key.sign(claims, PROOF_TYP)


class DPoPAuth(requests.auth.AuthBase):
    """Signs each request with a new DPoP proof, and sends the grant if there is one.

    >>> session = requests.Session()
    >>> session.auth = DPoPAuth(key, grant_token)          # doctest: +SKIP
    >>> session.get("https://pod.example/data/profile")    # doctest: +SKIP
    """

    def __init__(self, key: VendorKey, access_token: str | None = None):
        self.key = key
        self.access_token = access_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.method is None or request.url is None:
            raise ValueError("a DPoP proof needs the request's method and URL")
        request.headers["DPoP"] = make_proof(
            self.key, request.method, request.url, self.access_token
        )
        if self.access_token is not None:
            request.headers["Authorization"] = f"DPoP {self.access_token}"
        return request
