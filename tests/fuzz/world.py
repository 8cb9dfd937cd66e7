"""The world every fuzz example starts from: one live server per backend and test module.

A claimed pod with the sample profile and preferences, an owner API token and a spare one, a
signed-in consent page session with its CSRF token, vendor A (a live grant: part of the profile,
the preferences, its own container to read and append, B's container to read), vendor B (its own
container), vendor C (a pending access request), a record in each of A's and B's containers,
and, when the pod takes offers, a published intent with vendor D's offer waiting; when it
keeps conversations, a thread A started (with its first message) and the thread about D's
offer (with D's first message).

Fuzzed requests may legitimately change that world (the owner revokes A's grant, deletes the
profile, replaces the terms...). `ensure()` puts back what the next example needs, with the
pod's own use cases, so examples stay independent of each other. `observe()` takes the
snapshot of stored data that each example is judged by (see `checks.py`).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html.parser
import http.client
import io
import json
import logging
import secrets
import time
import urllib.parse
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2.exceptions import VerificationError
from werkzeug.exceptions import HTTPException

from pds import schemas
from pds.consent import threads as thread_rules
from pds.consent import vendor_threads as vendor_thread_rules
from pds.consent.terms import DEFAULT_TERMS
from pds.store import tables
from tests.conftest import CHEAP_HASHER, PASSWORD, LiveServer
from tests.fuzz.wire import WireRequest, WireResponse, send
from vendor_client import VendorKey, make_proof
from vendor_client.threads import sign_message

PURPOSE = "https://w3id.org/dpv#ServiceProvision"
SCHEMA = "https://schema.org/"
REQUIRED_TERMS = sorted(t["id"] for t in DEFAULT_TERMS if t["required"])
RECORD_TURTLE = (
    "@prefix schema: <https://schema.org/> .\n"
    '<#it> a schema:Order ;\n    schema:name "Receipt" ;\n    schema:orderNumber "R-1" ;\n'
    '    schema:orderDate "2026-11-23"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
)

# Tables compared before and after each example: every table of a pod, new ones included,
# but the audit log, replay records and the notification queue, which refused requests write on
# purpose.
UNWATCHED = {"audit_events", "dpop_proofs", "notifications"}
WATCHED = {
    name: table
    for name, table in tables.metadata.tables.items()
    if name not in UNWATCHED and ("pod_id" in table.c or name == "pods")
}
# Bookkeeping a read may update: when an owner token was last used. (The owner reading a
# thread marks it read, `threads.customer_read_at`: see `exchange.unentitled_changes`.)
IGNORED_COLUMNS = {"api_tokens": {"last_used_at"}}
# §15.10: the messages a vendor key may post in an hour (in one thread; the world counts them
# over all the key's threads, never fewer), the threads it may start, and what a thread holds.
# The world moves to a new key (or thread) before the next example could be refused for them.
MESSAGE_CAP = vendor_thread_rules.MESSAGES_PER_THREAD_HOUR
THREAD_CAP = vendor_thread_rules.THREADS_PER_VENDOR_HOUR
THREAD_LENGTH = thread_rules.MAX_MESSAGES


@dataclasses.dataclass
class Vendor:
    """A vendor of the world: its key, and the grant or pending request it holds."""

    name: str
    key: VendorKey
    request_id: str = ""
    grant_id: str = ""
    grant_token: str = ""
    record: str = ""  # path of a record it appended in its own container

    @property
    def id(self) -> str:
        return self.key.thumbprint

    @property
    def private_key(self):
        return self.key._private

    @property
    def container(self) -> str:
        return f"/vendors/{self.id}/"


class ServerErrors(logging.Handler):
    """Collects what the in-process server logs at ERROR (tracebacks of 500s among it)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))

    def take(self) -> str:
        text, self.records = "\n".join(self.records), []
        return text


class FormScraper(html.parser.HTMLParser):
    """The POST forms of a page: action and the values a browser would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]], bool]] = []
        self._form: list[tuple[str, str]] | None = None
        self._action = ""
        self._multipart = False
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self._submitted = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form, self._action = [], a.get("action", "")
            self._multipart = "multipart" in a.get("enctype", "")
            self._submitted = False
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "file":
                self._form.append((name, "\0file"))
                return
            if kind == "submit":
                if not self._submitted:
                    self._form.append((name, a.get("value", "")))
                    self._submitted = True
                return
            self._form.append((name, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            if not self._submitted:
                self._form.append((name, a.get("value", "")))
                self._submitted = True
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            self._form.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "form":
            self.forms.append((self._action, self._form, self._multipart))
            self._form = None


class Snapshot:
    """The watched tables' rows; compared whole, taken apart into rows only when they differ."""

    def __init__(self, raw: dict[str, list[tuple]], audited_up_to: int, exotic_audit: bool):
        self.raw = raw
        self.audited_up_to = audited_up_to  # the last audit event's id
        self.exotic_audit = exotic_audit  # since the snapshot before
        self._rows: dict[str, dict[Any, dict[str, Any]]] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and self.raw == other.raw

    def __iter__(self):
        return iter(self.raw)

    def __getitem__(self, name: str) -> dict[Any, dict[str, Any]]:
        """Rows of table `name` by primary key, as comparable dicts."""
        if name not in self._rows:
            table = WATCHED[name]
            columns = [c.name for c in table.c if c.name not in IGNORED_COLUMNS.get(name, ())]
            keys = [c.name for c in table.primary_key.columns]
            rows = {}
            for raw in self.raw[name]:
                values = {k: _comparable(v) for k, v in zip(columns, raw, strict=True)}
                rows[tuple(values[k] for k in keys)] = values
            self._rows[name] = rows
        return self._rows[name]


class World:
    def __init__(self, backend: str, store, settings, errors: ServerErrors):
        self.backend = backend
        self.store = store
        self.errors = errors
        self.server = LiveServer(store, settings)
        self.app = self.server.app
        self.port = self.server.port
        self.url = self.server.url
        self.pod = self.server.pod
        self.static_files = sorted(p.name for p in _static_folder(self.app))
        self._forms: dict[str, tuple[str, list[tuple[str, str]], bool] | None] | None = None
        self._form_pages: dict[str, str] = {}  # endpoint -> the page whose form posts to it
        self._formless: set[str] = set()
        self._clean, self._checked = False, 0.0
        self._last: Snapshot | None = None
        self._setup()

    # -- setting up and putting back ---------------------------------------------------------

    def _setup(self) -> None:
        account = self.pod.account
        code = account.issue_setup_code()
        account.claim(code, PASSWORD)
        self.owner_token_id, self.owner_token = self._new_token("fuzz owner")
        self.spare_token_id, _ = self._new_token("fuzz spare")
        self._forge_session()
        for path, sample in schemas.sample_documents().items():
            self.pod.data.put(path, sample.encode(), "text/turtle")
        self.vendor_b = self._granted_vendor("B", extra=lambda b: [])
        self.vendor_a = self._granted_vendor(
            "A",
            extra=lambda a: [
                {"resource": self.vendor_b.container, "modes": ["read"]},
            ],
        )
        self.vendor_c = self._pending_vendor()
        self.vendor_d = Vendor("D", VendorKey.generate())  # sends offers to the intent
        self.intent_name = self.reply_token = self.intent_id = self.offer_id = ""
        self.vendor_thread_id = self.offer_thread_id = ""
        self.takes_offers = hasattr(self.pod, "offers") and hasattr(self.pod, "intents")
        self.keeps_threads = self.takes_offers and hasattr(self.pod, "vendor_threads")
        if self.takes_offers:
            self._publish_intent()
            self._send_offer()
        if self.keeps_threads:
            self._start_vendor_thread()
            self._start_offer_thread()
        archive = io.BytesIO()
        self.pod.export_archive(archive)
        self.archive = archive.getvalue()

    def _new_token(self, name: str) -> tuple[str, str]:
        token, secret = self.pod.account.create_token(name)
        return token.id, secret

    def _forge_session(self) -> None:
        """A consent-page session cookie, signed as the app signs them (no password needed)."""
        self.csrf = secrets.token_urlsafe(32)
        self.epoch = self.pod.account.session_epoch()
        session = {
            "pod": self.pod.id,
            "epoch": self.epoch,
            "csrf": self.csrf,
            "since": int(time.time()),
            "_permanent": True,
        }
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        self.session_cookie = serializer.dumps(session)
        self._forms = None

    def _ask(self, vendor: Vendor, scopes: list[dict]) -> str:
        """A signed access request, submitted in-process: HTTP submissions from one address
        are rate limited, and the world must not spend the fuzzed requests' allowance."""
        now = int(time.time())
        claims = {
            "aud": self.url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
            "vendor": {"name": f"Fuzz vendor {vendor.name}"},
            "scopes": scopes,
            "purpose": {
                "iri": PURPOSE,
                "description": "to check that hostile requests change nothing",
            },
            "duration": 2 * 86400,
            "terms": REQUIRED_TERMS,
        }
        return self.pod.requests.submit(vendor.key.sign(claims, "pds-access-request+jwt")).id

    def _granted_vendor(self, name: str, extra) -> Vendor:
        vendor = Vendor(name, VendorKey.generate())
        scopes = [
            {"resource": vendor.container, "modes": ["read", "append"]},
            {
                "resource": "/profile",
                "modes": ["read"],
                "fields": [SCHEMA + "email", SCHEMA + "name", SCHEMA + "address"],
            },
            {"resource": "/preferences", "modes": ["read"]},
            *extra(vendor),
        ]
        vendor.request_id = self._ask(vendor, scopes)
        grant = self.pod.decisions.approve(vendor.request_id)
        vendor.grant_id, vendor.grant_token = grant.id, grant.token
        written = self.pod.data.create_in(
            vendor.container, RECORD_TURTLE.encode(), "text/turtle", f"record-{name.lower()}"
        )
        vendor.record = written.path
        return vendor

    def _publish_intent(self) -> None:
        """The sample intent, published: vendors may send offers to its reply address."""
        self.intent_name = f"small-car-{secrets.token_hex(3)}"
        sample = schemas.sample_documents()["/intents/small-car"]
        self.pod.data.put(f"/intents/{self.intent_name}", sample.encode(), "text/turtle")
        intent = self.pod.intents.publish(self.intent_name)
        self.reply_token = intent.reply_url.rsplit("/", 1)[1]
        self.intent_id = intent.published["id"]

    def signed_offer_claims(self) -> dict[str, Any]:
        """A valid offer to the intent (§14.2), but its iat, exp and jti."""
        return {
            "aud": f"{self.url}/replies/{self.reply_token}",
            "intent": self.intent_id,
            "vendor": {"name": "Fuzz offers"},
            "offer": {
                "summary": "A small car, five doors, automatic.",
                "price": {"amount": "12999.00", "currency": "GBP"},
                "valid_until": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            },
        }

    def _send_offer(self) -> None:
        now = int(time.time())
        claims = {
            **self.signed_offer_claims(),
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }
        signed = self.vendor_d.key.sign(claims, "pds-offer+jwt")
        self.offer_id = self.pod.offers.submit(self.reply_token, signed).id

    def offer_thread_url(self) -> str:
        return f"{self.url}/replies/{self.reply_token}/offers/{self.offer_id}/thread"

    def _start_vendor_thread(self) -> None:
        """A thread vendor A starts (it holds a live grant), with its first message."""
        url = f"{self.url}/threads/"
        signed = sign_message(self.vendor_a.key, url, "Your order ships on Monday.", subject="Fuzz")
        self.vendor_thread_id = self.pod.vendor_threads.vendor_start(signed, url).thread_id

    def _start_offer_thread(self) -> None:
        """The thread about the world's offer, with vendor D's first message."""
        url = self.offer_thread_url()
        signed = sign_message(self.vendor_d.key, url, "It has a full service history.")
        posted = self.pod.vendor_threads.offer_post(self.reply_token, self.offer_id, signed, url)
        self.offer_thread_id = posted.thread_id

    def _pending_vendor(self) -> Vendor:
        vendor = Vendor("C", VendorKey.generate())
        vendor.request_id = self._ask(
            vendor,
            [
                {"resource": "/profile", "modes": ["read"], "fields": [SCHEMA + "email"]},
                {"resource": vendor.container, "modes": ["read", "append"]},
            ],
        )
        return vendor

    def dirty(self, *, observed: bool = False) -> None:
        """Something stored may have changed: check the world before the next example (and,
        unless the change was `observed` in a snapshot, take a new one)."""
        self._clean = False
        self._forms = None
        if not observed:
            self._last = None

    def ensure(self) -> None:
        """Put back what examples rely on, if an entitled request took it away."""
        if self._clean and time.monotonic() < self._checked + 30:
            return
        self._clean, self._checked = True, time.monotonic()
        changed = False
        with self.store.read() as conn:
            tokens = {
                r.id: r
                for r in conn.execute(
                    sa.select(tables.api_tokens).where(tables.api_tokens.c.pod_id == self.pod.id)
                )
            }
            pod_row = conn.execute(
                sa.select(tables.pods).where(tables.pods.c.id == self.pod.id)
            ).one()
            grants = {
                r.id: r
                for r in conn.execute(
                    sa.select(tables.grants).where(
                        tables.grants.c.pod_id == self.pod.id,
                        tables.grants.c.id.in_([self.vendor_a.grant_id, self.vendor_b.grant_id]),
                    )
                )
            }
            pending = conn.execute(
                sa.select(tables.access_requests.c.status).where(
                    tables.access_requests.c.pod_id == self.pod.id,
                    tables.access_requests.c.id == self.vendor_c.request_id,
                )
            ).scalar()
            paths = set(
                conn.execute(
                    sa.select(tables.resources.c.path).where(
                        tables.resources.c.pod_id == self.pod.id
                    )
                ).scalars()
            )
        try:
            CHEAP_HASHER.verify(pod_row.owner_password_hash or "", PASSWORD)
        except (VerificationError, Exception):
            self.pod.account.set_password(PASSWORD)
            changed = True
        if tokens.get(self.owner_token_id) is None or tokens[self.owner_token_id].revoked_at:
            self.owner_token_id, self.owner_token = self._new_token("fuzz owner")
            changed = True
        if tokens.get(self.spare_token_id) is None or tokens[self.spare_token_id].revoked_at:
            self.spare_token_id, _ = self._new_token("fuzz spare")
            changed = True
        if int((pod_row.settings or {}).get("session_epoch", 0)) != self.epoch:
            self._forge_session()
        if (pod_row.settings or {}).get("terms") not in (None, DEFAULT_TERMS):
            self.pod.terms.replace(DEFAULT_TERMS)
            changed = True
        for path, sample in schemas.sample_documents().items():
            if path not in paths:
                self.pod.data.put(path, sample.encode(), "text/turtle")
                changed = True
        for vendor in (self.vendor_b, self.vendor_a):
            row = grants.get(vendor.grant_id)
            if row is None or row.revoked_at is not None:
                self._replace_vendor(vendor)
                changed = True
            elif vendor.record not in paths:
                self.pod.data.put(vendor.record, RECORD_TURTLE.encode(), "text/turtle")
                changed = True
        if pending != "pending":
            self.vendor_c = self._pending_vendor()
            changed = True
        offer_id = self.offer_id
        if self.takes_offers:
            changed = self._ensure_offers() or changed
        if self.keeps_threads:
            changed = self._ensure_threads(new_offer=offer_id != self.offer_id) or changed
        if changed:
            self._forms, self._last = None, None

    def _ensure_offers(self) -> bool:
        """A published intent and an offer waiting for the customer, as examples expect."""
        intents, offers = WATCHED["intents"], WATCHED["offers"]
        with self.store.read() as conn:
            intent = conn.execute(
                sa.select(intents.c.status).where(
                    intents.c.pod_id == self.pod.id, intents.c.id == self.intent_name
                )
            ).scalar()
            offer = conn.execute(
                sa.select(offers.c.status).where(
                    offers.c.pod_id == self.pod.id, offers.c.id == self.offer_id
                )
            ).scalar()
            document = conn.execute(
                sa.select(tables.resources.c.path).where(
                    tables.resources.c.pod_id == self.pod.id,
                    tables.resources.c.path == f"/intents/{self.intent_name}",
                )
            ).scalar()
        if document is None:
            intent = None  # its document was deleted: offers cannot be checked against it
        if intent != "published":
            self._publish_intent()
            offer = None
        if offer != "received":
            self.vendor_d = Vendor("D", VendorKey.generate())  # 3 offers an hour from one key
            self._send_offer()
        return intent != "published" or offer != "received"

    def _ensure_threads(self, *, new_offer: bool) -> bool:
        """A's thread and the offer's thread, open, and room for the next example's message:
        under the hourly caps of A's and D's keys (§15.10) and the length of a thread. A key
        near a cap is replaced (A with a new grant, D with a new offer), as offers do."""
        threads, messages = WATCHED["threads"], WATCHED["thread_messages"]
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        ids = [self.vendor_thread_id, self.offer_thread_id]
        with self.store.read() as conn:
            rows = {
                r.id: r
                for r in conn.execute(
                    sa.select(threads.c.id, threads.c.vendor_id, threads.c.state).where(
                        threads.c.pod_id == self.pod.id, threads.c.id.in_(ids)
                    )
                )
            }
            lengths = dict(
                conn.execute(
                    sa.select(messages.c.thread_id, sa.func.count())
                    .where(messages.c.pod_id == self.pod.id, messages.c.thread_id.in_(ids))
                    .group_by(messages.c.thread_id)
                ).all()
            )
            sent = dict(
                conn.execute(
                    sa.select(messages.c.author, sa.func.count())
                    .where(
                        messages.c.pod_id == self.pod.id,
                        messages.c.author.in_([self.vendor_a.id, self.vendor_d.id]),
                        messages.c.created_at >= since,
                    )
                    .group_by(messages.c.author)
                ).all()
            )
            started = conn.execute(
                sa.select(sa.func.count()).where(
                    threads.c.pod_id == self.pod.id,
                    threads.c.vendor_id == self.vendor_a.id,
                    threads.c.started_by == "vendor",
                    threads.c.created_at >= since,
                )
            ).scalar_one()

        def full(thread_id: str) -> bool:
            return lengths.get(thread_id, 0) >= THREAD_LENGTH - 2

        changed = False
        a_thread = rows.get(self.vendor_thread_id)
        if sent.get(self.vendor_a.id, 0) >= MESSAGE_CAP - 2 or started >= THREAD_CAP - 1:
            self._replace_vendor(self.vendor_a)
            a_thread = None
        if a_thread is None or a_thread.vendor_id != self.vendor_a.id or full(a_thread.id):
            self._start_vendor_thread()
            changed = True
        elif a_thread.state == "closed":
            self.pod.threads.set_state(a_thread.id, "open")
            changed = True

        d_thread = rows.get(self.offer_thread_id)
        if sent.get(self.vendor_d.id, 0) >= MESSAGE_CAP - 2 or (d_thread and full(d_thread.id)):
            self.vendor_d = Vendor("D", VendorKey.generate())
            self._send_offer()
            new_offer = True
        if new_offer or d_thread is None or d_thread.vendor_id != self.vendor_d.id:
            self._start_offer_thread()
            changed = True
        elif d_thread.state == "closed":
            self.pod.threads.set_state(d_thread.id, "open")
            changed = True
        return changed

    def _replace_vendor(self, vendor: Vendor) -> None:
        """A vendor whose grant ended (revoked, given back) comes back with a new key."""
        if vendor is self.vendor_b:
            self.vendor_b = self._granted_vendor("B", extra=lambda b: [])
            # A's grant names B's old container; A keeps it, which is fine for what it reads.
        else:
            self.vendor_a = self._granted_vendor(
                "A", extra=lambda a: [{"resource": self.vendor_b.container, "modes": ["read"]}]
            )

    # -- what is stored --------------------------------------------------------------------------

    def observe(self, audited_after: int | None = None) -> Snapshot:
        """The watched tables and the audit log's last id, in one read; with `audited_after`,
        whether the audit events written since hold anything but short plain ASCII (what
        could trip the pages that show them)."""
        if audited_after is None and self._last is not None:
            return self._last  # nothing has written since it was taken
        raw: dict[str, list[tuple]] = {}
        audit = tables.audit_events
        with self.store.read() as conn:
            for name, table in WATCHED.items():
                owner = table.c.id if name == "pods" else table.c.pod_id
                columns = [c for c in table.c if c.name not in IGNORED_COLUMNS.get(name, ())]
                query = sa.select(*columns).where(owner == self.pod.id)
                raw[name] = [tuple(r) for r in conn.execute(query.order_by(*table.primary_key))]
            events = conn.execute(
                sa.select(audit.c.id, audit.c.actor, audit.c.resource, audit.c.detail)
                .where(audit.c.pod_id == self.pod.id, audit.c.id > (audited_after or 0))
                .order_by(audit.c.id.desc())
                .limit(None if audited_after is not None else 1)
            ).all()
        exotic = any(
            len(text) > 400 or not all(" " <= c <= "~" for c in text)
            for text in (
                f"{e.actor}{e.resource or ''}{json.dumps(e.detail, ensure_ascii=False)}"
                for e in (events if audited_after is not None else [])
            )
        )
        last_id = events[0].id if events else (audited_after or 0)
        self._last = Snapshot(raw, last_id, exotic)
        return self._last

    # -- sending ---------------------------------------------------------------------------------

    def send(self, request: WireRequest) -> tuple[WireResponse | None, str, str]:
        """The response (None if the connection broke), the transport error, server errors."""
        self.errors.take()
        try:
            response, problem = send(self.port, request), ""
        except (OSError, http.client.HTTPException) as exc:
            response, problem = None, f"{type(exc).__name__}: {exc}"
        time.sleep(0)  # let the server thread finish logging
        return response, problem, self.errors.take()

    def owner_get(self, path: str, accept: str = "*/*") -> WireResponse | None:
        request = WireRequest(
            "GET",
            path.encode(),
            [("Authorization", f"Bearer {self.owner_token}".encode()), ("Accept", accept.encode())],
        )
        return self.send(request)[0]

    def vendor_get(self, vendor: Vendor, path: str) -> WireResponse | None:
        """A read with a DPoP proof of `vendor`'s key and no grant (its threads)."""
        proof = make_proof(vendor.key, "GET", self.url + path)
        return self.send(WireRequest("GET", path.encode(), [("DPoP", proof.encode())]))[0]

    def page_get(self, path: str) -> WireResponse | None:
        request = WireRequest("GET", path.encode(), [("Cookie", self.cookie_header().encode())])
        return self.send(request)[0]

    def cookie_header(self) -> str:
        return f"pds_session={self.session_cookie}"

    # -- the consent page's forms ------------------------------------------------------------------

    def form_for(self, endpoint: str) -> tuple[str, list[tuple[str, str]], bool] | None:
        """A form of the consent page that posts to `endpoint`, as a browser would send it
        (scraped from the pages; after a change, only the page that had it is read again)."""
        if self._forms is None:
            self._forms = {}
        if endpoint not in self._forms and endpoint not in self._formless:
            page = self._form_pages.get(endpoint)
            if page:
                self._scrape(page)
            if self._forms.get(endpoint) is None:
                for page in self._pages_with_forms():
                    self._scrape(page)
            if self._forms.get(endpoint) is None:
                self._formless.add(endpoint)  # none of the pages has one: do not look again
        return self._forms.get(endpoint)

    def _pages_with_forms(self) -> list[str]:
        return [
            "/app/",
            "/app/requests",
            "/app/settings",
            "/app/data",
            f"/app/grants/{self.vendor_a.grant_id}",
            "/app/grants",
            "/app/intents",
            f"/app/intents/{self.intent_name}",
            "/app/messages",
            f"/app/messages/{self.offer_thread_id}",
        ]

    def _scrape(self, page: str) -> None:
        assert self._forms is not None
        response = self.page_get(page)
        if page.startswith("/app/messages/"):
            self._last = None  # opening a thread marks it read: a change to snapshot again
        if response is None or response.status != 200:
            return
        scraper = FormScraper()
        scraper.feed(response.body.decode("utf-8", "replace"))
        adapter = self.app.url_map.bind("127.0.0.1")
        for action, fields, multipart in scraper.forms:
            path = urllib.parse.urlsplit(action or page).path
            try:
                found, _ = adapter.match(path, method="POST")
            except HTTPException:
                continue
            if self._forms.get(found) is None:
                self._forms[found] = (path, fields, multipart)
                self._form_pages.setdefault(found, page)

    def stop(self) -> None:
        self.server.stop()


def _comparable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _static_folder(app):
    folder = app.blueprints["web"].static_folder
    return [p for p in Path(folder).iterdir() if p.is_file()] if folder else []


def basic(password: str) -> str:
    return base64.b64encode(f"owner:{password}".encode()).decode()
