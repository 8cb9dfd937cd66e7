"""Look-alike and confusable domains, with the tricks phishing really uses (§18.3)."""

from __future__ import annotations

import pytest

from pds.consent.domain_names import KnownDomain, ascii_domain, brands, shown_domain, warnings

SHOP_ID, OTHER_ID = "S" * 43, "O" * 43
SHOP = KnownDomain("shop.example", "Example Shop", SHOP_ID)  # a vendor the customer shares with
KNOWN = [SHOP, *brands()]
# Written with escapes, so that this file shows what the eye cannot tell apart.
CYRILLIC_PAYPAL = "\u0440\u0430ypal.com"  # paypal with a Cyrillic er and a
CYRILLIC_APPLE = "\u0430\u0440\u0440\u04cf\u0435.com"  # apple, every letter Cyrillic
CYRILLIC_SHOP = "\u0455hop.example"  # shop.example with a Cyrillic dze


def told(host: str, *, verified: bool = False, vendor_id: str = OTHER_ID) -> list[tuple]:
    """The warnings about `host` as (kind, domain it looks like or alphabets or ASCII form)."""
    domain = ascii_domain(host)
    assert domain is not None, host
    return [
        (w.kind, w.like.domain if w.like else (w.scripts or w.ascii))
        for w in warnings(domain, vendor_id, verified, KNOWN)
    ]


@pytest.mark.parametrize(
    "host",
    [CYRILLIC_PAYPAL, "xn--ypal-43d9g.com", "XN--YPAL-43D9G.COM"],
    ids=["cyrillic-r-and-a", "punycode", "punycode-upper-case"],
)
def test_cyrillic_letters_in_paypal_are_seen_through_in_any_form(host):
    assert told(host) == [
        ("looks-like", "paypal.com"),
        ("mixed-scripts", ("Latin", "Cyrillic")),
        ("unusual-letters", "xn--ypal-43d9g.com"),
    ]
    assert shown_domain(ascii_domain(host)) == CYRILLIC_PAYPAL


@pytest.mark.parametrize(
    ("host", "like"),
    [
        ("paypa1.com", "paypal.com"),  # digit one for l
        ("g00gle.com", "google.com"),  # digit zero for o
        ("rnicrosoft.com", "microsoft.com"),  # r and n for m
        ("pay-pal.com", "paypal.com"),
        ("paypal.co", "paypal.com"),  # the same name, another ending
        ("www.paypal.net", "paypal.com"),
        ("paypal-login.com", "paypal.com"),
        ("secure-paypal.com", "paypal.com"),
        ("paypal.com.evil.net", "paypal.com"),  # the real name as a subdomain
        ("ebay.com.evil.net", "ebay.com"),
        ("fedex-friends.org", "fedex.com"),
    ],
)
def test_ascii_tricks_look_like_the_brand(host, like):
    assert told(host) == [("looks-like", like)]


def test_a_name_in_another_alphabet_that_reads_as_latin_is_flagged():
    # All Cyrillic: no mixing to see, but it reads "apple".
    assert told(CYRILLIC_APPLE) == [
        ("looks-like", "apple.com"),
        ("other-alphabet", ("Cyrillic",)),
        ("unusual-letters", "xn--80ak6aa92e.com"),
    ]


@pytest.mark.parametrize(
    "host", ["shop-example.com", "shop.com", "shop.example.evil.net", CYRILLIC_SHOP]
)
def test_look_alikes_of_a_vendor_the_customer_shares_with(host):
    kinds = told(host)
    assert kinds[0] == ("looks-like", "shop.example")
    assert warnings(ascii_domain(host), OTHER_ID, True, KNOWN)[0].like == SHOP  # proven or not


def test_another_key_claiming_a_known_site_is_flagged_until_the_site_confirms_it():
    assert told("shop.example") == [("same-site-other-key", "shop.example")]
    assert told("checkout.shop.example") == [("same-site-other-key", "shop.example")]
    assert told("paypal.com") == [("same-site-other-key", "paypal.com")]
    assert told("shop.example", verified=True) == []  # the site lists this key too
    assert told("paypal.com", verified=True) == []
    assert told("shop.example", vendor_id=SHOP_ID) == []  # the vendor itself


@pytest.mark.parametrize(
    "host",
    ["pineapple.shop", "workshop.example", "shopping.example", "wiser.io", "example.com"],
)
def test_ordinary_names_are_left_alone(host):
    assert told(host) == []


@pytest.mark.parametrize(
    ("host", "ascii"), [("bücher.de", "xn--bcher-kva.de"), ("münchen.de", "xn--mnchen-3ya.de")]
)
def test_ordinary_accents_get_only_a_note_with_the_plain_form(host, ascii):
    found = warnings(ascii_domain(host), OTHER_ID, False, KNOWN)
    assert [(w.kind, w.serious, w.ascii) for w in found] == [("unusual-letters", False, ascii)]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "::1",
        "0x7f.1",  # an address in a form resolvers read
        "shop_x.example",  # not a letter, digit or hyphen
        "-shop.example",
        "\U0001f4a9.la",  # an emoji: not in IDNA 2008
        "xn--zzzzzzz-.com",  # punycode that decodes to nothing valid
        "",
    ],
)
def test_what_is_not_a_domain_name(host):
    assert ascii_domain(host) is None
