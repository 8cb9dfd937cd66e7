"""UTS #39 with Unicode's own data: confusable skeletons (§4), script sets and restriction levels
(§5), and the data files they read (pds/schemas/confusables.json and scripts.json)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from pds.consent import confusables
from pds.consent.confusables import RestrictionLevel
from pds.consent.domain_names import ascii_domain, warnings

# Written with escapes, so that this file shows what the eye cannot tell apart.
CYRILLIC_PAYPAL = "\u0440\u0430\u0443\u0440\u0430l"  # Cyrillic er, a, u, er, a; Latin l
CYRILLIC_APPLE = "\u0430\u0440\u0440\u04cf\u0435"  # every letter Cyrillic, palochka for l
GREEK_OPA = "\u03bf\u03c1\u03b1"  # omicron, rho, alpha: reads "opa"
ZWJ = "\u200d"


def data(name: str) -> dict:
    return json.loads(resources.files("pds.schemas").joinpath(name).read_text(encoding="utf-8"))


# -- skeletons (§4), against confusables.txt ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CYRILLIC_PAYPAL, "paypal"),
        (
            "\U0001d52d\U0001d4b6\u1eff\U0001d561\U0001d552\u2113",
            "paypal",
        ),  # maths letters, y with loop
        ("paypa1", "paypal"),  # 0031 ; 006C: digit one -> l
        ("PAYPAL", "PAYPAL"),  # a skeleton keeps case...
        ("I", "l"),  # ...but capital I is l: 0049 ; 006C
        ("g00gle", "gOOgle"),  # 0030 ; 004F: digit zero -> capital O
        ("m", "rn"),  # 006D ; 0072 006E: rn and m ARE confusable in the default data
        ("\u0131", "i"),  # dotless i
        ("\u00e6", "ae"),  # one letter, two prototypes
        ("\u03bf", "o"),  # Greek omicron
    ],
)
def test_skeleton_maps_each_character_to_its_prototype(text, expected):
    assert confusables.skeleton(text) == expected


def test_confusable_names_share_a_skeleton_and_others_do_not():
    assert confusables.confusable(CYRILLIC_PAYPAL, "paypal")
    assert confusables.confusable("rnicrosoft", "microsoft")
    assert confusables.confusable(CYRILLIC_APPLE, "apple")
    assert not confusables.confusable("paypal", "paypai")
    assert not confusables.confusable("shop", "snop")
    assert not confusables.confusable("apple", "Apple")  # case is the caller's business


def test_skeleton_is_nfd_before_and_after_mapping():
    assert confusables.skeleton("\u00e9") == confusables.skeleton("e\u0301") == "e\u0301"
    # Cyrillic io is Cyrillic e with a diaeresis: it decomposes, and the e maps to Latin e.
    assert confusables.skeleton("\u0451") == "e\u0308" == confusables.skeleton("\u00eb")


def test_skeleton_drops_characters_drawn_as_nothing():
    assert confusables.skeleton(f"pay{ZWJ}pal") == "paypal"
    assert confusables.skeleton(f"\u0915\u094d{ZWJ}\u0937") == "\u0915\u094d\u0937"
    assert confusables.skeleton("pay\u00adpal") == "paypal"  # soft hyphen
    assert confusables.is_default_ignorable(ZWJ)
    assert not confusables.is_default_ignorable("a")


def test_prototypes_have_no_prototypes_of_their_own():
    """The mapping is idempotent: no character of a prototype is mapped in turn."""
    table = data("confusables.json")["prototypes"]
    assert len(table) > 6000
    for source, prototype in table.items():
        assert not set(prototype.split()) & table.keys(), source


# -- scripts (§5.1) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "scripts"),
    [
        ("a", {"Latn"}),
        ("\u0430", {"Cyrl"}),  # Cyrillic a
        ("\u03b1", {"Grek"}),
        ("1", {"Zyyy"}),  # Common
        ("\u20d0", {"Zinh"}),  # Inherited: a combining harpoon
        ("\u0301", {"Latn", "Grek", "Cyrl", "Cher", "Osge", "Sunu", "Tale", "Todr"}),  # acute
        ("\u30fc", {"Hira", "Kana"}),  # the prolonged sound mark, in both kana
        ("\u0378", {"Zzzz"}),  # unassigned
    ],
)
def test_script_extensions(char, scripts):
    assert confusables.script_extensions(char) == scripts


def test_augmented_script_sets_add_the_writing_systems():
    assert confusables.augmented_scripts("\u6f22") == {"Hani", "Hanb", "Jpan", "Kore"}  # Han
    assert confusables.augmented_scripts("\u304b") == {"Hira", "Jpan"}
    assert confusables.augmented_scripts("\ud55c") == {"Hang", "Kore"}
    assert confusables.augmented_scripts("1") is None  # goes with every script
    assert confusables.augmented_scripts("\u20d0") is None


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("paypal", {"Latn"}),
        ("b\u00fccher", {"Latn"}),
        ("shop-24", {"Latn"}),  # digits and hyphens go with any script
        ("24", None),
        ("\u65e5\u672c\u304b\u306a", {"Jpan"}),  # Han and Hiragana: one writing system
        (CYRILLIC_PAYPAL, set()),
        (CYRILLIC_APPLE, {"Cyrl"}),
    ],
)
def test_resolved_script_set(text, resolved):
    assert confusables.resolved_scripts(text) == resolved
    assert confusables.is_mixed_script(text) == (resolved == set())


def test_scripts_to_name_to_people():
    assert confusables.scripts_of(CYRILLIC_PAYPAL) == {"Latn", "Cyrl"}
    assert confusables.scripts_of("shop-24") == {"Latn"}
    # A mark several scripts share is named by the letter it sits on...
    assert confusables.scripts_of("cafe\u0301") == {"Latn"}
    # ...and a character of several scripts alone by all of them.
    assert confusables.scripts_of("\u30fc") == {"Hira", "Kana"}


# -- restriction levels (§5.2) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("paypal", RestrictionLevel.ASCII_ONLY),
        ("b\u00fccher", RestrictionLevel.SINGLE_SCRIPT),
        (CYRILLIC_APPLE, RestrictionLevel.SINGLE_SCRIPT),
        ("ab\u65e5\u672c\u304b\u306a", RestrictionLevel.HIGHLY_RESTRICTIVE),  # Latin, Japanese
        ("ab\u6f22\u5b57", RestrictionLevel.HIGHLY_RESTRICTIVE),  # Latin, Han
        ("ab\ud55c\uad6d", RestrictionLevel.HIGHLY_RESTRICTIVE),  # Latin, Hangul
        ("ab\u0643\u062a\u0628", RestrictionLevel.MODERATELY_RESTRICTIVE),  # Latin, Arabic
        ("ab\u0e44\u0e17\u0e22", RestrictionLevel.MODERATELY_RESTRICTIVE),  # Latin, Thai
        (CYRILLIC_PAYPAL, RestrictionLevel.MINIMALLY_RESTRICTIVE),  # Latin, Cyrillic
        ("p\u03b1ypal", RestrictionLevel.MINIMALLY_RESTRICTIVE),  # Latin, Greek
        ("\u0430\u03b1", RestrictionLevel.MINIMALLY_RESTRICTIVE),  # Cyrillic, Greek
        ("a\u13a0", RestrictionLevel.MINIMALLY_RESTRICTIVE),  # Latin, Cherokee (not Recommended)
        ("a\u146d", RestrictionLevel.MINIMALLY_RESTRICTIVE),  # Canadian Syllabics: Limited Use
        ("a\u304b\ud55c", RestrictionLevel.MINIMALLY_RESTRICTIVE),  # kana with Hangul
    ],
)
def test_restriction_levels(text, level):
    assert confusables.restriction_level(text) is level


# -- in domain names -----------------------------------------------------------------------------


def kinds(host: str) -> list[tuple[str, tuple[str, ...]]]:
    domain = ascii_domain(host)
    assert domain is not None, host
    return [(w.kind, w.scripts) for w in warnings(domain, "V" * 43, False, []) if w.serious]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (f"{CYRILLIC_PAYPAL}.com", [("mixed-scripts", ("Latin", "Cyrillic"))]),
        ("p\u03b1ypal.com", [("mixed-scripts", ("Latin", "Greek"))]),
        (f"{GREEK_OPA}.com", [("other-alphabet", ("Greek",))]),  # a whole-script confusable
        (f"{CYRILLIC_APPLE}.com", [("other-alphabet", ("Cyrillic",))]),
        # ...but not under a Cyrillic ending, where Cyrillic is expected: only its letters.
        (f"{CYRILLIC_APPLE}.\u0440\u0444", [("confusable-letters", ("Cyrillic",))]),
        # Cyrillic "sait": its short i and te read as no a-z letter; a Greek pi neither.
        ("\u0441\u0430\u0439\u0442.com", []),
        ("\u03c0.com", []),
        ("payp\u0430l.example", [("mixed-scripts", ("Latin", "Cyrillic"))]),
        ("paypa\u0131.com", [("confusable-letters", ("Latin",))]),  # dotless i
        # A zero-width joiner is allowed after a virama (IDNA CONTEXTJ), but draws nothing.
        (f"\u0915\u094d{ZWJ}\u0937.com", [("confusable-letters", ("Devanagari",))]),
        # Latin with Japanese, or with Thai: an ordinary mix, only the note on its letters.
        ("shop\u65e5\u672c.jp", []),
        ("shop\u0e44\u0e17\u0e22.com", []),
        ("\u0441\u0430\u0439\u0442.\u0440\u0444", []),  # Cyrillic under a Cyrillic ending
    ],
)
def test_what_a_domain_label_is_warned_about(host, expected):
    assert kinds(host) == expected


# -- the data files --------------------------------------------------------------------------


def test_data_files_name_their_sources_and_licence():
    prototypes, scripts = data("confusables.json"), data("scripts.json")
    version = confusables.unicode_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert prototypes["unicode_version"] == scripts["unicode_version"] == version
    files = {source["file"]: source for source in prototypes["sources"] + scripts["sources"]}
    assert set(files) == {
        "confusables.txt",
        "Scripts.txt",
        "ScriptExtensions.txt",
        "DerivedCoreProperties.txt",
    }
    for name, source in files.items():
        assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), name
        assert source["date"] and source["from"] and "Unicode" in source["copyright"], name
        if name != "confusables.txt":  # its version is in a line of its own: the header's
            assert source["title"] == name.replace(".txt", f"-{version}.txt")
    for header in (prototypes, scripts):
        assert header["license"].startswith("UNICODE LICENSE V3")
        assert "Permission is hereby granted" in header["license"]
