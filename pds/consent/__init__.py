"""Consent: who may do what in a pod. The owner's account today; vendor grants build on it.

Nothing here imports Flask: the server calls these services and maps their errors to HTTP.
"""

from pds.consent.errors import (
    AlreadyClaimed,
    ConsentError,
    InvalidCredentials,
    InvalidInput,
    InvalidSetupCode,
    NotAuthenticated,
    NotClaimed,
    TooManyAttempts,
    UnknownToken,
    WeakPassword,
)
from pds.consent.owner import ApiToken, OwnerAccount
from pds.consent.pods import open_pod

__all__ = [
    "AlreadyClaimed",
    "ApiToken",
    "ConsentError",
    "InvalidCredentials",
    "InvalidInput",
    "InvalidSetupCode",
    "NotAuthenticated",
    "NotClaimed",
    "OwnerAccount",
    "TooManyAttempts",
    "UnknownToken",
    "WeakPassword",
    "open_pod",
]
