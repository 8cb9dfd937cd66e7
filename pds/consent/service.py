"""One pod's consent services, wired together: what the server holds per pod."""

from __future__ import annotations

from typing import Any

from pds.consent import terms
from pds.consent.access import DataAccess
from pds.consent.grants import Grants
from pds.consent.keys import PodKeys
from pds.consent.notifications import Outbox
from pds.consent.requests import AccessRequests
from pds.resources import PodRef
from pds.store import Store, audit, pods


class Consent:
    def __init__(self, store: Store, pod: PodRef, *, allow_private_callbacks: bool = False):
        self.store = store
        self.pod = pod
        self.keys = PodKeys(store, pod.id)
        # Load (or make the first) signing key now, never inside a caller's transaction.
        _ = self.keys.active
        self.outbox = Outbox(
            store, pod.id, pod.base_url, self.keys, allow_private=allow_private_callbacks
        )
        self.requests = AccessRequests(store, pod, allow_private_callbacks=allow_private_callbacks)
        self.grants = Grants(store, pod, self.keys, self.requests, self.outbox)
        self.access = DataAccess(store, pod, self.keys)

    def terms(self) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            return terms.current_terms(pods.get(conn, self.pod.id).settings)

    def set_terms(self, raw: Any) -> list[dict[str, Any]]:
        """Replace the customer's terms; grants already given keep the terms they were given on."""
        checked = terms.validate_terms(raw)
        with self.store.begin() as conn:
            settings = dict(pods.lock(conn, self.pod.id).settings)
            settings["terms"] = checked
            pods.update(conn, self.pod.id, settings=settings)
            audit.record(
                conn,
                self.pod.id,
                actor="owner",
                action="terms.update",
                outcome="ok",
                detail={"terms": [t["id"] for t in checked]},
            )
        return checked
