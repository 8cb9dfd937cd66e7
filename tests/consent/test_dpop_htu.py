"""DPoP proof checks (RFC 9449): htu normalisation, and which URLs are the same."""

from __future__ import annotations

import pytest

from pds.consent.dpop import normalize_htu
from pds.consent.errors import InvalidProof
from tests.consent.dpop_setup import make_proof, verify

# -- htu normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://pod.example/data/profile", "https://pod.example/data/profile"),
        ("HTTPS://POD.Example/data/profile", "https://pod.example/data/profile"),
        ("https://pod.example:443/data/profile", "https://pod.example/data/profile"),
        ("http://pod.example:80/data/profile", "http://pod.example/data/profile"),
        ("HTTP://POD.EXAMPLE:80/data/profile", "http://pod.example/data/profile"),
        ("http://pod.example:443/data/profile", "http://pod.example:443/data/profile"),
        ("https://pod.example:80/data/profile", "https://pod.example:80/data/profile"),
        ("https://pod.example:8443/data/profile", "https://pod.example:8443/data/profile"),
        ("https://pod.example/data/profile?x=1", "https://pod.example/data/profile"),
        ("https://pod.example/data/profile?x=1#me", "https://pod.example/data/profile"),
        ("https://pod.example/data/profile#me", "https://pod.example/data/profile"),
        ("https://pod.example", "https://pod.example/"),
        ("https://pod.example/data/pro%66ile", "https://pod.example/data/profile"),
        ("https://pod.example/data/%7Euser", "https://pod.example/data/~user"),
        ("https://pod.example/data/%7euser", "https://pod.example/data/~user"),
        ("https://pod.example/data/a%2fb", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a%2Fb", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a%3ab", "https://pod.example/data/a%3Ab"),
        ("https://pod.example/data/Profile", "https://pod.example/data/Profile"),
        ("https://pod.example:notaport/x", ""),
    ],
)
def test_htu_normalisation(url, normal):
    assert normalize_htu(url) == normal


def test_an_encoded_slash_is_not_the_same_url_as_a_slash():
    assert normalize_htu("https://pod.example/data/a%2Fb") != normalize_htu(
        "https://pod.example/data/a/b"
    )


def test_ipv6_hosts_keep_their_brackets_so_the_port_stays_apart():
    assert normalize_htu("http://[::1]:8000/data/profile") == "http://[::1]:8000/data/profile"
    assert normalize_htu("http://[::1]:8000/data/profile") != normalize_htu(
        "http://[::1:8000]/data/profile"
    )


@pytest.mark.parametrize(
    "htu",
    [
        "HTTPS://POD.EXAMPLE/data/profile",
        "https://pod.example:443/data/profile",
        "https://pod.example/data/profile?x=1",
        "https://pod.example/data/profile#fragment",
        "https://pod.example/data/pro%66ile",
    ],
)
def test_a_proof_whose_htu_differs_only_in_normal_form_is_accepted(private_key, htu):
    assert verify(make_proof(private_key, htu=htu))


@pytest.mark.parametrize(
    ("htu", "url"),
    [
        ("https://pod.example/data/a%2Fb", "https://pod.example/data/a/b"),
        ("https://pod.example/data/a/b", "https://pod.example/data/a%2Fb"),
        ("https://pod.example/data/a/../profile", "https://pod.example/data/profile"),
        ("https://pod.example/data/%2e%2e/profile", "https://pod.example/profile"),
        ("https://pod.example/data/profile/", "https://pod.example/data/profile"),
        ("https://pod.example:notaport/x", "https://pod.example/x"),
    ],
)
def test_a_proof_for_another_path_is_refused_however_it_is_spelled(private_key, htu, url):
    with pytest.raises(InvalidProof, match="htu"):
        verify(make_proof(private_key, htu=htu), url=url)
