"""One fuzz example, start to end: build, mutate, send, and check what came back and what changed.

A failure names the backend, the request exactly as it went on the wire, what it was entitled to
change, the response, every problem found, and what the server logged (the traceback of a 500).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import unicodedata
import urllib.parse
from typing import Any

from pds.consent.messages import MAX_MESSAGE_BYTES, MAX_SUBJECT, MAX_TEXT
from pds.consent.requests import MAX_DURATION, MIN_DURATION, purposes
from pds.consent.scopes import check_scope, scopes_from_json
from pds.consent.threads import STATES
from pds.resources import InvalidPath
from pds.resources.paths import check_path
from pds.store.threads import CUSTOMER
from tests.fuzz.exchange import (
    BIDI,
    THREAD_TABLES,
    Endpoint,
    Sent,
    base_exchange,
    materialize,
    unentitled_changes,
)
from tests.fuzz.mutations import Mutation, apply_all
from tests.fuzz.wire import WireResponse
from tests.fuzz.world import Snapshot, World

PUBLIC = ("/.well-known/pds-configuration", "/.well-known/jwks.json", "/status/revocation")
AUDIT_VIEWS = ("/owner/audit?limit=20", "/app/", "/app/activity")
RDF = ("text/turtle", "application/ld+json", "application/n-triples")


@dataclasses.dataclass(frozen=True)
class Finding:
    """A failed example: what kind of failure (to group repeats), and the full report."""

    kind: str
    report: str


def run_example(
    world: World, endpoint: Endpoint, caller: str, variant: int, mutations: list[Mutation]
) -> Finding | None:
    """Build, mutate and send one request; what went wrong, if anything."""
    world.ensure()
    exchange = base_exchange(world, endpoint, caller, variant)
    apply_all(exchange, world, mutations)
    sent = materialize(world, exchange)
    before = world.observe()
    response, transport, logged = world.send(sent.wire)
    after = world.observe(audited_after=before.audited_up_to)

    problems = []
    if response is None:
        problems.append(f"no HTTP response: {transport}")
    elif response.status >= 500:
        problems.append(f"answered {response.status}")
    problems += unentitled_changes(before, after, sent, decoded_path(sent.wire.target))
    problems += stored_nonsense(before, after)
    changed = before != after
    if changed:
        world.dirty(observed=True)
    if problems:
        return finding(world, endpoint, sent, response, problems, logged)

    if changed or after.exotic_audit:
        world.ensure()  # a new owner token, if the request revoked the old one
        broken = probe(world, before, after, full=changed)
        if broken:
            return finding(world, endpoint, sent, response, broken, world.errors.take(), probe=True)
    return None


def decoded_path(target: bytes) -> str:
    text = target.decode("latin-1")
    if "://" in text.split("?", 1)[0]:
        text = urllib.parse.urlsplit(text).path
    return urllib.parse.unquote(text.split("?", 1)[0], errors="replace")


def stored_nonsense(before: Snapshot, after: Snapshot) -> list[str]:
    """What no request may leave stored: an invalid path, an access request breaking §4.2."""
    found = []
    if before.raw["resources"] != after.raw["resources"]:
        for key, row in after["resources"].items():
            if before["resources"].get(key) == row:
                continue
            try:
                check_path(row["path"])
            except InvalidPath as exc:
                found.append(f"resources: stored at an invalid path {row['path']!r}: {exc}")
    if before.raw["access_requests"] != after.raw["access_requests"]:
        for key, row in after["access_requests"].items():
            if key not in before["access_requests"]:
                found += [
                    f"access_requests: stored {key!r} with {why}" for why in _bad_request(row)
                ]
    if "offers" in before.raw and before.raw["offers"] != after.raw["offers"]:
        for key, row in after["offers"].items():
            if key not in before["offers"]:
                found += [f"offers: stored {key!r} with {why}" for why in _bad_offer(row)]
    for table, bad in (("threads", _bad_thread), ("thread_messages", _bad_message)):
        if table in before.raw and before.raw[table] != after.raw[table]:
            for key, row in after[table].items():
                if before[table].get(key) != row:
                    found += [f"{table}: stored {key!r} with {why}" for why in bad(row)]
    return found


def _bad_message(row: dict) -> list[str]:
    """§15.2: what a message the pod keeps may hold; a vendor's, as it signed it."""
    text, why = row["text"], []
    if not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT or text != text.strip():
        why.append(f"text {text!r}")
    elif _controls(text, allowed="\n\t"):
        why.append(f"control characters in the text {text!r}")
    if row["author"] == CUSTOMER:
        return why
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", row["author"]):
        why.append(f"author {row['author']!r}")
    signed = row["signed"] or ""
    try:
        payload = json.loads(base64.urlsafe_b64decode(signed.split(".")[1] + "==="))
        content = payload["object"]["content"].strip().replace("\r\n", "\n").replace("\r", "\n")
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        why.append(f"a signed message that cannot be read back ({exc!r})")
    else:
        if content != text:
            why.append(f"text {text!r} that is not the signed content {content!r}")
    if len(signed) > MAX_MESSAGE_BYTES:
        why.append(f"a signed message of {len(signed)} characters")
    return why


def _bad_thread(row: dict) -> list[str]:
    """§15.1: a thread's subject is one line, its state and origin one of a few."""
    subject, why = row["subject"], []
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT:
        why.append(f"subject {subject!r}")
    elif subject != subject.strip() or _controls(subject) or BIDI & set(subject):
        why.append(f"subject not one line of plain text {subject!r}")
    if row["state"] not in STATES:
        why.append(f"state {row['state']!r}")
    if row["started_by"] not in ("customer", "vendor", "offer"):
        why.append(f"started_by {row['started_by']!r}")
    vendor = json.loads(row["vendor"])
    name = vendor.get("name") if isinstance(vendor, dict) else None
    if not isinstance(name, str) or not 0 < len(name) <= 200 or name != name.strip():
        why.append(f"vendor {vendor!r}")
    elif _controls(name) or BIDI & set(name):
        why.append(f"vendor name not plain text {name!r}")
    return why


def _controls(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text)


def _bad_offer(row: dict) -> list[str]:
    """§14.2 and §14.4: what an offer the pod keeps may hold."""
    offer = json.loads(row["offer"])
    summary, price = offer.get("summary"), offer.get("price") or {}
    why = []
    if row["status"] != "received":
        why.append(f"status {row['status']!r}")
    if not isinstance(summary, str) or not 0 < len(summary.strip()) <= 2000:
        why.append(f"summary {summary!r}")
    elif any((ord(c) < 32 and c not in "\r\n\t") or c == "\x7f" for c in summary):
        why.append(f"control characters in the summary {summary!r}")
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", str(price.get("amount"))):
        why.append(f"price amount {price.get('amount')!r}")
    if not re.fullmatch(r"[A-Z]{3}", str(price.get("currency"))):
        why.append(f"currency {price.get('currency')!r}")
    link = offer.get("link")
    if link is not None and not (isinstance(link, str) and link.startswith("https://")):
        why.append(f"link {link!r}")
    return why


def _bad_request(row: dict) -> list[str]:
    why = []
    vendor = json.loads(row["vendor"])
    name = vendor.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 200 or name != name.strip():
        why.append(f"vendor name {name!r}")
    if row["status"] not in ("pending", "approved", "denied"):
        why.append(f"status {row['status']!r}")
    duration = row["duration_seconds"]
    if not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
        why.append(f"duration {duration!r}")
    purpose = json.loads(row["purpose"])
    if purpose.get("iri") not in purposes():
        why.append(f"purpose {purpose!r}")
    callback = row["callback"]
    if callback is not None and not callback.startswith("https://"):
        why.append(f"callback {callback!r}")
    try:
        for scope in scopes_from_json(json.loads(row["scopes"])):
            check_scope(scope, row["vendor_id"])
    except Exception as exc:  # any failure to read them back is the finding
        why.append(f"scopes {row['scopes']!r}: {exc!r}")
    return why


def probe(world: World, before: Snapshot, after: Snapshot, *, full: bool) -> list[str]:
    """After a write (or an exotic audited refusal), what the owner and vendors read of what
    changed must still work."""
    owner: list[tuple[str, str]] = []
    pages: list[str] = []
    changed = {t for t in before if before.raw[t] != after.raw[t]} if full else set()
    if not full:
        owner += [(p, "*/*") for p in AUDIT_VIEWS if p.startswith("/owner")]
        pages += [p for p in AUDIT_VIEWS if p.startswith("/app")]
    if "resources" in changed:
        pages += ["/app/data", "/app/data/turtle", "/app/records"]
        owner.append(("/data/", "text/turtle"))
        for key in set(before["resources"]) | set(after["resources"]):
            if before["resources"].get(key) == after["resources"].get(key):
                continue
            path = key[1]
            owner += [("/data" + path, media) for media in RDF]
            owner.append(("/data" + path.rstrip("/").rsplit("/", 1)[0] + "/", "text/turtle"))
            parts = path.split("/")
            if len(parts) == 4 and parts[1] == "vendors" and parts[3]:
                pages.append(f"/app/records/{parts[2]}/{parts[3]}")
    if "grants" in changed:
        pages += ["/app/grants", "/app/"]
        owner += [("/owner/grants", "*/*"), ("/status/revocation", "application/vc+jwt")]
        for key, row in after["grants"].items():
            if before["grants"].get(key) != row:
                pages.append(f"/app/grants/{row['id']}")
                owner.append((f"/owner/grants/{row['id']}/receipt", "*/*"))
    if "access_requests" in changed:
        pages += ["/app/requests", "/app/"]
        owner.append(("/owner/access-requests", "*/*"))
        for key, row in after["access_requests"].items():
            if before["access_requests"].get(key) != row:
                owner.append((f"/owner/access-requests/{row['id']}", "*/*"))
    if changed & {"api_tokens", "pods", "signing_keys"}:
        pages.append("/app/settings")
        owner += [(p, "*/*") for p in ("/owner/tokens", "/owner/terms", *PUBLIC)]
    vendors: list[tuple[Any, str]] = []
    threads = _changed_threads(before, after) if changed & set(THREAD_TABLES) else {}
    if threads:
        pages.append("/app/messages")
        owner.append(("/owner/threads", "*/*"))
        vendors.append((world.vendor_a, "/threads/"))
        for thread_id, row in threads.items():
            pages.append(f"/app/messages/{thread_id}")
            owner.append((f"/owner/threads/{thread_id}", "*/*"))
            if row["vendor_id"] == world.vendor_a.id:
                vendors.append((world.vendor_a, f"/threads/{thread_id}"))
            if row["offer_id"] == world.offer_id and row["vendor_id"] == world.vendor_d.id:
                vendors.append((world.vendor_d, world.offer_thread_url()[len(world.url) :]))
    broken = []
    for path, accept in dict.fromkeys(owner):
        _judge(broken, f"GET {path} (owner, Accept: {accept})", world.owner_get(path, accept))
    for path in dict.fromkeys(pages):
        _judge(broken, f"GET {path} (page)", world.page_get(path))
    for vendor, path in {path: (vendor, path) for vendor, path in vendors}.values():
        _judge(broken, f"GET {path} (vendor {vendor.name})", world.vendor_get(vendor, path))
    if threads:
        world.dirty()  # the owner opened them: they are read now (a change not in `after`)
    return broken


def _changed_threads(before: Snapshot, after: Snapshot) -> dict[str, dict]:
    """Threads (by id, as they are now) to read back after a change: new ones, those whose
    state changed, and those with a new or changed message or subject that is not short plain
    ASCII (another plain message, or the thread being read, shows nothing new)."""
    ids = {
        row["thread_id"]
        for key, row in after["thread_messages"].items()
        if before["thread_messages"].get(key) != row and _exotic(row["text"])
    }
    for key, row in after["threads"].items():
        was = before["threads"].get(key)
        if was is None or {k for k in row if row[k] != was[k]} - {"customer_read_at", "updated_at"}:
            ids.add(row["id"])  # new, or its state (or anything but being read or written to)
    return {row["id"]: row for row in after["threads"].values() if row["id"] in ids}


def _exotic(text: object) -> bool:
    return not isinstance(text, str) or len(text) > 400 or not all(" " <= c <= "~" for c in text)


def _judge(broken: list[str], what: str, response: WireResponse | None) -> None:
    if response is None:
        broken.append(f"after the request, {what} got no response")
    elif response.status >= 500:
        broken.append(f"after the request, {what} answered {response.status}")


def finding(
    world: World,
    endpoint: Endpoint,
    sent: Sent,
    response: WireResponse | None,
    problems: list[str],
    logged: str,
    *,
    probe: bool = False,
) -> Finding:
    entitled = (
        "owner" if sent.owner else f"vendor {sent.vendor.name}" if sent.vendor else "nothing"
    ) + (
        f" (may post one signed message as vendor {sent.message_by})"
        if sent.message_by
        else " (may submit one signed access request or offer)"
        if sent.may_submit
        else ""
    )
    report = [
        f"backend: {world.backend}",
        "problems:",
        *(f"  - {p}" for p in problems),
        "",
        "request as sent:",
        sent.wire.describe(world.port),
        "",
        f"entitled to change: {entitled}",
        "",
        "response:",
        response.describe() if response is not None else "(none)",
        "",
        "server log:" if logged else "server log: (nothing)",
        logged,
    ]
    if probe:
        report.insert(1, "(the request itself was answered; a read after it failed)")
    exceptions = [
        line
        for line in logged.splitlines()
        if re.match(r"[\w.]+(Error|Exception|Exit|Interrupt)\b", line)
    ]
    cause = exceptions[-1][:120] if exceptions else problems[0].split(":")[0][:120]
    return Finding(f"{endpoint.method} {endpoint.name}: {cause}", "\n".join(report))
