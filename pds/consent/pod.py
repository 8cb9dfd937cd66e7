"""One pod and everything that can be done with it: the only door into the pod.

The server (and the CLI) open a `Pod` and call its use cases; each owns its transaction, the
audit events it writes and the notifications it queues, and answers with values or typed errors.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO, Any

import argon2

from pds import archive
from pds.consent.activity import Activity
from pds.consent.agreement_records import Agreements
from pds.consent.audit import OWNER, Action, Outcome
from pds.consent.context import Clock, PodContext
from pds.consent.decisions import Decisions
from pds.consent.grant_tokens import GrantVerifier
from pds.consent.grants import Grants
from pds.consent.intents import Intents
from pds.consent.keys import PUBLICATION_DELAY, KeyStatus, PodKeys
from pds.consent.notifications import Deliverer, Outbox
from pds.consent.offers import Offers
from pds.consent.owner import OwnerAccount
from pds.consent.owner_data import OwnerData
from pds.consent.relays import IntentRelays
from pds.consent.requests import AccessRequests
from pds.consent.rules import StandingRules
from pds.consent.sharing import Sharing
from pds.consent.terms import CustomerTerms
from pds.consent.threads import Threads
from pds.consent.time_zone import TimeZoneSetting
from pds.consent.told import ChangeNotices
from pds.consent.vendor_data import VendorData
from pds.consent.vendor_evidence import VendorEvidence
from pds.consent.vendor_threads import VendorThreads
from pds.resources import Documents, PodRef
from pds.store import AlreadyExists, NotFound, Store, pods, require_current_schema
from pds.store.store import utcnow

log = logging.getLogger(__name__)


class Pod:
    def __init__(self, ctx: PodContext, password_hasher: argon2.PasswordHasher | None = None):
        self.ctx = ctx
        self.account = OwnerAccount(ctx, password_hasher)
        self.data = OwnerData(ctx)
        self.vendor_data = VendorData(ctx, GrantVerifier(ctx.keys, ctx.base_url))
        self.requests = AccessRequests(ctx)
        self.grants = Grants(ctx)
        self.decisions = Decisions(ctx, self.requests, self.grants)
        self.rules = StandingRules(ctx, self.decisions)
        self.requests.standing_rules = self.rules.decide
        self.activity = Activity(ctx)
        self.terms = CustomerTerms(ctx)
        self.agreements = Agreements(ctx)  # IEEE 7012: the proffered agreement and the records
        self.time_zone = TimeZoneSetting(ctx)
        self.relays = IntentRelays(ctx)
        self.intents = Intents(ctx, self.data, self.relays)
        self.offers = Offers(ctx, self.intents, self.decisions)
        self.sharing = Sharing(ctx, self.decisions)
        self.notices = ChangeNotices(ctx)
        self.threads = Threads(ctx, self.offers)
        self.vendor_threads = VendorThreads(ctx, self.threads)
        self.evidence = VendorEvidence(
            ctx, self.requests, self.grants, self.agreements, self.activity
        )

    @property
    def id(self) -> str:
        return self.ctx.id

    @property
    def base_url(self) -> str:
        return self.ctx.base_url

    def now(self) -> dt.datetime:
        return self.ctx.clock()

    def close(self) -> None:
        """Close the database connections this process holds (before a fork, at exit)."""
        self.ctx.store.dispose()

    # -- the pod's signing keys ----------------------------------------------------------------

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The published keys, newest first: any next key, the active one, the retired ones."""
        return self.ctx.keys.jwks()

    def signing_keys(self) -> list[KeyStatus]:
        """Every key with what it does now (next, active, retired) and when, newest first.

        Read afresh: another process (a second server, `pds keys rotate`) may have rotated
        since this one cached its keys, and the owner looking at them must see that at once."""
        self.ctx.keys.reload()
        return self.ctx.keys.statuses()

    @property
    def signing_kid(self) -> str:
        """The key that signs now. The first use makes the pod's first key: do it (as the server
        does at start) before anything that signs inside a transaction."""
        return self.ctx.keys.active.kid

    def rotate_keys(self, publication_delay: dt.timedelta = PUBLICATION_DELAY) -> KeyStatus:
        """A new key, published now, that starts signing after `publication_delay`; until then
        the active key signs, and grants signed by earlier keys keep working.

        The default delay lets every server and every JWKS cache learn the key first (§13.6):
        a shorter one is for tests.
        """
        with self.ctx.store.begin() as conn:
            kid = self.ctx.keys.add_next(conn, self.now(), publication_delay)
            self.ctx.record(conn, OWNER, Action.KEYS_ROTATE, Outcome.OK, detail={"kid": kid})
        self.ctx.keys.reload()
        return next(k for k in self.signing_keys() if k.kid == kid)

    # -- moving the whole pod ------------------------------------------------------------------

    def export_archive(self, out: IO[bytes], progress: archive.Progress | None = None) -> int:
        """The whole pod as a .tar.gz archive; returns the number of documents."""
        return archive.export_pod(self.ctx.store, self.ctx.ref, out, progress)

    def import_archive(
        self,
        source: IO[bytes],
        progress: archive.Progress | None = None,
        *,
        replace_owner: bool = False,
    ) -> int:
        """Load an export into this empty pod (see `pds.archive.import_pod`); ArchiveError."""
        count = archive.import_pod(
            self.ctx.store, self.ctx.ref, source, progress, replace_owner=replace_owner
        )
        self.ctx.keys.reload()
        return count


def open_pod(
    database: Store | str,
    pod_id: str,
    base_url: str,
    *,
    password_hasher: argon2.PasswordHasher | None = None,
    allow_private_callbacks: bool = False,
    clock: Clock = utcnow,
) -> Pod:
    """The pod `pod_id` in `database` (a Store, or a URL whose schema must be current).

    The pod is created with `base_url` if it does not exist yet. Documents are stored
    independent of the base URL, so a changed `base_url` (a new port or domain) is recorded.
    """
    store = Store.from_url(database) if isinstance(database, str) else database
    require_current_schema(store.engine)
    ref = _pod_row(store, pod_id, base_url)
    deliverer = Deliverer(store, clock, pod_id=ref.id, allow_private=allow_private_callbacks)
    return assemble_pod(
        store,
        ref,
        documents=Documents(store),
        deliverer=deliverer,
        password_hasher=password_hasher,
        allow_private_callbacks=allow_private_callbacks,
        clock=clock,
    )


def assemble_pod(
    store: Store,
    ref: PodRef,
    *,
    documents: Documents,
    deliverer: Deliverer,
    password_hasher: argon2.PasswordHasher | None,
    allow_private_callbacks: bool,
    clock: Clock,
) -> Pod:
    """A `Pod` for an existing row; a provider's pods share `documents` (its caches are keyed
    by pod) and `deliverer`."""
    keys = PodKeys(store, ref.id, clock)
    ctx = PodContext(
        store=store,
        ref=ref,
        documents=documents,
        keys=keys,
        outbox=Outbox(store, ref.id, ref.base_url, keys, clock, deliverer),
        clock=clock,
        allow_private_callbacks=allow_private_callbacks,
    )
    return Pod(ctx, password_hasher)


def _pod_row(store: Store, pod_id: str, base_url: str) -> PodRef:
    for _attempt in range(2):
        try:
            with store.begin() as conn:
                try:
                    row = pods.get(conn, pod_id)
                except NotFound:
                    row = pods.create(conn, pod_id, base_url)
            break
        except AlreadyExists:  # another worker created it a moment ago
            continue
    if row.base_url != base_url:
        log.info("pod %r moves from %s to %s", pod_id, row.base_url, base_url)
        with store.begin() as conn:
            pods.update(conn, pod_id, base_url=base_url)
    return PodRef(row.id, base_url)
