"""Conversations over HTTP (§15): vendors post signed messages into a thread's inbox and read
their own threads with DPoP proofs of their key; the owner API reads, answers and closes them.

A thread is an ActivityStreams 2.0 `OrderedCollection` of `Note`s, served as JSON-LD; each
thread is its own Linked Data Notifications inbox (`Link: rel="…ldp#inbox"`), which takes
vendors' messages as signed JWS (`application/jwt`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, request

from pds.consent import Message, Thread, ThreadView
from pds.consent.messages import AS2, MAX_MESSAGE_BYTES
from pds.consent.vendor_threads import Posted
from pds.server.auth import require_owner
from pds.server.current import current_pod
from pds.server.http import (
    JWT_MEDIA_TYPE,
    entity_tags,
    field,
    public_url,
    read_compact_jws,
    read_json,
)
from pds.server.offers_api import RELAY_REPLY
from pds.server.problems import Problem

bp = Blueprint("threads", __name__)
owner_bp = Blueprint("owner_threads", __name__, url_prefix="/owner")

AS2_MEDIA_TYPE = f'application/ld+json; profile="{AS2}"'
LDP_INBOX = "http://www.w3.org/ns/ldp#inbox"
PAGE = 20  # messages in one answer: a thread through a relay stays well under its limit
# The members of the pod's context a thread uses beyond ActivityStreams.
_CONTEXT = [AS2, {"state": "https://w3id.org/vrm-pod/ns#threadState"}]


# -- vendors -------------------------------------------------------------------------------------


@bp.post("/threads/")
def start_thread():
    """A vendor holding a live grant starts a thread with its first message."""
    posted = current_pod().vendor_threads.vendor_start(_signed_message(), public_url())
    return _posted(current_pod().threads.url(posted.thread_id), posted)


@bp.get("/threads/")
def vendor_threads():
    """The threads of the vendor whose key signed the proof."""
    pod = current_pod()
    vendor_id = _proven_vendor(public_url())
    threads = pod.vendor_threads.of_vendor(vendor_id)
    body = {
        "@context": _CONTEXT,
        "id": public_url(),
        "type": "Collection",
        "totalItems": len(threads),
        "items": [_summary(pod.threads.url(t.id), t) for t in threads],
    }
    return _as2(body)


@bp.get("/threads/<thread_id>")
def vendor_thread(thread_id: str):
    pod = current_pod()
    url = public_url()
    view = pod.vendor_threads.vendor_view(thread_id, _proven_vendor(url))
    return _collection(url, view)


@bp.post("/threads/<thread_id>")
def vendor_message(thread_id: str):
    url = public_url()
    posted = current_pod().vendor_threads.vendor_post(thread_id, _signed_message(), url)
    return _posted(url, posted)


@bp.get("/replies/<reply_token>/offers/<offer_id>/thread")
def offer_thread(reply_token: str, offer_id: str):
    """The thread about an offer, for the vendor that made it (through a relay, or not)."""
    pod = current_pod()
    url = _offer_thread_url(reply_token, offer_id)
    view = pod.vendor_threads.offer_view(reply_token, offer_id, _proven_vendor(url))
    if view is None:  # nobody has written yet: an empty thread, open
        body = {
            "@context": _CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "state": "open",
            "totalItems": 0,
            "orderedItems": [],
        }
        return _as2(body, url)
    return _collection(url, view)


@bp.post("/replies/<reply_token>/offers/<offer_id>/thread")
def offer_message(reply_token: str, offer_id: str):
    url = _offer_thread_url(reply_token, offer_id)
    signed = _signed_message()
    posted = current_pod().vendor_threads.offer_post(reply_token, offer_id, signed, url)
    return _posted(url, posted)


def _offer_thread_url(reply_token: str, offer_id: str) -> str:
    """The thread's URL as the vendor addresses it: at the relay the offer came through (the
    vendor must not learn the pod), else at the pod."""
    pod = current_pod()
    relayed = pod.offers.relayed_status_url(reply_token, offer_id, request.headers.get(RELAY_REPLY))
    return f"{relayed}/thread" if relayed else public_url()


def _proven_vendor(url: str) -> str:
    return current_pod().vendor_data.prove_key(
        request.headers.get("DPoP"), method=request.method, url=url
    )


def _signed_message() -> str:
    return read_compact_jws("message", "malformed-message", MAX_MESSAGE_BYTES)


def _posted(url: str, posted: Posted) -> tuple[dict[str, Any], int, dict]:
    state = "closed" if posted.state == "closed" else "open"  # as the vendor sees it
    body = {"id": f"{url}#{posted.message.id}", "thread": url, "state": state}
    return body, 201, {"Location": f"{url}#{posted.message.id}", "Cache-Control": "no-store"}


def _collection(url: str, view: ThreadView) -> Response:
    """The thread's latest PAGE messages (or those before `?before=<message id>`), oldest first,
    with a `prev` link to the page before when there is one."""
    thread, messages = view.thread, view.messages
    before = request.args.get("before")
    if before is not None:
        ids = [m.id for m in messages]
        if before not in ids:
            raise Problem(
                400, "invalid-query", "Invalid query", "before names no message of this thread"
            )
        messages = messages[: ids.index(before)]
    page = messages[-PAGE:]
    body = {
        "@context": _CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "name": thread.subject,
        "state": _as_vendor_sees(thread),
        "published": thread.created_at.isoformat(),
        "totalItems": len(view.messages),
        "orderedItems": [_note(url, thread, m) for m in page],
    }
    if len(messages) > len(page):
        body["prev"] = f"{url}?before={page[0].id}"
    return _as2(body, url)


def _note(url: str, thread: Thread, message: Message) -> dict[str, Any]:
    author = (
        f"{url}#customer"
        if message.by_customer
        else f"urn:ietf:params:oauth:jwk-thumbprint:sha-256:{thread.vendor_id}"  # RFC 9278
    )
    return {
        "id": f"{url}#{message.id}",
        "type": "Note",
        "attributedTo": author,
        "mediaType": "text/plain",
        "content": message.text,
        "published": message.created_at.isoformat(),
    }


def _summary(url: str, thread: Thread) -> dict[str, Any]:
    return {
        "id": url,
        "type": "OrderedCollection",
        "name": thread.subject,
        "state": _as_vendor_sees(thread),
        "totalItems": thread.messages,
        "updated": thread.updated_at.isoformat(),
    }


def _as_vendor_sees(thread: Thread) -> str:
    """Open or closed: muting is the customer's own business, and changes nothing for the
    vendor (its messages are kept, and it may keep writing)."""
    return "closed" if thread.state == "closed" else "open"


def _as2(body: dict[str, Any], inbox: str | None = None) -> Response:
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    tag = hashlib.sha256(data).hexdigest()[:32]
    headers = {"ETag": f'"{tag}"', "Cache-Control": "private, no-cache", "Vary": "DPoP"}
    if inbox is not None:
        headers["Link"] = f'<{inbox}>; rel="{LDP_INBOX}"'
        headers["Accept-Post"] = JWT_MEDIA_TYPE
    tags = entity_tags(request.headers.get("If-None-Match"))
    if tags is not None and ("*" in tags or tag in tags):
        return Response(status=304, headers=headers)
    return Response(data, 200, content_type=AS2_MEDIA_TYPE, headers=headers)


# -- the owner -----------------------------------------------------------------------------------


@owner_bp.before_request
def _owner_only():
    require_owner()


@owner_bp.get("/threads")
def list_threads():
    pod = current_pod()
    return {"threads": [thread_json(t) for t in pod.threads.all()], "unread": pod.threads.unread()}


@owner_bp.post("/threads")
def start_as_owner():
    """{"vendor": id, "subject": text, "text": text}, or {"offer": id, "text": text}."""
    pod = current_pod()
    data = read_json()
    if "offer" in data:
        thread = pod.threads.about_offer(field(data, "offer"), field(data, "text"))
    else:
        thread = pod.threads.start(
            field(data, "vendor"), field(data, "subject"), field(data, "text")
        )
    view = pod.threads.get(thread.id)
    return thread_json(view.thread, view), 201, {"Location": f"/owner/threads/{thread.id}"}


@owner_bp.get("/threads/<thread_id>")
def get_thread(thread_id: str):
    """The thread and its messages; reading it marks the vendor's messages read."""
    pod = current_pod()
    pod.threads.mark_read(thread_id)
    view = pod.threads.get(thread_id)
    return thread_json(view.thread, view)


@owner_bp.post("/threads/<thread_id>/messages")
def reply(thread_id: str):
    """{"text": …}: the customer's answer."""
    pod = current_pod()
    message = pod.threads.reply(thread_id, field(read_json(), "text"))
    return message_json(message), 201


@owner_bp.patch("/threads/<thread_id>")
def change_state(thread_id: str):
    """{"state": "open" | "muted" | "closed"}."""
    thread = current_pod().threads.set_state(thread_id, field(read_json(), "state"))
    return thread_json(thread)


def thread_json(thread: Thread, view: ThreadView | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": thread.id,
        "vendor_id": thread.vendor_id,
        "vendor": thread.vendor,
        "subject": thread.subject,
        "started_by": thread.started_by,
        "offer": thread.offer_id,
        "state": thread.state,
        "created_at": thread.created_at.isoformat(),
        "updated_at": thread.updated_at.isoformat(),
        "message_count": thread.messages,
        "unread": thread.unread,
    }
    if view is not None:
        out["messages"] = [message_json(m) for m in view.messages]
    return out


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": "customer" if message.by_customer else "vendor",
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
