"""The public revocation status of grants, as a W3C Bitstring Status List.

Each grant holds a random index into one list of 131,072 bits (the spec's minimum, so an
index reveals little about how many grants exist); a set bit means revoked.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from typing import Any

LIST_BITS = 131_072
PURPOSE = "revocation"


def pick_index(used: set[int]) -> int:
    if len(used) >= LIST_BITS:
        raise RuntimeError("the status list is full")
    while True:
        index = secrets.randbelow(LIST_BITS)
        if index not in used:
            return index


def encoded_list(revoked: list[int]) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring; bit 0 is the MSB."""
    bits = bytearray(LIST_BITS // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode()


def is_set(encoded: str, index: int) -> bool:
    raw = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    bits = gzip.decompress(base64.urlsafe_b64decode(raw))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def credential(list_url: str, issuer: str, revoked: list[int], valid_from: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encoded_list(revoked),
        },
    }


def entry(list_url: str, index: int) -> dict[str, str]:
    """The credentialStatus entry a grant carries."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
