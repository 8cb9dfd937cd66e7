"""Consent receipts: a signed record of what the customer agreed to, for both sides to keep.

Fields follow the Kantara Consent Receipt Specification v1.1 (with the ISO/IEC 27560 names
where they differ noted in `docs/protocol.md`), and an `iso27560` member gives the fields of
ISO/IEC TS 27560:2023 that the pod knows, under their own names (as DPV's 27560 profile maps
them), with the IEEE 7012 agreement agreed on. The receipt is a JWS signed by the pod key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pds.consent.scopes import Scope, fields_of

RECEIPT_TYP = "pds-receipt+jwt"
VERSION = "KI-CR-v1.1.0"
ISO_27560 = "ISO/IEC TS 27560:2023"
DPV_27560 = "https://w3id.org/dpv/schema/dpv-27560"  # DPV's profile of 27560 records
DPV = "https://w3id.org/dpv#"
COLLECTION = "Approved by the customer in their personal data pod"


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
    agreement: dict[str, Any] | None = None,
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
        "collectionMethod": COLLECTION,
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
        "agreement": agreement,  # the IEEE 7012 agreement agreed on, and its signed record
        "iso27560": {
            "schema_version": ISO_27560,
            "profile": DPV_27560,
            "record_id": grant_id,
            "receipt_id": grant_id,
            "pii_principal_id": pod_url,
            "privacy_notice": f"{pod_url}/.well-known/pds-configuration#terms",
            "language": "en",
            "purposes": [
                {
                    "purpose": purpose["description"],
                    "purpose_type": [purpose["iri"]],
                    "lawful_basis": DPV + "Consent",
                }
            ],
            "pii_information": categories,
            "pii_controllers": [vendor_id],
            "collection_method": COLLECTION,
            "jurisdiction": jurisdiction,
            "recipient_third_parties": [],
            "withdrawal_method": f"{pod_url}/app/grants/{grant_id}",
            "agreement": agreement,
            "event": {
                "event_time": issued_at.isoformat(),
                "validity_duration": _duration(expires_at - issued_at),
                "entity_id": pod_url,
                "event_type": DPV + "ExplicitlyExpressedConsent",
                "event_state": DPV + "ConsentGiven",
            },
        },
    }


def _duration(span: dt.timedelta) -> str:
    """An ISO 8601 duration in whole seconds, such as PT604800S."""
    return f"PT{int(span.total_seconds())}S"
