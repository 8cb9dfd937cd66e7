"""Errors of the consent layer; the server maps each to an RFC 9457 problem."""


class ConsentError(Exception):
    """Base class: `str(error)` is a sentence a client can show as it is."""


class NotAuthenticated(ConsentError):
    """No credentials where some are needed."""


class InvalidCredentials(ConsentError):
    """Credentials were given but are wrong, unknown or revoked."""


class TooManyAttempts(ConsentError):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class AlreadyClaimed(ConsentError):
    pass


class NotClaimed(ConsentError):
    pass


class InvalidSetupCode(ConsentError):
    pass


class WeakPassword(ConsentError):
    pass


class InvalidInput(ConsentError):
    """A value the caller sent does not fit (too long, wrong type...)."""


class UnknownToken(ConsentError):
    pass


class InvalidProof(ConsentError):
    """A DPoP proof is missing, malformed, stale, replayed or made for another request."""


class InvalidGrant(ConsentError):
    """The grant token is malformed, wrongly signed, or not for this pod."""


class GrantExpired(InvalidGrant):
    pass


class GrantRevoked(InvalidGrant):
    pass


class InsufficientScope(ConsentError):
    """The grant does not cover this resource or mode."""


class RequestNotFound(ConsentError):
    pass


class GrantNotFound(ConsentError):
    pass


class VendorNotFound(ConsentError):
    """The pod has no grant and no access request of this vendor."""


class AlreadyDecided(ConsentError):
    pass


class RateLimited(TooManyAttempts):
    pass


class IntentNotFound(ConsentError):
    """No such intent, or no intent at this reply address."""


class IntentNotOpen(ConsentError):
    """The intent is paused, closed or past its last day: it takes no offers (or no change)."""


class OfferNotFound(ConsentError):
    """No such offer (or not one the asking vendor made)."""


class ThreadNotFound(ConsentError):
    """No such thread (or not one of the asking vendor's)."""


class ThreadClosed(ConsentError):
    """The customer closed the thread: it takes no messages."""


class ThreadFull(ConsentError):
    """The thread holds as many messages as a thread may: start a new one."""


class TooLarge(ConsentError):
    """A body over the limit of its kind (an offer, a message)."""


class PodNotFound(ConsentError):
    """No pod of that name is served here."""


class PodSuspended(ConsentError):
    """The provider suspended this pod: it answers nothing until resumed."""


class PodExists(ConsentError):
    """A pod of that name exists already."""


class GrantNotActive(ConsentError):
    """The grant has ended (revoked, returned or expired): it cannot be changed any more."""


class GrantStillActive(ConsentError):
    """The grant has not ended: revoke it (asking for deletion then), or wait for its end."""


class DeletionNotRequested(ConsentError):
    """A vendor acknowledged a deletion the customer did not ask for."""


class DeletionAlreadyAcknowledged(ConsentError):
    """The vendor already acknowledged this deletion: the first acknowledgement stands."""
