"""Consent receipts: a signed record of what the customer agreed to, for both sides to keep.

Fields follow the Kantara Consent Receipt Specification v1.1 (with the ISO/IEC 27560 names
where they differ noted in `docs/protocol.md`). The receipt is a JWS signed by the pod key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pds.consent.scopes import Scope, fields_of

RECEIPT_TYP = "pds-receipt+jwt"
VERSION = "KI-CR-v1.1.0"


def build_receipt(
    *,
    grant_id: str,
    pod_url: str,
    vendor_id: str,
    vendor: dict[str, Any],
    scopes: list[Scope],
    purpose: dict[str, str],
    terms: list[str],
    issued_at: dt.datetime,
    expires_at: dt.datetime,
    jurisdiction: str = "unspecified",
) -> dict[str, Any]:
    """The receipt's claims; signed as a JWT, so `iss`, `aud` and `iat` let either side verify."""
    categories = []
    for scope in scopes:
        names = {f["iri"]: f["name"] for f in fields_of(scope.resource)}
        if scope.fields is None:
            categories.append(f"{scope.resource} (all fields)")
        else:
            categories.extend(f"{scope.resource}: {names.get(f, f)}" for f in sorted(scope.fields))
    return {
        "iss": pod_url,
        "aud": vendor_id,
        "iat": int(issued_at.timestamp()),
        "jti": grant_id,
        "version": VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": int(issued_at.timestamp()),
        "collectionMethod": "Approved by the customer in their personal data pod",
        "consentReceiptID": grant_id,
        "language": "en",
        "piiPrincipalId": pod_url,
        "piiControllers": [
            {
                "piiController": vendor.get("name", ""),
                "contact": vendor.get("contact", ""),
                "email": vendor.get("contact", "") if "@" in vendor.get("contact", "") else "",
                "piiControllerUrl": vendor.get("homepage", ""),
                "id": vendor_id,
                "verified": bool(vendor.get("verified")),
            }
        ],
        "policyUrl": f"{pod_url}/.well-known/pds-configuration#terms",
        "services": [
            {
                "service": "Access to the customer's personal data pod",
                "purposes": [
                    {
                        "purpose": purpose["description"],
                        "purposeCategory": [purpose["iri"]],
                        "consentType": "EXPLICIT",
                        "piiCategory": categories,
                        "primaryPurpose": True,
                        "termination": expires_at.isoformat(),
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "scopes": [s.to_json() for s in scopes],
        "acceptedTerms": terms,
        "expiresAt": expires_at.isoformat(),
    }
