"""Client library for vendors talking to a customer's personal data pod.

A vendor holds one key pair (`VendorKey`); its thumbprint is the vendor id. With a
`PodClient` the vendor discovers a pod, asks for access (`request_access`), waits for the
customer's decision (`PendingRequest.wait`), then reads or appends with the `Grant`, each
request signed with a fresh DPoP proof (`DPoPAuth`, usable with any `requests.Session`).

Nothing here depends on the pod's server code: only on the HTTP protocol (docs/protocol.md).
"""

from vendor_client.agreements import (
    Accept,
    AgreementAnswer,
    AgreementRecord,
    Alternative,
    Reject,
    myterms_document,
)
from vendor_client.client import PROTOCOL_VERSION, PodClient
from vendor_client.configuration import PodConfiguration
from vendor_client.deletion import DeletionReceipt
from vendor_client.domain_proof import domain_proof, domain_proof_json, proof_url
from vendor_client.dpop import DPoPAuth, make_proof
from vendor_client.errors import (
    AccessDenied,
    GrantError,
    GrantExpired,
    GrantRevoked,
    IntentClosed,
    InvalidProof,
    NotFound,
    PodUnreachable,
    ProtocolError,
    RateLimited,
    RequestDenied,
    ThreadClosed,
    ThreadFull,
    TooLarge,
    VendorClientError,
)
from vendor_client.grants import Grant, PendingRequest
from vendor_client.keys import VendorKey
from vendor_client.notifications import Notification
from vendor_client.offers import Decision, SentOffer, send_offer
from vendor_client.relays import RelayClient
from vendor_client.threads import Thread, ThreadMessage, ThreadState

# <protocol year>.<protocol month>.<release of the library for that protocol>: the library speaks
# PROTOCOL_VERSION (docs/protocol.md §1.4). The distribution reads its version from here.
__version__ = "2026.11.0"

__all__ = [
    "PROTOCOL_VERSION",
    "Accept",
    "AccessDenied",
    "AgreementAnswer",
    "AgreementRecord",
    "Alternative",
    "DPoPAuth",
    "Decision",
    "DeletionReceipt",
    "Grant",
    "GrantError",
    "GrantExpired",
    "GrantRevoked",
    "IntentClosed",
    "InvalidProof",
    "NotFound",
    "Notification",
    "PendingRequest",
    "PodClient",
    "PodConfiguration",
    "PodUnreachable",
    "ProtocolError",
    "RateLimited",
    "Reject",
    "RelayClient",
    "RequestDenied",
    "SentOffer",
    "Thread",
    "ThreadClosed",
    "ThreadFull",
    "ThreadMessage",
    "ThreadState",
    "TooLarge",
    "VendorClientError",
    "VendorKey",
    "domain_proof",
    "domain_proof_json",
    "make_proof",
    "myterms_document",
    "proof_url",
    "send_offer",
]
