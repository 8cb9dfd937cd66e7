"""Standing rules on the consent page: decide once for requests of a kind, see what the rules
decided (the digest), and undo any of it with one click."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from pds.consent import ConsentError
from pds.consent.agreements import roster
from pds.consent.requests import purposes
from pds.consent.rules import Rule
from pds.consent.scopes import fields_of
from pds.server.current import current_pod
from pds.server.web.blueprint import bp
from pds.server.web.session import owner_required

# What a rule may let vendors read without asking: the customer's typed documents.
RULE_RESOURCES = ("/profile", "/preferences")


@bp.get("/rules")
@owner_required
def rules_page():
    return _rules_page()


def _rules_page(status: int = 200, error: str | None = None):
    pod = current_pod()
    terms = _term_titles()
    return (
        render_template(
            "rules.html",
            rules=pod.rules.listed(),
            digest=pod.rules.digest(),
            purposes=sorted(purposes().items(), key=lambda item: item[1]["label"]),
            terms=terms,
            resources={path: fields_of(path) for path in RULE_RESOURCES},
            rule_words=lambda rule: rule_words(rule, terms),
            agreement=pod.agreements.preferred(),
            error=error,
            form=request.form,
        ),
        status,
    )


def _term_titles() -> dict[str, str]:
    return {t["id"]: t["title"] for t in current_pod().terms.current()}


@bp.post("/rules")
@owner_required
def add_rule():
    form = request.form
    effect = form.get("effect", "")
    raw: dict = {"effect": effect, "purposes": form.getlist("purpose")}
    if effect == "allow":
        raw["terms"] = form.getlist("term")
        raw["agreements"] = form.getlist("agreement")
        raw["scopes"] = [
            {"resource": path, "modes": ["read"], "fields": form.getlist(f"field{path}")}
            for path in RULE_RESOURCES
            if form.getlist(f"field{path}")
        ]
        days = form.get("max_days", "")
        raw["max_days"] = int(days) if days.isascii() and days.isdigit() and len(days) < 5 else 0
    try:
        rule = current_pod().rules.add(raw)
    except ConsentError as exc:
        return _rules_page(400, str(exc)[:1].upper() + str(exc)[1:] + ".")
    flash(f"Rule added: {rule_words(rule, _term_titles())}")
    return redirect(url_for("web.rules_page"))


@bp.post("/rules/<rule_id>/remove")
@owner_required
def remove_rule(rule_id: str):
    current_pod().rules.remove(rule_id)
    flash("Rule removed. Requests it would have decided now wait for you.")
    return redirect(url_for("web.rules_page"))


@bp.post("/rules/decided/<request_id>/undo")
@owner_required
def undo_rule_decision(request_id: str):
    undone = current_pod().rules.undo(request_id)
    name = undone.vendor.get("name", "the vendor")
    if undone.status == "pending":
        flash(f"{name}'s request is back among those waiting for you.")
    else:
        flash(f"{name} can no longer read what your rule let it read.")
    return redirect(request.form.get("back") or url_for("web.rules_page"))


def rule_words(rule: Rule, terms: dict[str, str]) -> str:
    """A rule as the customer would say it."""
    labels = purposes()
    why = " or ".join(labels.get(p, {}).get("label", p).lower() for p in sorted(rule.purposes))
    if rule.effect == "deny":
        return f"Always say no to requests for {why}."
    names = {f["iri"]: f["name"] for path in RULE_RESOURCES for f in fields_of(path)}
    what = []
    for scope in rule.scopes:
        if scope.fields is None:
            what.append(f"all of your {scope.resource.strip('/')}")
        else:
            what.extend(sorted(names.get(f, f).lower() for f in scope.fields))
    accepted = [f"“{terms.get(t, t)}”" for t in sorted(rule.terms)]
    agreements = roster()
    accepted += [
        f"your agreement “{agreements[a].title}” ({a})" if a in agreements else a
        for a in sorted(rule.agreements)
    ]
    who = "vendors" + (" that accept " + " and ".join(accepted) if accepted else "")
    days = f"{rule.max_days} day{'s' if rule.max_days != 1 else ''}"
    return f"Allow {who} to read {', '.join(what)} for {why}, for at most {days}."
