"""Conversations with vendors: the list with unread counts, one thread to read and answer,
mute or close, and writing first to a vendor or about an offer. No JavaScript needed."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from pds.consent import ConsentError
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.session import is_signed_in, owner_required

STATE_ACTIONS = {
    "muted": "Muted: new messages are kept, but not counted as new.",
    "open": "Open again: you and the vendor can write.",
    "closed": "Closed: nobody can write until you open it again.",
}


@bp.app_context_processor
def _unread_messages():
    def unread_messages() -> int:
        return current_pod().threads.unread() if is_signed_in() else 0

    return {"unread_messages": unread_messages}


@bp.get("/messages")
@owner_required
def threads_page():
    pod = current_pod()
    threads = pod.threads.all()
    grants = pod.grants.list()
    # Whom the customer can write to first: vendors that hold or held a grant.
    vendors = {g.vendor_id: g.vendor.get("name", g.vendor_id) for g in reversed(grants)}
    ordered = sorted(vendors.items(), key=lambda v: v[1].lower())
    return render_template("threads.html", threads=threads, vendors=ordered)


@bp.post("/messages")
@owner_required
def start_thread():
    pod = current_pod()
    form = request.form
    try:
        thread = pod.threads.start(
            form.get("vendor", ""), form.get("subject", ""), form.get("text", "")
        )
    except ConsentError as exc:
        flash(f"Not sent: {exc}.", "error")
        return redirect(url_for("web.threads_page") + "#write")
    flash("Sent.")
    return redirect(url_for("web.thread_page", thread_id=thread.id) + "#last")


@bp.get("/messages/<thread_id>")
@owner_required
def thread_page(thread_id: str):
    pod = current_pod()
    view = pod.threads.get(thread_id)
    unread = view.thread.unread
    pod.threads.mark_read(thread_id)
    first_new = len(view.messages) - unread if unread else None
    return render_template(
        "thread.html", thread=view.thread, messages=view.messages, first_new=first_new
    )


@bp.post("/messages/<thread_id>")
@owner_required
def reply(thread_id: str):
    pod = current_pod()
    try:
        pod.threads.reply(thread_id, request.form.get("text", ""))
    except ConsentError as exc:
        flash(f"Not sent: {exc}.", "error")
        return redirect(url_for("web.thread_page", thread_id=thread_id) + "#reply")
    flash("Sent.")
    return redirect(url_for("web.thread_page", thread_id=thread_id) + "#last")


@bp.post("/messages/<thread_id>/<any(muted, open, closed):state>")
@owner_required
def thread_state(thread_id: str, state: str):
    current_pod().threads.set_state(thread_id, state)
    flash(STATE_ACTIONS[state])
    return redirect(url_for("web.thread_page", thread_id=thread_id))


@bp.post("/offers/<offer_id>/messages")
@owner_required
def offer_thread(offer_id: str):
    """The conversation about an offer, started now if nobody has written yet."""
    thread = current_pod().threads.about_offer(offer_id)
    return redirect(url_for("web.thread_page", thread_id=thread.id) + "#reply")
