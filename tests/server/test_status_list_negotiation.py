"""§9.3: the status list comes signed when `Accept` names `application/vc+jwt` at a quality no
lower than the JSON forms; otherwise as plain JSON. Caches are told the answer varies."""

from __future__ import annotations

import pytest
import requests

SIGNED, UNSIGNED = "application/vc+jwt", "application/vc+ld+json"

ACCEPT = {
    "signed only": ("application/vc+jwt", SIGNED),
    "both, signed preferred on a tie": ("application/json, application/vc+jwt", SIGNED),
    "both forms, signed listed last": ("application/vc+ld+json, application/vc+jwt", SIGNED),
    "signed at a higher quality": ("application/json;q=0.5, application/vc+jwt", SIGNED),
    "signed at a lower quality": ("application/vc+jwt;q=0.5, application/json", UNSIGNED),
    "signed refused": ("application/vc+jwt;q=0, */*", UNSIGNED),
    "anything": ("*/*", UNSIGNED),
    "json": ("application/json", UNSIGNED),
    "none": (None, UNSIGNED),
}


@pytest.mark.parametrize(("accept", "served"), ACCEPT.values(), ids=ACCEPT)
def test_the_status_list_form_follows_accept(server, accept, served):
    headers = {"Accept": accept} if accept else {}
    response = requests.get(f"{server.url}/status/revocation", headers=headers, timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == served
    assert "Accept" in response.headers["Vary"]
    if served == SIGNED:
        assert response.text.count(".") == 2  # a compact JWS
    else:
        assert response.json()["credentialSubject"]["statusPurpose"] == "revocation"
