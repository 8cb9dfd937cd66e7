"""Claiming the pod, owner credentials and tokens, over HTTP on both backends."""

from __future__ import annotations

import requests

from tests.conftest import PASSWORD, claim


def test_a_request_without_credentials_reads_nothing_and_says_why(server, anonymous, owner):
    owner.put(
        f"{server.url}/data/notes", data="<#a> <#b> <#c> .", headers={"Content-Type": "text/turtle"}
    )
    for path in ("/data/notes", "/data/", "/owner/tokens", "/owner/audit"):
        response = anonymous.get(server.url + path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="pod"'
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "owner token" in response.json()["detail"]
        assert "<#a>" not in response.text and "notes" not in response.text


def test_a_wrong_or_revoked_token_is_refused_with_the_reason(server, owner, owner_token):
    url = f"{server.url}/data/"
    wrong = requests.get(url, headers={"Authorization": "Bearer pds_0000_nope"}, timeout=10)
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert wrong.json()["detail"] == "the token is unknown"

    tampered = owner_token[:-2] + ("AA" if not owner_token.endswith("AA") else "BB")
    response = requests.get(url, headers={"Authorization": f"Bearer {tampered}"}, timeout=10)
    assert response.status_code == 401

    garbage = requests.get(url, headers={"Authorization": "Bearer x"}, timeout=10)
    assert garbage.status_code == 401
    assert "malformed" in garbage.json()["detail"]

    token_id = owner_token.split("_")[1]
    assert owner.delete(f"{server.url}/owner/tokens/{token_id}").status_code == 204
    revoked = owner.get(url)
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "the token was revoked"


def test_basic_auth_only_mints_tokens_it_does_not_read_data(server, owner):
    response = requests.get(f"{server.url}/data/", auth=("owner", PASSWORD), timeout=10)
    assert response.status_code == 401


def test_claiming_needs_the_setup_code_and_works_once(server, anonymous):
    url = f"{server.url}/owner/claim"
    code = server.pod.account.issue_setup_code()
    wrong = anonymous.post(url, json={"setup_code": "000000-000000-000000", "password": PASSWORD})
    assert wrong.status_code == 403
    assert "setup code" in wrong.json()["detail"]
    assert anonymous.get(f"{server.url}/owner").json()["claimed"] is False

    weak = anonymous.post(url, json={"setup_code": code, "password": "short"})
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.json()["detail"]

    assert anonymous.post(url, json={"setup_code": code, "password": PASSWORD}).status_code == 201
    assert anonymous.get(f"{server.url}/owner").json()["claimed"] is True

    again = anonymous.post(url, json={"setup_code": code, "password": "another password!"})
    assert again.status_code == 409


def test_guessing_the_setup_code_is_rate_limited(server, anonymous):
    server.pod.account.issue_setup_code()
    url = f"{server.url}/owner/claim"
    statuses = [
        anonymous.post(url, json={"setup_code": f"guess-{i}", "password": PASSWORD}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [403] * 10
    assert statuses[10] == 429
    limited = anonymous.post(url, json={"setup_code": "x", "password": PASSWORD})
    assert int(limited.headers["Retry-After"]) > 0


def test_tokens_are_shown_once_listed_without_secret_and_revocable(server, owner):
    created = owner.post(f"{server.url}/owner/tokens", json={"name": "backup script"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret = created.json()["token"]
    listing = owner.get(f"{server.url}/owner/tokens")
    assert secret not in listing.text
    names = [t["name"] for t in listing.json()["tokens"]]
    assert names == ["tests", "backup script"]

    script = requests.Session()
    script.headers["Authorization"] = f"Bearer {secret}"
    assert script.get(f"{server.url}/data/").status_code == 200
    owner.delete(f"{server.url}/owner/tokens/{created.json()['id']}")
    assert script.get(f"{server.url}/data/").status_code == 401
    assert owner.delete(f"{server.url}/owner/tokens/doesnotexist").status_code == 404


def test_minting_a_token_with_a_wrong_password_is_refused(server):
    claim(server)
    response = requests.post(
        f"{server.url}/owner/tokens",
        json={"name": "x"},
        auth=("owner", "wrong password"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong password"


def test_password_change_needs_the_old_password(server, owner):
    url = f"{server.url}/owner/password"
    bad = owner.post(url, json={"old_password": "nope nope nope", "new_password": "a new long one"})
    assert bad.status_code == 401
    ok = owner.post(url, json={"old_password": PASSWORD, "new_password": "a new long one"})
    assert ok.status_code == 204
    minted = requests.post(
        f"{server.url}/owner/tokens",
        json={"name": "x"},
        auth=("owner", "a new long one"),
        timeout=10,
    )
    assert minted.status_code == 201


def test_the_audit_log_records_owner_security_events_and_filters(server, owner):
    owner.post(f"{server.url}/owner/tokens", json={"name": "second"})
    events = owner.get(f"{server.url}/owner/audit").json()["events"]
    actions = [e["action"] for e in events]
    assert actions[:3] == ["owner.token.create", "owner.token.create", "owner.claim"]
    created = owner.get(f"{server.url}/owner/audit", params={"action": "owner.token.create"})
    assert [e["detail"]["name"] for e in created.json()["events"]] == ["second", "tests"]
    assert all("token" not in e["detail"] or len(e["detail"]["token"]) == 16 for e in events)
    bad = owner.get(f"{server.url}/owner/audit", params={"since": "yesterday"})
    assert bad.status_code == 400


def test_bad_json_bodies_get_clear_problems(server, anonymous):
    url = f"{server.url}/owner/claim"
    not_json = anonymous.post(url, data="{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["title"] == "Malformed JSON"
    form = anonymous.post(url, data={"setup_code": "x"})
    assert form.status_code == 415
    missing = anonymous.post(url, json={"setup_code": "x"})
    assert missing.status_code == 422
    assert "'password'" in missing.json()["detail"]


def test_every_response_carries_security_headers_and_unknown_routes_are_problems(server):
    response = requests.get(f"{server.url}/nothing-here", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
