"""The pod's signing keys on its own clock: a new pod signs at once; a rotated-in key is
published at once and signs only after the publication delay (protocol §2.3, §13.6)."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from pds.consent import keys as pod_keys
from pds.consent import open_pod
from pds.consent.keys import PUBLICATION_DELAY, KeyState
from tests.conftest import CHEAP_HASHER

SECOND = dt.timedelta(seconds=1)


class StoppedClock:
    """Time stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, by: dt.timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock()


def open_at(store, pod_name: str, clock: StoppedClock):
    url = f"http://{pod_name}.localhost:9999"
    return open_pod(store, pod_name, url, password_hasher=CHEAP_HASHER, clock=clock)


@pytest.fixture
def pod(store, pod_name, clock):
    return open_at(store, pod_name, clock)


def kids(pod) -> list[str]:
    return [k["kid"] for k in pod.jwks()["keys"]]


def states(pod) -> list[tuple[str, KeyState]]:
    return [(k.kid, k.state) for k in pod.signing_keys()]


def signed_by(pod) -> str:
    return jwt.get_unverified_header(pod.ctx.keys.sign({"sub": "x"}, "test+jwt"))["kid"]


def test_the_first_key_of_a_new_pod_signs_at_once(pod, clock):
    first = pod.signing_kid

    [key] = pod.signing_keys()
    assert (key.kid, key.state, key.signs_from, key.signs_until) == (
        first,
        KeyState.ACTIVE,
        clock.now,
        None,
    )
    assert kids(pod) == [first]
    assert signed_by(pod) == first


def test_a_rotated_key_is_published_at_once_and_signs_only_after_the_publication_delay(pod, clock):
    first = pod.signing_kid

    new = pod.rotate_keys()

    assert (new.state, new.signs_from) == (KeyState.NEXT, clock.now + PUBLICATION_DELAY)
    assert kids(pod) == [new.kid, first]
    assert states(pod) == [(new.kid, KeyState.NEXT), (first, KeyState.ACTIVE)]
    assert pod.signing_keys()[1].signs_until == new.signs_from
    assert pod.signing_kid == signed_by(pod) == first

    clock.advance(PUBLICATION_DELAY - SECOND)
    assert pod.signing_kid == signed_by(pod) == first

    clock.advance(SECOND)
    assert pod.signing_kid == signed_by(pod) == new.kid
    assert states(pod) == [(new.kid, KeyState.ACTIVE), (first, KeyState.RETIRED)]
    assert kids(pod) == [new.kid, first], "the retired key still verifies what it signed"


def test_keys_made_during_a_publication_delay_sign_in_the_order_they_were_made(pod, clock):
    first = pod.signing_kid
    second = pod.rotate_keys()
    clock.advance(dt.timedelta(minutes=1))
    third = pod.rotate_keys()
    clock.advance(SECOND)
    hurried = pod.rotate_keys(publication_delay=dt.timedelta(0))

    # A shorter delay never jumps the queue: it starts with the last key made before it.
    assert hurried.signs_from == third.signs_from
    assert pod.signing_kid == first
    clock.advance(PUBLICATION_DELAY - dt.timedelta(minutes=1) - SECOND)
    assert pod.signing_kid == second.kid
    clock.advance(dt.timedelta(minutes=1))
    assert pod.signing_kid == hurried.kid
    assert states(pod) == [
        (hurried.kid, KeyState.ACTIVE),
        (third.kid, KeyState.RETIRED),
        (second.kid, KeyState.RETIRED),
        (first, KeyState.RETIRED),
    ]


def test_another_server_publishes_the_new_key_when_it_reloads_and_signs_with_it_only_later(
    store, pod_name, pod, clock, monkeypatch
):
    other = open_at(store, pod_name, clock)  # another process: its own cache of the keys
    first = other.signing_kid

    new = pod.rotate_keys()
    monkeypatch.setattr(pod_keys, "RELOAD_SECONDS", 0)  # its reload interval has passed

    assert kids(other) == [new.kid, first]
    assert other.signing_kid == first
    clock.advance(PUBLICATION_DELAY)
    assert other.signing_kid == new.kid


def test_a_key_cannot_sign_before_it_is_published(pod):
    first = pod.signing_kid

    with pytest.raises(ValueError, match="before it is published"):
        pod.rotate_keys(publication_delay=-SECOND)

    assert kids(pod) == [first]
