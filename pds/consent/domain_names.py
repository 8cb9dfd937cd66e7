"""Domain names as people read them: IDNA forms, and names that look like others.

A vendor's website is shown to the customer, who trusts what looks familiar. `warnings` says
when a domain could be mistaken for one the customer already shares data with, or for a
well-known brand (pds/schemas/brands.json), and when its letters are unusual: several alphabets
in one name, Cyrillic letters that read as Latin ones, or any letter beyond a-z (the name then
travels as `xn--` punycode).

Look-alikes are found with the confusable skeletons of Unicode UTS #39 §4, and unusual letters
with its script sets and restriction levels (§5), both in pds/consent/confusables.py with
Unicode's own data: two names whose skeletons are equal look the same. Beside that, the tricks
that need no Unicode at all: the same name under another ending (shop.com for shop.example), and
a known name inside a longer one (shop-example.com, paypal.com.evil.net).
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

import idna

from pds.consent import confusables
from pds.consent.confusables import RestrictionLevel

# ISO 15924 codes of the alphabets people meet in domain names; others are shown by code.
SCRIPT_NAMES = {
    "Latn": "Latin",
    "Cyrl": "Cyrillic",
    "Grek": "Greek",
    "Armn": "Armenian",
    "Geor": "Georgian",
    "Hebr": "Hebrew",
    "Arab": "Arabic",
    "Deva": "Devanagari",
    "Thai": "Thai",
    "Hani": "Chinese",
    "Hira": "Japanese",
    "Kana": "Japanese",
    "Hang": "Korean",
    "Cher": "Cherokee",
}
# A known name inside another domain counts from this many letters on (x.com is not in fedex.com).
MIN_CONTAINED = 5  # a brand's name, without its ending: paypal in paypal-login.com
MIN_FLAT = 8  # a whole domain without its dots: shopexample in shop-example.com
# More combining marks than this in a row stack into a blur (NFD).
MAX_COMBINING_RUN = 4
# Second-level labels under a country's ending that are part of the ending (amazon.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


@dataclasses.dataclass(frozen=True)
class KnownDomain:
    """A domain the customer would recognise: a vendor's it shares with, or a brand's."""

    domain: str  # ASCII (A-labels)
    name: str  # the vendor's declared name, or the brand
    vendor_id: str | None = None  # None for a brand

    @property
    def shown(self) -> str:
        return shown_domain(self.domain)


@dataclasses.dataclass(frozen=True)
class DomainWarning:
    """Why a domain deserves a second look. `kind` is one of:

    - looks-like: it looks like `like`, a domain the customer shares with or a brand's;
    - same-site-other-key: it is (under) `like`'s domain, but this key did not prove it;
    - mixed-scripts: its letters come from several alphabets (`scripts`);
    - other-alphabet: all its letters are of one alphabet (`scripts`) that reads as Latin;
    - confusable-letters: letters that read as others (dotless i, invisible marks...);
    - unusual-letters: letters beyond a-z; `ascii` is how the name really travels (a note).
    """

    kind: str
    like: KnownDomain | None = None
    scripts: tuple[str, ...] = ()
    ascii: str = ""

    @property
    def serious(self) -> bool:
        return self.kind != "unusual-letters"


def ascii_domain(host: str) -> str | None:
    """`host` (from a URL, Unicode or `xn--`) as lowercase A-labels, or None if it is not a
    domain name IDNA 2008 allows (an IP literal, an invisible character, an emoji...)."""
    name = host.rstrip(".")
    if not name or ":" in name or name.rsplit(".", 1)[-1].isdigit():
        return None  # IP literals (127.0.0.1, [::1]); no top-level domain is all digits
    try:
        encoded: str = idna.encode(name, uts46=True).decode("ascii")
        idna.decode(encoded)  # also refuses an `xn--` label that is not valid punycode
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return encoded.lower()


def shown_domain(domain: str) -> str:
    """An ASCII domain as people read it (U-labels); as it is if it does not decode."""
    try:
        shown: str = idna.decode(domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return domain
    return shown


def warnings(
    domain: str, vendor_id: str, verified: bool, known: Iterable[KnownDomain]
) -> list[DomainWarning]:
    """What to tell the customer about `domain` (ASCII), the website of `vendor_id`, proven
    (`verified`) or not, next to `known` domains; the serious ones first."""
    compared = [
        (other, _key(other), _compare(domain, other.domain, brand=other.vendor_id is None))
        for other in known
        if other.vendor_id != vendor_id
    ]
    # A proven site is the vendor or brand it names: none of its other domains look like it.
    seen = {key for _, key, kind in compared if kind == "same-site" and verified}
    found: list[DomainWarning] = []
    for other, key, kind in compared:
        if kind and key not in seen:
            seen.add(key)  # one warning per domain of a vendor, per brand
            found.append(
                DomainWarning("same-site-other-key" if kind == "same-site" else kind, like=other)
            )
    found.extend(_letters(domain))
    return found


def _key(known: KnownDomain) -> str:
    return known.domain if known.vendor_id else f"brand {known.name}"


def _compare(domain: str, other: str, *, brand: bool) -> str | None:
    """Whether `domain` is `other` or under it ("same-site"), could be taken for it
    ("looks-like"), or neither (None)."""
    if domain == other or domain.endswith("." + other):
        return "same-site"
    mine, theirs = _skeleton(domain), _skeleton(other)
    if _flat(mine) == _flat(theirs) or f".{theirs}." in f".{mine}.":
        return "looks-like"  # paypa1.com, pay-pal.com, Cyrillic letters; paypal.com.evil.net
    # From each word on (words are split at dots and hyphens), never inside one: workshop.com
    # does not contain shop.com.
    words = mine.replace("-", ".").split(".")
    tails = ["".join(words[i:]) for i in range(len(words))]
    if len(_flat(theirs)) >= MIN_FLAT and any(t.startswith(_flat(theirs)) for t in tails):
        return "looks-like"  # shop-example.com, my-shopexample.net
    name = _name(theirs)
    if name and _flat(_name(mine)) == _flat(name):
        return "looks-like"  # the same name under another ending: shop.com for shop.example
    if brand and len(name) >= MIN_CONTAINED and any(w.startswith(name) for w in words):
        return "looks-like"  # paypal-login.com, secure-paypal.com (not pineapple.shop)
    return None


def _letters(domain: str) -> list[DomainWarning]:
    """Warnings about the letters of `domain` alone: the first of its labels that deserves one
    (UTS #39 restriction levels and confusables), then the note on its ASCII form."""
    shown = shown_domain(domain)
    if shown == domain:
        return []  # a-z, digits and hyphens only
    out = []
    labels = [unicodedata.normalize("NFC", label) for label in shown.split(".")]
    for label in labels:
        kind = _label_kind(label, tld=labels[-1])
        if kind:
            names = {SCRIPT_NAMES.get(s, s) for s in confusables.scripts_of(label)}
            scripts = tuple(sorted(names, key=lambda name: (name != "Latin", name)))  # Latin first
            out.append(DomainWarning(kind, scripts=scripts))
            break
    out.append(DomainWarning("unusual-letters", ascii=domain))
    return out


def _label_kind(label: str, tld: str) -> str | None:
    """What is unusual about the letters of one label, in DomainWarning's kinds, or None."""
    if label.isascii():
        return None
    if any(confusables.is_default_ignorable(char) for char in label):
        return "confusable-letters"  # drawn as nothing: a zero-width joiner
    level = confusables.restriction_level(label)
    if level is RestrictionLevel.MINIMALLY_RESTRICTIVE:
        return "mixed-scripts"  # Latin with Cyrillic, Greek with Cyrillic, Latin with Cherokee
    if _longest_combining_run(label) > MAX_COMBINING_RUN:
        return "confusable-letters"
    if level is not RestrictionLevel.SINGLE_SCRIPT or not confusables.skeleton(label).isascii():
        return None  # Latin with Japanese or Arabic; or letters that read as no a-z name
    # One script, and its skeleton is ASCII: it reads as an a-z name (a whole-script confusable).
    scripts = confusables.resolved_scripts(label)
    if scripts and "Latn" not in scripts and _latin_tld(tld):
        return "other-alphabet"  # all Cyrillic, and reads "apple"
    return "confusable-letters"  # Latin letters that read as others: dotless i


def _latin_tld(tld: str) -> bool:
    return tld.isascii() or "Latn" in (confusables.resolved_scripts(tld) or ())


def _longest_combining_run(label: str) -> int:
    longest = run = 0
    for char in unicodedata.normalize("NFD", label):
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        longest = max(longest, run)
    return longest


@lru_cache(maxsize=4096)
def _skeleton(domain: str) -> str:
    """UTS #39 §4 skeleton of the domain as people read it, case-folded (domain names ignore
    case, and the skeleton of 0 is O)."""
    return confusables.skeleton(shown_domain(domain)).casefold()


def _flat(skeleton: str) -> str:
    """Without dots and hyphens, which people read past."""
    return skeleton.replace(".", "").replace("-", "")


def _name(skeleton: str) -> str:
    """A skeleton without its ending (last label) and a leading www: what people read as the
    name ("" for a name of one label)."""
    *labels, ending = skeleton.split(".")
    if len(labels) > 1 and len(ending) == 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]  # amazon.co.uk
    if labels[:1] == ["www"]:
        labels = labels[1:]
    return ".".join(labels)


@cache
def brands() -> tuple[KnownDomain, ...]:
    """The well-known brands of pds/schemas/brands.json, one entry per domain."""
    text = resources.files("pds.schemas").joinpath("brands.json").read_text(encoding="utf-8")
    return tuple(
        KnownDomain(domain, brand["name"])
        for brand in json.loads(text)["brands"]
        for domain in brand["domains"]
    )
