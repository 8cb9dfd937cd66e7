"""Consent: who may do what in a pod: the owner's account, vendors' requests and grants.

Nothing here imports Flask: the server calls these services and maps their errors to HTTP.
"""

from pds.consent.errors import (
    AlreadyClaimed,
    AlreadyDecided,
    ConsentError,
    GrantExpired,
    GrantNotFound,
    GrantRevoked,
    InsufficientScope,
    InvalidCredentials,
    InvalidGrant,
    InvalidInput,
    InvalidProof,
    InvalidSetupCode,
    NotAuthenticated,
    NotClaimed,
    RateLimited,
    RequestNotFound,
    TooManyAttempts,
    UnknownToken,
    WeakPassword,
)
from pds.consent.owner import ApiToken, OwnerAccount
from pds.consent.pods import open_pod
from pds.consent.service import Consent

__all__ = [
    "AlreadyClaimed",
    "AlreadyDecided",
    "ApiToken",
    "Consent",
    "ConsentError",
    "GrantExpired",
    "GrantNotFound",
    "GrantRevoked",
    "InsufficientScope",
    "InvalidCredentials",
    "InvalidGrant",
    "InvalidInput",
    "InvalidProof",
    "InvalidSetupCode",
    "NotAuthenticated",
    "NotClaimed",
    "OwnerAccount",
    "RateLimited",
    "RequestNotFound",
    "TooManyAttempts",
    "UnknownToken",
    "WeakPassword",
    "open_pod",
]
