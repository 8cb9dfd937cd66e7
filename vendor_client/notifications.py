"""What a verified notification from a pod says (protocol §10.2), as a value to act on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


@dataclasses.dataclass(frozen=True)
class Notification:
    """A notification whose signature `PodClient.notification` checked.

    >>> note = pod.notification(request_body)                            # doctest: +SKIP
    >>> if note.deletion_requested:                                      # doctest: +SKIP
    ...     delete_everything_about(note.grant)
    ...     pod.acknowledge_deletion(note.grant, "deleted all order data")
    """

    type: str  # Revoke, Shorten, DeletionRequest, Create, Update, Delete, Message, Share, ...
    grant: str  # the grant id it is about
    claims: dict[str, Any]  # everything the pod signed, for the members not named here

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Notification:
        return cls(
            type=str(claims.get("type", "")), grant=str(claims.get("grant", "")), claims=claims
        )

    @property
    def deletion_requested(self) -> bool:
        """The customer asks you to delete what the grant let you hold: with its revocation
        (`Revoke` with `"delete": true`) or after it ended (`DeletionRequest`). Delete, then
        acknowledge with `PodClient.acknowledge_deletion` (§19)."""
        if self.type == "DeletionRequest":
            return True
        return self.type == "Revoke" and self.claims.get("delete") is True

    @property
    def revoked_by(self) -> str | None:
        """`Revoke` only: "owner" (the customer revoked the grant) or "vendor" (you gave it
        back)."""
        revoked_by = self.claims.get("revoked_by")
        return revoked_by if self.type == "Revoke" and isinstance(revoked_by, str) else None

    @property
    def expires_at(self) -> dt.datetime | None:
        """`Shorten` only: the grant's new end; from then on the pod refuses it as expired,
        though its `exp` is later."""
        value = self.claims.get("expires_at")
        if self.type != "Shorten" or not isinstance(value, str):
            return None
        return dt.datetime.fromisoformat(value)

    @property
    def object(self) -> str | None:
        """`Create`, `Update`, `Delete`: the document's URL; `Message`: the thread's URL;
        `Share`: the status URL of the access request the share made."""
        value = self.claims.get("object")
        return value if isinstance(value, str) else None
