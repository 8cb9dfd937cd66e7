"""Mutated requests to every endpoint: never a 5xx, never a write the request was not entitled to.

Each test starts from valid requests (the owner's token, the consent page's session and CSRF
token, a vendor's live grant with a fresh DPoP proof, a signed access request, a signed offer to
a published intent, a vendor's signed message to its thread) to every route in the app's
url_map, mutates them, sends them byte for byte to a live server on each backend, and checks that

- the answer is below 500 (and there is one);
- every table of the pod (but the audit log, replay records and notification queue) changed only
  as the request was entitled to: anything with the owner's valid credentials; with a vendor's
  own live grant and unspoilt proof, new documents in its own container, or giving that grant
  back; one pending access request, or one received offer, for an unspoilt signed submission;
  one message (and the thread it starts) for a signed message §15.2 accepts, in a thread of its
  signer; nothing at all for a GET or HEAD (but the owner opening a thread marks it read); and
  nothing stored breaks §1.3 paths, §4.2 requests, §14 offers or §15 threads and messages;
- nothing stored breaks what is read next (after a write, the owner's lists, the pages and the
  documents written are read back; after an audited refusal with odd text, the audit views).

`test_every_catalogued_hostile_value_once` sends each hostile value the mutations know once
(see `catalogue.py`) and reports every distinct failure; the hypothesis tests draw and combine
mutations at random (derandomized: the same examples every run) and shrink a failure to a small
example. Bugs found are pinned one by one in `test_known_bugs.py`.

Run them (about a minute per backend on 2 cores when nothing fails; shrinking adds time):

    .venv/bin/python -m pytest tests/fuzz

For a longer hunt, multiply the hypothesis examples: `PDS_FUZZ_SCALE=10 .venv/bin/python -m
pytest tests/fuzz -k "not catalogued"`.

A failure prints the backend, the request as it went on the wire, what it was entitled to
change, the response, and the server's traceback.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import catalogue
from tests.fuzz import messages as msg
from tests.fuzz import mutations as m
from tests.fuzz.checks import run_example
from tests.fuzz.exchange import Endpoint, base_exchange, callers, endpoints, materialize
from tests.fuzz.world import World


def examples(n: int) -> int:
    """`n`, times PDS_FUZZ_SCALE (e.g. 10 for a longer hunt than CI's)."""
    return max(1, round(n * float(os.environ.get("PDS_FUZZ_SCALE", "1"))))


FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# §1.5 and §12 of docs/protocol.md: every documented endpoint is served, and so fuzzed here.
DOCUMENTED = [
    ("GET", "/.well-known/pds-configuration"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/ns/context.jsonld"),
    ("POST", "/access-requests"),
    ("GET", "/access-requests/{request}"),
    ("HEAD", "/access-requests/{request}"),
    ("GET", "/data/profile"),
    ("HEAD", "/data/profile"),
    ("GET", "/data/vendors/{vendor}/"),
    ("POST", "/data/vendors/{vendor}/"),
    ("PUT", "/data/profile"),
    ("PATCH", "/data/profile"),
    ("DELETE", "/data/profile"),
    ("POST", "/grants/{grant}/return"),
    ("GET", "/status/revocation"),
    ("GET", "/owner"),
    ("POST", "/owner/claim"),
    ("POST", "/owner/password"),
    ("POST", "/owner/tokens"),
    ("GET", "/owner/tokens"),
    ("DELETE", "/owner/tokens/{token}"),
    ("GET", "/owner/access-requests"),
    ("GET", "/owner/access-requests/{request}"),
    ("POST", "/owner/access-requests/{request}/approve"),
    ("POST", "/owner/access-requests/{request}/deny"),
    ("GET", "/owner/grants"),
    ("GET", "/owner/grants/{grant}"),
    ("POST", "/owner/grants/{grant}/revoke"),
    ("POST", "/owner/grants/{grant}/shorten"),
    ("POST", "/owner/grants/{grant}/ask-deletion"),
    ("POST", "/grants/{grant}/deletion"),
    ("GET", "/owner/vendors/{vendor}/evidence"),
    ("GET", "/owner/grants/{grant}/receipt"),
    ("GET", "/owner/terms"),
    ("PUT", "/owner/terms"),
    ("GET", "/owner/audit"),
    ("POST", "/replies/{reply}"),
    ("GET", "/replies/{reply}/offers/{offer}"),
    ("POST", "/threads/"),
    ("GET", "/threads/"),
    ("HEAD", "/threads/"),
    ("GET", "/threads/{thread}"),
    ("HEAD", "/threads/{thread}"),
    ("POST", "/threads/{thread}"),
    ("GET", "/replies/{reply}/offers/{offer}/thread"),
    ("POST", "/replies/{reply}/offers/{offer}/thread"),
    ("GET", "/owner/threads"),
    ("POST", "/owner/threads"),
    ("GET", "/owner/threads/{thread}"),
    ("PATCH", "/owner/threads/{thread}"),
    ("POST", "/owner/threads/{thread}/messages"),
]


def _targets(world: World, keep=lambda endpoint, caller: True) -> list[tuple[Endpoint, str]]:
    return [
        (endpoint, caller)
        for endpoint in endpoints(world.app)
        for caller in callers(endpoint)
        if keep(endpoint, caller)
    ]


def _fuzz(world: World, data, family, keep=lambda endpoint, caller: True) -> None:
    targets = _targets(world, keep)
    if not targets:
        pytest.skip("the app has no endpoint for this family (yet)")
    endpoint, caller = data.draw(st.sampled_from(targets), label="endpoint, caller")
    variant = data.draw(st.integers(0, 7), label="variant")
    mutations = data.draw(st.lists(family, min_size=1, max_size=3), label="mutations")
    found = run_example(world, endpoint, caller, variant, mutations)
    if found is not None:
        raise AssertionError(found.report)


def _vendor_side(endpoint: Endpoint, caller: str) -> bool:
    return caller.startswith(("vendor", "poller"))


def _has_body(endpoint: Endpoint, caller: str) -> bool:
    return endpoint.method not in ("GET", "HEAD")


# -- coverage -------------------------------------------------------------------------------------


def test_every_documented_endpoint_is_served_and_fuzzed(world):
    adapter = world.app.url_map.bind("127.0.0.1")
    fuzzed = {(e.name, e.method) for e in endpoints(world.app)}
    ids = {
        "{request}": world.vendor_c.request_id,
        "{vendor}": world.vendor_a.id,
        "{grant}": world.vendor_a.grant_id,
        "{token}": world.spare_token_id,
        "{reply}": world.reply_token,
        "{offer}": world.offer_id,
        "{thread}": world.vendor_thread_id,
    }
    missing = []
    for method, template in DOCUMENTED:
        path = template
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
        name, _ = adapter.match(path, method=method)
        if (name, method) not in fuzzed:
            missing.append(f"{method} {template}")
    assert not missing, missing


def test_every_endpoint_has_a_valid_request_to_start_from(world):
    """The unmutated requests: none is a 5xx, and the ones a vendor or owner relies on work."""
    expected = {
        ("GET", "data.read", "owner_bearer"): 200,
        ("GET", "data.read", "vendor_a"): 200,
        ("POST", "data.append", "vendor_a"): 201,
        ("POST", "grants.submit_request", "submitter"): 202,
        ("GET", "grants.request_status", "poller_a"): 200,
        ("GET", "grants.request_status", "poller_c"): 200,
        ("GET", "owner_grants.list_requests", "owner_bearer"): 200,
        ("POST", "owner.create_token", "owner_basic"): 201,
        ("GET", "web.settings", "owner_page"): 200,
        ("POST", "web.create_token", "owner_page"): 303,  # POST-redirect-GET
        ("POST", "owner_grants.approve", "owner_bearer"): 201,
        ("POST", "grants.give_back", "vendor_a"): 200,
        ("POST", "threads.offer_message", "messenger_d"): 201,
        ("GET", "threads.offer_thread", "poller_d"): 200,
        ("POST", "threads.vendor_message", "messenger_a"): 201,
        ("GET", "threads.vendor_thread", "poller_a"): 200,
        ("POST", "threads.start_thread", "messenger_a"): 201,
        ("GET", "threads.vendor_threads", "poller_a"): 200,
        ("GET", "owner_threads.list_threads", "owner_bearer"): 200,
        ("GET", "owner_threads.get_thread", "owner_bearer"): 200,
        ("POST", "owner_threads.start_as_owner", "owner_bearer"): 201,
        ("POST", "owner_threads.reply", "owner_bearer"): 201,
        ("PATCH", "owner_threads.change_state", "owner_bearer"): 200,
        ("GET", "web.thread_page", "owner_page"): 200,
    }
    seen: dict[tuple[str, str, str], set[int]] = {}
    for endpoint, caller in _targets(world):
        world.ensure()
        sent = materialize(world, base_exchange(world, endpoint, caller, 0))
        response, transport, logged = world.send(sent.wire)
        assert response is not None, (sent.wire.describe(world.port), transport, logged)
        assert response.status < 500, (sent.wire.describe(world.port), response.describe(), logged)
        seen.setdefault((endpoint.method, endpoint.name, caller), set()).add(response.status)
        world.dirty()  # it may have been entitled to change the world: check it next time
    wrong = {k: (seen.get(k), want) for k, want in expected.items() if want not in seen.get(k, ())}
    assert not wrong, wrong


# -- the fuzzing ----------------------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(200))
@given(data=st.data())
def test_mutated_headers_and_methods(world, data):
    _fuzz(world, data, st.one_of(m.headers_family, m.methods_family, m.auth_family))


@settings(FUZZ, max_examples=examples(200))
@given(data=st.data())
def test_mutated_dpop_proofs_and_grants(world, data):
    _fuzz(world, data, st.one_of(m.proof_family, m.auth_family), keep=_vendor_side)


@settings(FUZZ, max_examples=examples(200))
@given(data=st.data())
def test_mutated_paths_and_query_strings(world, data):
    _fuzz(world, data, st.one_of(m.paths_family, m.queries_family, m.methods_family))


@settings(FUZZ, max_examples=examples(200))
@given(data=st.data())
def test_mutated_bodies_and_content_types(world, data):
    _fuzz(world, data, m.bodies_family, keep=_has_body)


@settings(FUZZ, max_examples=examples(120))
@given(data=st.data())
def test_mutated_access_requests(world, data):
    _fuzz(
        world,
        data,
        m.request_family,
        keep=lambda endpoint, caller: caller == "submitter",
    )


@settings(FUZZ, max_examples=examples(80))
@given(data=st.data())
def test_mutated_offers(world, data):
    _fuzz(world, data, m.offer_family, keep=lambda endpoint, caller: caller == "offerer")


@settings(FUZZ, max_examples=examples(80))
@given(data=st.data())
def test_mutated_messages(world, data):
    _fuzz(
        world,
        data,
        msg.message_family,
        keep=lambda endpoint, caller: caller.startswith("messenger"),
    )


@settings(FUZZ, max_examples=examples(150))
@given(data=st.data())
def test_any_mutations_anywhere(world, data):
    _fuzz(
        world,
        data,
        st.one_of(
            m.headers_family,
            m.auth_family,
            m.proof_family,
            m.paths_family,
            m.queries_family,
            m.bodies_family,
            m.methods_family,
        ),
    )


def _resolve(known: list[Endpoint], target: catalogue.Target) -> Endpoint | None:
    for endpoint in known:
        if (endpoint.name, endpoint.method) == (target.name, target.method) and bool(
            endpoint.arguments
        ) == target.with_arguments:
            return endpoint
    return None


def test_every_catalogued_hostile_value_once(world):
    """Each value the mutations know, sent once; every distinct failure is reported."""
    findings: dict[str, list] = {}
    known = endpoints(world.app)
    for family, target, mutations in catalogue.entries():
        endpoint = _resolve(known, target)
        if endpoint is None:  # renamed or gone: the hypothesis tests still reach what is there
            continue
        found = run_example(world, endpoint, target.caller, target.variant, mutations)
        if found is not None:
            findings.setdefault(found.kind, []).append((family, mutations, found.report))
    summary = [f"{len(cases)} x {kind}" for kind, cases in sorted(findings.items())]
    details = [
        f"=== {kind} ({len(cases)} requests; the first:) mutations {cases[0][1]!r}\n{cases[0][2]}"
        for kind, cases in sorted(findings.items())
    ]
    assert not findings, "\n".join(summary) + "\n\n" + "\n\n".join(details)
