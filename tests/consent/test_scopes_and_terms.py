"""What a vendor may ask for (scopes), the customer's terms, and the revocation status list."""

from __future__ import annotations

import base64
import gzip

import pytest

from pds.consent.errors import InvalidInput
from pds.consent.scopes import (
    APPEND,
    MAX_SCOPES,
    READ,
    Scope,
    parse_scopes,
    scopes_from_json,
)
from pds.consent.status_list import LIST_BITS, encoded_list, is_set
from pds.consent.terms import DEFAULT_TERMS, check_accepted, current_terms, validate_terms

SCHEMA = "https://schema.org/"
EMAIL, NAME = SCHEMA + "email", SCHEMA + "name"
PDS = "https://w3id.org/vrm-pod/ns#"
VENDOR = "V" * 43  # a vendor id is an RFC 7638 thumbprint: 43 base64url characters
OTHER_VENDOR = "W" * 43
OWN = f"/vendors/{VENDOR}/"


def refused(raw, says: str, vendor_id: str = VENDOR) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_scopes(raw, vendor_id)
    assert says in str(caught.value)


# -- parse_scopes ------------------------------------------------------------------------------


def test_a_field_limited_read_of_the_profile_is_understood():
    [scope] = parse_scopes([{"resource": "/profile", "modes": [READ], "fields": [EMAIL]}], VENDOR)
    assert scope == Scope("/profile", frozenset({READ}), frozenset({EMAIL}))


def test_modes_default_to_read_and_fields_to_all():
    [scope] = parse_scopes([{"resource": "/preferences"}], VENDOR)
    assert scope == Scope("/preferences", frozenset({READ}), None)


def test_a_vendor_may_read_and_append_in_its_own_container():
    [scope] = parse_scopes([{"resource": OWN, "modes": [READ, APPEND]}], VENDOR)
    assert scope.modes == {READ, APPEND} and scope.fields is None


@pytest.mark.parametrize(
    "resource",
    [
        "/secrets",
        "/owner",
        "/",
        "/profile/",
        "/Profile",
        "/profile/extra",
        "/preferences/food",
        "/vendors/",
        "/vendors/short/",
        f"/vendors/{VENDOR}",
        f"/vendors/{VENDOR}/records/",
        f"/vendors/{VENDOR}x/",
        f"/vendors/{VENDOR[:-1]}!/",
        f"/vendors/../{VENDOR}/",
    ],
)
def test_an_unknown_resource_is_refused(resource):
    refused([{"resource": resource}], "unknown resource")


def test_an_unknown_field_is_refused_and_named():
    raw = [{"resource": "/profile", "fields": [EMAIL, SCHEMA + "creditCard"]}]
    refused(raw, "unknown field(s) of /profile: https://schema.org/creditCard")


def test_a_field_of_another_resource_is_unknown_here():
    refused([{"resource": "/preferences", "fields": [EMAIL]}], "unknown field(s) of /preferences")
    refused(
        [{"resource": "/profile", "fields": [PDS + "interest"]}], "unknown field(s) of /profile"
    )


@pytest.mark.parametrize("resource", ["/profile", "/preferences"])
def test_append_on_a_typed_resource_is_refused(resource):
    refused([{"resource": resource, "modes": [APPEND]}], "can only be read")
    refused([{"resource": resource, "modes": [READ, APPEND]}], "can only be read")


def test_append_to_another_vendors_container_is_refused():
    other = f"/vendors/{OTHER_VENDOR}/"
    refused([{"resource": other, "modes": [APPEND]}], f"only to its own container {OWN}")
    refused([{"resource": other, "modes": [READ, APPEND]}], "only to its own container")


def test_fields_cannot_be_chosen_in_a_container():
    refused([{"resource": OWN, "fields": [EMAIL]}], "fields can be chosen only for")


@pytest.mark.parametrize("modes", [[], ["write"], [READ, "write"], "read", None, ["READ"]])
def test_modes_must_be_a_list_of_read_and_append(modes):
    refused([{"resource": "/profile", "modes": modes}], "must be a non-empty list")


@pytest.mark.parametrize("modes", [[["read"]], [{"read": True}]])
def test_modes_that_are_not_strings_are_refused_as_invalid_input(modes):
    refused([{"resource": "/profile", "modes": modes}], "must be a non-empty list")


@pytest.mark.parametrize("fields", [[], EMAIL, [1], [EMAIL, None], {"iri": EMAIL}])
def test_fields_must_be_a_non_empty_list_of_iris(fields):
    refused([{"resource": "/profile", "fields": fields}], "must be a non-empty list of IRIs")


@pytest.mark.parametrize("raw", [None, [], {}, "/profile", {"resource": "/profile"}])
def test_scopes_must_be_a_non_empty_list(raw):
    refused(raw, "scopes must be a non-empty list")


@pytest.mark.parametrize("item", ["/profile", None, {}, {"resource": 1}, {"modes": [READ]}])
def test_each_scope_names_a_resource(item):
    refused([item], "each scope is an object with a 'resource' path")


def test_a_resource_may_appear_only_once():
    refused(
        [{"resource": "/profile", "fields": [EMAIL]}, {"resource": "/profile", "fields": [NAME]}],
        "only one scope",
    )
    refused([{"resource": OWN}, {"resource": OWN, "modes": [APPEND]}], "only one scope")


def test_too_many_scopes_are_refused_before_anything_else():
    refused([{"resource": "/profile"}] * (MAX_SCOPES + 1), f"at most {MAX_SCOPES} scopes")


def test_scopes_survive_the_round_trip_through_json():
    scopes = parse_scopes(
        [
            {"resource": "/profile", "fields": [NAME, EMAIL]},
            {"resource": "/preferences"},
            {"resource": OWN, "modes": [APPEND, READ]},
        ],
        VENDOR,
    )
    assert scopes_from_json([s.to_json() for s in scopes]) == scopes
    assert scopes[0].to_json() == {"resource": "/profile", "modes": [READ], "fields": [EMAIL, NAME]}
    assert "fields" not in scopes[1].to_json()


# -- covers and within -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "path", "covered"),
    [
        ("/profile", "/profile", True),
        ("/profile", "/profile/", False),
        ("/profile", "/profile/x", False),
        ("/profile", "/profiles", False),
        ("/profile", "/", False),
        ("/vendors/abc/", "/vendors/abc/", True),
        ("/vendors/abc/", "/vendors/abc/receipt-1", True),
        ("/vendors/abc/", "/vendors/abc/2026/receipt-1", True),
        ("/vendors/abc/", "/vendors/abc", False),
        ("/vendors/abc/", "/vendors/abcd/", False),
        ("/vendors/abc/", "/vendors/abcd/receipt-1", False),
        ("/vendors/abc/", "/vendors/ab/", False),
        ("/vendors/abc/", "/vendors/", False),
        ("/vendors/abc/", "/profile", False),
        (OWN, f"/vendors/{VENDOR}x/receipt", False),
        (OWN, f"/vendors/{OTHER_VENDOR}/receipt", False),
    ],
)
def test_a_scope_covers_its_resource_or_what_is_inside_its_container(resource, path, covered):
    assert Scope(resource, frozenset({READ})).covers(path) is covered


def scope(resource: str = "/profile", modes=(READ,), fields=None) -> Scope:
    return Scope(resource, frozenset(modes), None if fields is None else frozenset(fields))


@pytest.mark.parametrize(
    ("granted", "asked", "within"),
    [
        (scope(fields=[EMAIL]), scope(fields=[EMAIL, NAME]), True),
        (scope(fields=[EMAIL, NAME]), scope(fields=[EMAIL, NAME]), True),
        (scope(fields=[EMAIL]), scope(), True),
        (scope(), scope(), True),
        (scope(), scope(fields=[EMAIL]), False),
        (scope(fields=[EMAIL, NAME]), scope(fields=[EMAIL]), False),
        (scope("/preferences"), scope("/profile"), False),
        (scope(OWN, [READ]), scope(OWN, [READ, APPEND]), True),
        (scope(OWN, [READ, APPEND]), scope(OWN, [READ]), False),
        (scope(OWN, [APPEND]), scope(OWN, [READ]), False),
        (scope(f"/vendors/{OTHER_VENDOR}/"), scope(OWN), False),
    ],
)
def test_a_decision_can_only_narrow_what_was_asked(granted, asked, within):
    assert granted.within(asked) is within


# -- the customer's terms ----------------------------------------------------------------------

REQUIRED = sorted(t["id"] for t in DEFAULT_TERMS if t["required"])
OPTIONAL = sorted(t["id"] for t in DEFAULT_TERMS if not t["required"])


def test_the_default_terms_apply_until_the_customer_sets_their_own():
    assert current_terms({}) == DEFAULT_TERMS
    assert current_terms({"terms": []}) == DEFAULT_TERMS
    own = [{"id": "x", "title": "X", "text": "X", "required": True}]
    assert current_terms({"terms": own}) == own


def test_accepting_every_required_term_is_enough():
    assert REQUIRED and OPTIONAL
    assert check_accepted(DEFAULT_TERMS, list(reversed(REQUIRED))) == REQUIRED
    assert check_accepted(DEFAULT_TERMS, REQUIRED + OPTIONAL + REQUIRED[:1]) == sorted(
        REQUIRED + OPTIONAL
    )


def test_a_missing_required_term_is_refused_and_named():
    with pytest.raises(InvalidInput) as caught:
        check_accepted(DEFAULT_TERMS, REQUIRED[1:] + OPTIONAL)
    assert f"requires these terms to be accepted: {REQUIRED[0]}" in str(caught.value)
    with pytest.raises(InvalidInput, match="requires these terms"):
        check_accepted(DEFAULT_TERMS, [])


def test_an_unknown_term_is_refused_and_the_known_ones_listed():
    with pytest.raises(InvalidInput) as caught:
        check_accepted(DEFAULT_TERMS, [*REQUIRED, "sell-everything"])
    message = str(caught.value)
    assert "unknown term(s): sell-everything" in message
    assert all(t["id"] in message for t in DEFAULT_TERMS)


@pytest.mark.parametrize("accepted", [None, "no-resale", {"no-resale": True}, [1], [None]])
def test_accepted_terms_are_a_list_of_ids(accepted):
    with pytest.raises(InvalidInput, match="list of the term ids"):
        check_accepted(DEFAULT_TERMS, accepted)


def term(**changes) -> dict:
    return {"id": "keep-it-short", "title": "Short", "text": "Keep it short.", **changes}


def test_valid_terms_are_normalised_and_required_by_default():
    checked = validate_terms([term(extra="dropped"), term(id="optional-one", required=False)])
    assert checked == [
        {"id": "keep-it-short", "title": "Short", "text": "Keep it short.", "required": True},
        {"id": "optional-one", "title": "Short", "text": "Keep it short.", "required": False},
    ]
    assert validate_terms(DEFAULT_TERMS) == DEFAULT_TERMS


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (None, "1 to 50 entries"),
        ([], "1 to 50 entries"),
        ({"id": "x"}, "1 to 50 entries"),
        ([term(id=f"t{i}") for i in range(51)], "1 to 50 entries"),
        (["keep-it-short"], "each term is an object"),
        ([term(id="Upper")], "term id 'Upper'"),
        ([term(id="-leading")], "term id '-leading'"),
        ([term(id="with space")], "term id 'with space'"),
        ([term(id="x" * 65)], "must be unique"),
        ([term(id=None)], "term id None"),
        ([term(), term()], "term id 'keep-it-short' must be unique"),
        ([term(title="")], "a title of 1 to 120"),
        ([term(title="t" * 121)], "a title of 1 to 120"),
        ([term(title=None)], "a title of 1 to 120"),
        ([term(text="")], "a text of 1 to 2000"),
        ([term(text="t" * 2001)], "a text of 1 to 2000"),
    ],
)
def test_invalid_terms_are_refused(raw, says):
    with pytest.raises(InvalidInput) as caught:
        validate_terms(raw)
    assert says in str(caught.value)


def test_terms_at_their_limits_are_accepted():
    longest = term(id="x" * 64, title="t" * 120, text="t" * 2000)
    assert validate_terms([longest])[0]["id"] == "x" * 64
    assert len(validate_terms([term(id=f"t{i}") for i in range(50)])) == 50


# -- the revocation status list ----------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 7, 8, 131071])
def test_a_revoked_index_is_set_and_its_neighbours_are_not(index):
    encoded = encoded_list([index])
    assert encoded.startswith("u")
    assert is_set(encoded, index)
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < LIST_BITS:
            assert not is_set(encoded, neighbour)


def decoded_bits(encoded: str) -> bytes:
    raw = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    return gzip.decompress(base64.urlsafe_b64decode(raw))


def test_the_list_is_131072_bits_with_bit_zero_the_most_significant():
    encoded = encoded_list([0, 7, 8, 131071])
    assert "=" not in encoded
    bits = decoded_bits(encoded)
    assert len(bits) * 8 == LIST_BITS == 131072
    assert bits[0] == 0b1000_0001 and bits[1] == 0b1000_0000 and bits[-1] == 0b0000_0001
    assert not any(bits[2:-1])


def test_every_revoked_index_and_no_other_is_set():
    revoked = [0, 7, 8, 131071]
    bits = decoded_bits(encoded_list(revoked))
    assert [i for i in range(LIST_BITS) if bits[i // 8] & (0x80 >> (i % 8))] == revoked
    empty = encoded_list([])
    assert not any(decoded_bits(empty))
    assert not any(is_set(empty, i) for i in revoked)
