"""The document's own vectors (no pod needed): thumbprints, signed examples, status list."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from jwcrypto import jwk, jws

from tests.protocol.independent_client import (
    VendorKey,
    b64url_decode,
    jws_header,
    jws_payload,
    thumbprint,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


# -- the document's own vectors (no pod needed) ----------------------------------------------------


def test_thumbprints_match_the_worked_examples_of_section_3_2():
    assert (
        thumbprint(
            {"kty": "OKP", "crv": "Ed25519", "x": "k9s9f0kDaKnrEtKhDSl920Ay_qC3JJhhL2nS-8Muqgc"}
        )
        == "_CNnzh6wzvbRG_OSLRl6LxWvxoiieRyp6dYx_kFc0Ng"
    )
    p256 = {
        "kty": "EC",
        "crv": "P-256",
        "x": "B_rWuOXG-vPQxrd9OGELiAisCQ2u31JhR-N9ofMpLFs",
        "y": "bqXr_ykW_x7aatPb8yFDBtC9rxH1TLaS8dmZLYS7YiE",
    }
    assert thumbprint(p256) == "YaTchOAjjQh_q8CgtKtwwlcm-C1OTWu04JOoxZrAgLE"
    rfc8037 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(rfc8037) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    # jwcrypto agrees with the document's recipe, for fresh keys of both kinds.
    for curve in ("Ed25519", "P-256"):
        key = VendorKey.generate(curve)
        assert key.vendor_id == jwk.JWK(**key.public_jwk).thumbprint()


def test_the_documents_signed_examples_verify():
    """Every full JWS in the document verifies with the key the document gives for it."""
    text = DOC.read_text()
    vendor = jwk.JWK(kty="OKP", crv="Ed25519", x="k9s9f0kDaKnrEtKhDSl920Ay_qC3JJhhL2nS-8Muqgc")
    pod = jwk.JWK(kty="OKP", crv="Ed25519", x="5NbydXHJD12IYXM44GpsSDNX84mAbOfGyjxLgQJER-I")
    complete = re.findall(r"(?<![\w.-])(eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{86})(?![\w.…-])", text)
    typs = {}
    for token in complete:
        header = jws_header(token)
        obj = jws.JWS()
        obj.deserialize(token)
        obj.allowed_algs = ["EdDSA"]
        obj.verify(pod if "kid" in header else vendor, alg="EdDSA")
        typs[header["typ"]] = jws_payload(token)
    assert set(typs) == {"pds-access-request+jwt", "dpop+jwt", "pds-notification+jwt"}
    # §7.2: the data-request proof carries the ath the document quotes.
    assert "OLn4ZjC7MVPGoHrLJrxdx8GLrGsEev6OSX7Ac3vFGYA" in text
    assert typs["pds-notification+jwt"]["type"] == "Revoke"


def test_the_status_list_worked_example_of_section_9_3():
    after = "uH4sIAAAAAAACA-3QMQEAAAwCIO1f2gp79kEEEgAeVQEAAAAAAAAAAAAAAAAAABcDWw3fDABAAAA"
    before = "uH4sIAAAAAAACA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    bits_after = gzip.decompress(b64url_decode(after[1:]))
    bits_before = gzip.decompress(b64url_decode(before[1:]))
    assert len(bits_after) == len(bits_before) == 16384
    assert [(i, b) for i, b in enumerate(bits_after) if b] == [(1383, 0x01)]
    assert bits_before.count(0) == 16384
    assert bits_after[11071 // 8] & (0x80 >> (11071 % 8))
