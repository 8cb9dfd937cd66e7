"""The floor the pod is measured against: the same checks on a vendor read, and nothing else.

A Flask app served as the pod is (gunicorn's asyncio workers, whole requests buffered by
pds.server.buffered, 2 workers, same timeout, same access log) that, for GET /data/profile:

* verifies the grant (`Authorization: DPoP <grant>`): EdDSA signature with the pod's public key
  (PyJWT), typ, issuer, audience, expiry, and that it is bound to a key (cnf.jkt);
* verifies the DPoP proof (PyJWT, key from the proof's `jwk` header): typ, alg, signature,
  iat within 60 s, jti, htm, htu and ath, and that its key's thumbprint is the grant's cnf.jkt;
* answers with the profile body bytes read once at start.

No database: no replay record, no revocation check, no audit event. The grant signature is
verified on every request (the pod caches it), so this is a fair, slightly pessimistic floor.

Run by bench/run.py:
    python bench/minimal_app.py --port 8001 --base-url http://127.0.0.1:8001 \
        --issuer http://127.0.0.1:8000 --jwks jwks.json --body profile.ttl
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import time
from pathlib import Path

import jwt
from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication

from pds.server.buffered import BufferedWSGI

GRANT_TYP = "pds-grant+jwt"
PROOF_TYP = "dpop+jwt"
ALGORITHMS = ("EdDSA", "ES256")
MAX_AGE, MAX_SKEW, LEEWAY = 60, 5, 30
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(jwk: dict) -> str:
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _refuse(reason: str) -> Response:
    body = json.dumps({"title": "Unauthorized", "detail": reason})
    return Response(body, status=401, mimetype="application/problem+json")


def create_app(base_url: str, issuer: str, jwks: dict, body: bytes, content_type: str) -> Flask:
    """`base_url`: this server's URL (the proofs' htu); `issuer`: the pod's (grant iss, aud)."""
    app = Flask(__name__)
    keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}

    @app.get("/data/profile")
    def profile():
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "dpop" or not token:
            return _refuse("no DPoP grant")
        try:
            header = jwt.get_unverified_header(token)
            key = keys.get(header.get("kid"))
            if header.get("typ") != GRANT_TYP or key is None or header.get("alg") != "EdDSA":
                return _refuse("not a grant of this pod")
            grant = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=issuer,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "cnf"]},
            )
            jkt = grant["cnf"]["jkt"]

            proof = request.headers.get("DPoP", "")
            proof_header = jwt.get_unverified_header(proof)
            alg = proof_header.get("alg")
            jwk = proof_header.get("jwk")
            if proof_header.get("typ") != PROOF_TYP or alg not in ALGORITHMS:
                return _refuse("bad proof header")
            if not isinstance(jwk, dict) or "d" in jwk:
                return _refuse("bad proof key")
            claims = jwt.decode(
                proof,
                jwt.PyJWK(jwk, algorithm=alg).key,
                algorithms=[alg],
                options={
                    "require": ["iat", "jti", "htm", "htu"],
                    "verify_aud": False,
                    "verify_iat": False,
                },
            )
        except (jwt.InvalidTokenError, jwt.PyJWKError, KeyError, TypeError, ValueError) as exc:
            return _refuse(str(exc))
        now = time.time()
        if not now - MAX_AGE <= claims["iat"] <= now + MAX_SKEW:
            return _refuse("stale proof")
        if not isinstance(claims["jti"], str) or not 8 <= len(claims["jti"]) <= 128:
            return _refuse("bad jti")
        if claims["htm"] != request.method or claims["htu"] != base_url + request.path:
            return _refuse("proof for another request")
        if claims.get("ath") != _b64url(hashlib.sha256(token.encode()).digest()):
            return _refuse("proof for another grant")
        if _thumbprint(jwk) != jkt:
            return _refuse("proof signed by another key")
        return Response(body, headers={"Content-Type": content_type})

    return app


class MinimalServer(BaseApplication):
    """gunicorn with the settings of pds.server.gunicorn.PodServer."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        super().__init__()

    def load_config(self) -> None:
        for key, value in {
            "bind": f"127.0.0.1:{self.args.port}",
            "workers": self.args.workers,
            "worker_class": "asgi",
            "timeout": 60,
            "graceful_timeout": 8,
            "loglevel": "info",
            "accesslog": "-",
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": "127.0.0.1",
        }.items():
            self.cfg.set(key, value)

    def load(self):
        app = create_app(
            self.args.base_url.rstrip("/"),
            self.args.issuer.rstrip("/"),
            json.loads(Path(self.args.jwks).read_text()),
            Path(self.args.body).read_bytes(),
            self.args.content_type,
        )
        return BufferedWSGI(app, max_body_bytes=1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base-url", required=True, help="this server's URL (the proofs' htu)")
    parser.add_argument("--issuer", required=True, help="the pod's base URL (the grant's iss, aud)")
    parser.add_argument("--jwks", required=True, help="file with the pod's JWKS")
    parser.add_argument("--body", required=True, help="file with the body bytes to answer")
    parser.add_argument("--content-type", default="text/turtle; charset=utf-8")
    MinimalServer(parser.parse_args()).run()


if __name__ == "__main__":
    main()
