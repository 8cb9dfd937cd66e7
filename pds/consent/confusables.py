"""Unicode Security Mechanisms (UTS #39) for names people read: confusable skeletons (§4), the
scripts of a string (§5.1) and its restriction level (§5.2).

The data is Unicode's own, shipped in pds/schemas and read once, on first use:
confusables.json holds the prototypes of confusables.txt, scripts.json the Script_Extensions of
every code point and the Default_Ignorable_Code_Point ranges. tools/uts39_data.py makes both
from Unicode's files and records their version, dates and SHA-256 in the files' headers.

Scripts are ISO 15924 codes (Latn, Cyrl...). An augmented script set (§5.1) is None for a
character of every script (Common or Inherited: digits, hyphens, combining marks).
"""

from __future__ import annotations

import bisect
import enum
import json
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

# UAX #31 Table 5, Recommended Scripts (Common and Inherited aside, which go with any script).
_RECOMMENDED = """Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hebr Hira Kana
    Khmr Knda Laoo Latn Mlym Mymr Orya Sinh Taml Telu Thaa Thai Tibt"""
RECOMMENDED_SCRIPTS = frozenset(_RECOMMENDED.split())
# §5.1: the writing systems that add to the scripts they are written with.
_WRITING_SYSTEMS = {
    "Hani": ("Hanb", "Jpan", "Kore"),
    "Hira": ("Jpan",),
    "Kana": ("Jpan",),
    "Hang": ("Kore",),
    "Bopo": ("Hanb",),
}
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})  # Common, Inherited
UNKNOWN = "Zzzz"  # a code point of no script in the data (unassigned, or newer than it)


class RestrictionLevel(enum.IntEnum):
    """UTS #39 §5.2, most restrictive first. Identifier_Status is not checked: IDNA 2008 has
    already decided which characters a domain name may hold."""

    ASCII_ONLY = 1
    SINGLE_SCRIPT = 2
    HIGHLY_RESTRICTIVE = 3  # Latin with Japanese, Chinese (with Bopomofo) or Korean
    MODERATELY_RESTRICTIVE = 4  # Latin with one other Recommended script, not Cyrillic or Greek
    MINIMALLY_RESTRICTIVE = 5  # any other mix


def skeleton(text: str) -> str:
    """UTS #39 §4 skeleton: NFD, without Default_Ignorable_Code_Point characters, each character
    replaced by its prototype, NFD again. Two strings with the same skeleton are confusable."""
    prototypes = _prototypes()
    mapped = "".join(
        prototypes.get(char, char)
        for char in unicodedata.normalize("NFD", text)
        if not is_default_ignorable(char)
    )
    return unicodedata.normalize("NFD", mapped)


def confusable(a: str, b: str) -> bool:
    return skeleton(a) == skeleton(b)


def is_default_ignorable(char: str) -> bool:
    """Default_Ignorable_Code_Point: drawn as nothing (zero-width joiners, variation selectors)."""
    starts, ends = _default_ignorable()
    i = bisect.bisect_right(starts, ord(char)) - 1
    return i >= 0 and ord(char) <= ends[i]


def script_extensions(char: str) -> frozenset[str]:
    """The Script_Extensions of `char`: {Zyyy} or {Zinh} for Common or Inherited ones, {Zzzz}
    for a code point the data does not know."""
    starts, ends, values = _script_ranges()
    i = bisect.bisect_right(starts, ord(char)) - 1
    if i >= 0 and ord(char) <= ends[i]:
        return values[i]
    return frozenset({UNKNOWN})


def augmented_scripts(char: str) -> frozenset[str] | None:
    """§5.1 augmented script set: the Script_Extensions, with Hanb, Jpan and Kore added where
    Han, kana, Hangul or Bopomofo are; None (every script) for Common and Inherited."""
    scripts = script_extensions(char)
    if scripts & _ANY_SCRIPT:
        return None
    added = [system for script in scripts for system in _WRITING_SYSTEMS.get(script, ())]
    return scripts.union(added) if added else scripts


def resolved_scripts(text: str) -> frozenset[str] | None:
    """§5.1 resolved script set: the scripts every character of `text` is written in. None when
    all its characters go with any script; empty when `text` is mixed-script."""
    return _intersection(augmented_scripts(char) for char in text)


def is_mixed_script(text: str) -> bool:
    return resolved_scripts(text) == frozenset()


def scripts_of(text: str) -> frozenset[str]:
    """The scripts the characters of `text` are written in, to name them to people: those of
    the characters of one script, and those of a character of several (a mark shared by Latin,
    Greek and Cyrillic) only when it shares none with them. Common and Inherited left out."""
    sets = [script_extensions(char) - _ANY_SCRIPT for char in text]
    single = frozenset().union(*(scripts for scripts in sets if len(scripts) == 1))
    shared = (scripts for scripts in sets if len(scripts) > 1 and not scripts & single)
    return single.union(*shared)


def restriction_level(text: str) -> RestrictionLevel:
    """UTS #39 §5.2 restriction level of `text` (a domain label, an identifier)."""
    if text.isascii():
        return RestrictionLevel.ASCII_ONLY
    sets = {found for char in text if (found := augmented_scripts(char)) is not None}
    if not sets or _intersection(sets):
        return RestrictionLevel.SINGLE_SCRIPT
    beside_latin = [scripts for scripts in sets if "Latn" not in scripts]
    if any(all(system in s for s in beside_latin) for system in ("Jpan", "Hanb", "Kore")):
        return RestrictionLevel.HIGHLY_RESTRICTIVE
    other = _intersection(beside_latin) or frozenset()
    if other & (RECOMMENDED_SCRIPTS - {"Latn", "Cyrl", "Grek"}):
        return RestrictionLevel.MODERATELY_RESTRICTIVE
    return RestrictionLevel.MINIMALLY_RESTRICTIVE


def unicode_version() -> str:
    """The Unicode version of the confusables data."""
    return str(_load("confusables.json")["unicode_version"])


def _intersection(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """The scripts common to all `sets`, None ones (every script) aside; None if all are."""
    common: frozenset[str] | None = None
    for scripts in sets:
        if scripts is not None:
            common = scripts if common is None else common & scripts
    return common


@cache
def _load(name: str) -> dict[str, object]:
    text = resources.files("pds.schemas").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def _char(hex_code_points: str) -> str:
    return "".join(chr(int(code, 16)) for code in hex_code_points.split())


@cache
def _prototypes() -> dict[str, str]:
    table = _load("confusables.json")["prototypes"]
    assert isinstance(table, dict)
    return {_char(source): _char(target) for source, target in table.items()}


@cache
def _script_ranges() -> tuple[list[int], list[int], list[frozenset[str]]]:
    rows = _load("scripts.json")["script_extensions"]
    assert isinstance(rows, list)
    return (
        [int(first, 16) for first, _, _ in rows],
        [int(last, 16) for _, last, _ in rows],
        [frozenset(value.split()) for _, _, value in rows],
    )


@cache
def _default_ignorable() -> tuple[list[int], list[int]]:
    rows = _load("scripts.json")["default_ignorable"]
    assert isinstance(rows, list)
    return [int(first, 16) for first, _ in rows], [int(last, 16) for _, last in rows]
