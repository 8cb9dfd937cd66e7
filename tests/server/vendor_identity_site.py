"""A vendor's website on loopback, over HTTPS with a certificate from a CA made for the test.

The pod trusts that CA only as a development pod does (`allow_private_callbacks`): through
OpenSSL's `SSL_CERT_FILE`, which the tests set to `VendorSite.ca_file`. The site answers every
request with `reply` (a proof by default) and records each request it receives, so a test can
tell that the pod never asked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pds.consent.vendor_identity import WELL_KNOWN_PATH

Reply = Callable[[BaseHTTPRequestHandler], None]


class LocalCA:
    """A certificate authority of the test's own, and server certificates it signs."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vrm-pod tests CA")])
        self.cert = (
            _builder(name, name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.file = directory / "test-ca.pem"
        self.file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_files(self, *names: str) -> tuple[Path, Path]:
        """A certificate for DNS `names` (no IP address) and its key, as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        cert = (
            _builder(subject, self.cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = self.directory / f"{names[0]}.pem", self.directory / f"{names[0]}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class VendorSite:
    """An HTTPS site on 127.0.0.1 (plain HTTP with `tls=False`) that records what it is asked."""

    def __init__(self, ca: LocalCA | None, *names: str):
        self.seen: list[tuple[str, str]] = []  # (path, Host header) of each request
        self.reply: Reply = answer_json({"vendor_ids": []})
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                site.seen.append((self.path, self.headers.get("Host", "")))
                # The pod hangs up on a huge or slow answer, as it should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    site.reply(self)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if ca is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*ca.server_files(*names))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def proof_requests(self) -> list[tuple[str, str]]:
        return [seen for seen in self.seen if seen[0] == WELL_KNOWN_PATH]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- what the site answers ---------------------------------------------------------------------


def answer(status: int, body: bytes, headers: dict[str, str]) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def answer_json(document: object, content_type: str = "application/json") -> Reply:
    return answer(200, json.dumps(document).encode(), {"Content-Type": content_type})


def proof_of(*vendor_ids: str) -> Reply:
    return answer_json({"vendor_ids": list(vendor_ids)})


def redirect_to(location: str) -> Reply:
    return answer(302, b"", {"Location": location})


def huge_proof_of(vendor_id: str, size: int = 1 << 20) -> Reply:
    """A valid proof padded with white space to `size` bytes, with no Content-Length."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(json.dumps({"vendor_ids": [vendor_id]}).encode())
        for _ in range(size // 4096):
            handler.wfile.write(b" " * 4096)

    return reply


def slow_proof_of(vendor_id: str, pause: float = 0.1) -> Reply:
    """A valid proof, sent one byte every `pause` seconds (6 s or so in all)."""
    body = json.dumps({"vendor_ids": [vendor_id]}).encode()

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(pause)

    return reply
