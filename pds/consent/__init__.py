"""The pod's use cases: the owner's account and data, vendors' requests, grants and reads.

`open_pod()` gives the one door, a `Pod`; nothing here imports Flask. The server calls these
use cases and maps their errors (below, and those of `pds.resources`) to HTTP.
"""

from pds.archive import ArchiveError
from pds.consent.audit import Action, AuditEvent, Outcome
from pds.consent.errors import (
    AlreadyClaimed,
    AlreadyDecided,
    ConsentError,
    DeletionAlreadyAcknowledged,
    DeletionNotRequested,
    GrantExpired,
    GrantNotActive,
    GrantNotFound,
    GrantRevoked,
    GrantStillActive,
    InsufficientScope,
    IntentNotFound,
    IntentNotOpen,
    InvalidCredentials,
    InvalidGrant,
    InvalidInput,
    InvalidProof,
    InvalidSetupCode,
    NotAuthenticated,
    NotClaimed,
    OfferNotFound,
    PodExists,
    PodNotFound,
    PodSuspended,
    RateLimited,
    RequestNotFound,
    ThreadClosed,
    ThreadFull,
    ThreadNotFound,
    TooLarge,
    TooManyAttempts,
    UnknownToken,
    VendorNotFound,
    WeakPassword,
)
from pds.consent.grants import Grant
from pds.consent.intents import Intent, IntentDraft, Preview
from pds.consent.offers import Offer
from pds.consent.owner import ApiToken
from pds.consent.owner_data import VendorRecord, Written
from pds.consent.pod import Pod, open_pod
from pds.consent.provider import PodSummary, Provider
from pds.consent.requests import AccessRequest
from pds.consent.scopes import Scope
from pds.consent.threads import Message, Thread, ThreadView
from pds.consent.vendor_data import Appended, VendorCall
from pds.store import SchemaOutOfDate, Store

__all__ = [
    "AccessRequest",
    "Action",
    "AlreadyClaimed",
    "AlreadyDecided",
    "ApiToken",
    "Appended",
    "ArchiveError",
    "AuditEvent",
    "ConsentError",
    "DeletionAlreadyAcknowledged",
    "DeletionNotRequested",
    "Grant",
    "GrantExpired",
    "GrantNotActive",
    "GrantNotFound",
    "GrantRevoked",
    "GrantStillActive",
    "InsufficientScope",
    "Intent",
    "IntentDraft",
    "IntentNotFound",
    "IntentNotOpen",
    "InvalidCredentials",
    "InvalidGrant",
    "InvalidInput",
    "InvalidProof",
    "InvalidSetupCode",
    "Message",
    "NotAuthenticated",
    "NotClaimed",
    "Offer",
    "OfferNotFound",
    "Outcome",
    "Pod",
    "PodExists",
    "PodNotFound",
    "PodSummary",
    "PodSuspended",
    "Preview",
    "Provider",
    "RateLimited",
    "RequestNotFound",
    "SchemaOutOfDate",
    "Scope",
    "Store",
    "Thread",
    "ThreadClosed",
    "ThreadFull",
    "ThreadNotFound",
    "ThreadView",
    "TooLarge",
    "TooManyAttempts",
    "UnknownToken",
    "VendorCall",
    "VendorNotFound",
    "VendorRecord",
    "WeakPassword",
    "Written",
    "open_pod",
]
