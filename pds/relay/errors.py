"""What the relay refuses, as values: each error knows its HTTP status and problem type.

`pds.relay.app` turns every one into an RFC 9457 problem (docs/relay.md §8); nothing else in
the relay builds error responses.
"""

from __future__ import annotations


class RelayError(Exception):
    """Base class: `str(error)` is a sentence a client can show as it is."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.headers = headers or {}


class InvalidQuery(RelayError):
    status, slug, title = 400, "invalid-query", "Invalid query"


class InvalidJWS(RelayError):
    """Not a compact JWS, the wrong `typ` or `alg`, a bad key or a bad signature."""

    status, slug, title = 422, "invalid-jws", "Invalid signed request"


class InvalidClaims(RelayError):
    """A signature that verifies, over claims that do not fit (`aud`, times, `jti`...)."""

    status, slug, title = 422, "invalid-claims", "Invalid claims"


class Replayed(RelayError):
    status, slug, title = 422, "replayed-jws", "Signed request already used"


class InvalidIntent(RelayError):
    status, slug, title = 422, "invalid-intent", "Invalid intent"


class InvalidSubscription(RelayError):
    status, slug, title = 422, "invalid-subscription", "Invalid subscription"


class RefusedAddress(RelayError):
    """A `forward_to` or `callback` the relay will not send anything to."""

    status, slug, title = 422, "refused-address", "Address refused"


class WrongKey(RelayError):
    status, slug, title = 403, "wrong-key", "Signed by another key"


class AnnouncementNotFound(RelayError):
    status, slug, title = 404, "announcement-not-found", "Announcement not found"


class SubscriptionNotFound(RelayError):
    status, slug, title = 404, "subscription-not-found", "Subscription not found"


class IntentNotFound(RelayError):
    """A reply address the relay does not know: never made, withdrawn, or expired."""

    status, slug, title = 404, "intent-not-found", "Intent not found"


class OfferNotFound(RelayError):
    status, slug, title = 404, "offer-not-found", "Offer not found"


class AlreadyAnnounced(RelayError):
    status, slug, title = 409, "already-announced", "Intent already announced"


class TooLarge(RelayError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(RelayError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class MissingProof(RelayError):
    """A status poll without a usable DPoP header: the pod would refuse it anyway."""

    status, slug, title = 401, "invalid-dpop-proof", "Invalid DPoP proof"


class TooManyAttempts(RelayError):
    status, slug, title = 429, "too-many-attempts", "Too many attempts"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class PodUnreachable(RelayError):
    """The customer's pod could not be reached, or gave no usable answer."""

    status, slug, title = 502, "pod-unreachable", "Pod unreachable"
