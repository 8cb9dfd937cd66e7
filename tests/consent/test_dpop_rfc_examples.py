"""DPoP proof checks (RFC 9449) against the RFC's own example proofs."""

from __future__ import annotations

import pytest

from pds.consent import jose
from pds.consent.dpop import MAX_AGE, MAX_SKEW, verify_proof
from pds.consent.errors import InvalidProof
from tests.consent.dpop_setup import b64json

# RFC 9449 section 4.1 (Figure 4) and section 7.1 (Figure 13): the same P-256 key; the second
# proof accompanies the access token below and carries its hash in `ath`.
RFC_TOKEN_REQUEST_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TV"
    "CIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8"
    "lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
)
RFC_RESOURCE_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0Vj"
    "NoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5"
    "VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUI"
    "iwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI"
    "2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqz"
    "hrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
)
RFC_ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"  # RFC 9449 section 6.1
RFC_RESOURCE = "https://resource.example.org/protectedresource"


# -- RFC 9449 examples -------------------------------------------------------------------------


def test_the_rfc_token_request_proof_verifies_and_gives_the_rfc_thumbprint():
    verified = verify_proof(
        RFC_TOKEN_REQUEST_PROOF,
        method="POST",
        url="https://server.example.com/token",
        now=1562262616,
    )
    assert verified.jkt == RFC_JKT
    assert verified.jwk["crv"] == "P-256"


def test_the_rfc_resource_proof_verifies_with_its_access_token_hash():
    assert jose.sha256_b64url(RFC_ACCESS_TOKEN) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    verified = verify_proof(
        RFC_RESOURCE_PROOF,
        method="GET",
        url=RFC_RESOURCE,
        access_token=RFC_ACCESS_TOKEN,
        now=1562262618,
    )
    assert verified.jkt == RFC_JKT


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"access_token": "another-token"}, "ath"),
        ({"method": "POST"}, "is for 'GET'"),
        ({"url": "https://resource.example.org/other"}, "htu"),
        ({"url": "http://resource.example.org/protectedresource"}, "htu"),
        ({"url": "https://resource.example.org:8443/protectedresource"}, "htu"),
        ({"now": 1562262618 + MAX_AGE + 1}, "within the last"),
        ({"now": 1562262618 - MAX_SKEW - 1}, "in the future"),
    ],
)
def test_the_rfc_resource_proof_is_refused_for_anything_else(change, says):
    arguments = {
        "method": "GET",
        "url": RFC_RESOURCE,
        "access_token": RFC_ACCESS_TOKEN,
        "now": 1562262618,
        **change,
    }
    with pytest.raises(InvalidProof) as caught:
        verify_proof(RFC_RESOURCE_PROOF, **arguments)
    assert says in str(caught.value)


def test_the_rfc_proof_with_a_changed_claim_fails_its_signature():
    header, _payload, signature = RFC_TOKEN_REQUEST_PROOF.split(".")
    changed = b64json(
        {
            "jti": "-BwC3ESc6acc2lTc",
            "htm": "GET",
            "htu": "https://server.example.com/token",
            "iat": 1562262616,
        }
    )
    with pytest.raises(InvalidProof, match="Signature verification failed"):
        verify_proof(
            f"{header}.{changed}.{signature}",
            method="GET",
            url="https://server.example.com/token",
            now=1562262616,
        )
