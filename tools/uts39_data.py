"""Make pds/schemas/confusables.json and pds/schemas/scripts.json from Unicode's own files.

pds/consent/confusables.py (UTS #39, Unicode Security Mechanisms) reads these two files. They
hold only what it needs, each with a header naming the Unicode version, every source file with
its date and SHA-256, where the files came from, and the Unicode licence notice:

- confusables.json: the prototype of every character in confusables.txt (UTS #39 data).
- scripts.json: the Script_Extensions of every code point, as ranges (Scripts.txt where
  ScriptExtensions.txt says nothing; code points in neither are Unknown, Zzzz), and the
  Default_Ignorable_Code_Point ranges of DerivedCoreProperties.txt. PropertyValueAliases.txt
  turns the long script names of Scripts.txt into ISO 15924 codes.

Unicode's website is out of reach from the project's machines, so the files come from Debian's
archive, whose signed indexes apt checks:

    apt-get download unicode-data          # Scripts.txt & co. in /usr/share/unicode/
    apt-get source --download-only icu     # confusables.txt in icu/source/data/unidata/
    dpkg-deb -x unicode-data_*.deb ucd && tar xzf icu_*.orig.tar.gz icu/source/data/unidata \\
        icu/LICENSE
    python tools/uts39_data.py --confusables icu/source/data/unidata/confusables.txt \\
        --ucd ucd/usr/share/unicode --license icu/LICENSE \\
        --confusables-from "ICU 78.3 source, Debian source package icu 78.3-2" \\
        --ucd-from "Debian package unicode-data 17.0.0-2"

(apt-get source needs a deb-src line for a Debian release that has the ICU wanted.) Check that
confusables.txt is Unicode's file unchanged by its SHA-256, which Unicode does not publish but
many projects that pin the file do. The confusables and the UCD files must be of the same
Unicode version. The script only reads local files; it writes the two JSON files (or prints
what it would write with --check) and nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent.parent / "pds" / "schemas"
LAST_CODE_POINT = 0x10FFFF
UCD_FILES = ("Scripts.txt", "ScriptExtensions.txt", "DerivedCoreProperties.txt")
ALIASES_FILE = "PropertyValueAliases.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--confusables", type=Path, required=True, help="confusables.txt")
    parser.add_argument("--ucd", type=Path, required=True, help="folder with the UCD files")
    parser.add_argument("--license", type=Path, required=True, help="a file with the licence")
    parser.add_argument("--confusables-from", required=True, help="where confusables.txt came")
    parser.add_argument("--ucd-from", required=True, help="where the UCD files came from")
    parser.add_argument("--out", type=Path, default=SCHEMAS, help="folder to write to")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)

    licence = licence_notice(args.license.read_text(encoding="utf-8"))
    confusables_text = args.confusables.read_text(encoding="utf-8")
    version = header_field(confusables_text, "Version")
    ucd_texts = {name: (args.ucd / name).read_text(encoding="utf-8") for name in UCD_FILES}
    aliases = script_aliases((args.ucd / ALIASES_FILE).read_text(encoding="utf-8"))
    for name, text in ucd_texts.items():
        if ucd_version(text) != version:
            sys.exit(f"{name} is of Unicode {ucd_version(text)}, confusables.txt of {version}")

    confusables = {
        "about": (
            "The prototypes of UTS #39 confusables.txt, for confusable skeletons (UTS #39 §4): "
            "hexadecimal code point -> code points of its prototype. Made by tools/uts39_data.py "
            "from Unicode's file; read by pds/consent/confusables.py."
        ),
        "unicode_version": version,
        "sources": [source(args.confusables, confusables_text, args.confusables_from)],
        "license": licence,
    }
    scripts = {
        "about": (
            "Script_Extensions of every code point, as [first, last, ISO 15924 codes] ranges "
            "(code points in none are Unknown, Zzzz), and the Default_Ignorable_Code_Point "
            "ranges, for UTS #39 §5 script sets. Made by tools/uts39_data.py from Unicode's "
            "files; read by pds/consent/confusables.py."
        ),
        "unicode_version": version,
        "sources": [source(args.ucd / name, ucd_texts[name], args.ucd_from) for name in UCD_FILES],
        "license": licence,
    }
    outputs = {
        "confusables.json": dump(confusables, "prototypes", prototypes(confusables_text)),
        "scripts.json": dump(
            scripts,
            "script_extensions",
            script_extension_ranges(
                ucd_texts["Scripts.txt"], ucd_texts["ScriptExtensions.txt"], aliases
            ),
            "default_ignorable",
            default_ignorable_ranges(ucd_texts["DerivedCoreProperties.txt"]),
        ),
    }
    changed = False
    for name, text in outputs.items():
        path = args.out / name
        same = path.exists() and path.read_text(encoding="utf-8") == text
        changed = changed or not same
        if args.check:
            print(f"{path}: {'up to date' if same else 'differs'}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path}: {len(text.encode()):,} bytes")
    return 1 if args.check and changed else 0


def records(text: str) -> list[list[str]]:
    """The data lines of a Unicode data file, comments cut, as stripped fields."""
    rows = []
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if data:
            rows.append([field.strip() for field in data.split(";")])
    return rows


def code_points(field: str) -> range:
    first, _, last = field.partition("..")
    return range(int(first, 16), int(last or first, 16) + 1)


def header_field(text: str, name: str) -> str:
    found = re.search(rf"^# {name}: (.+)$", text, re.MULTILINE)
    if not found:
        sys.exit(f"no '# {name}:' line in the header")
    return found.group(1).strip()


def ucd_version(text: str) -> str:
    """17.0.0 from a first line such as '# Scripts-17.0.0.txt'."""
    found = re.match(r"# [A-Za-z]+-(\d+\.\d+\.\d+)\.txt", text)
    return found.group(1) if found else "?"


def source(path: Path, text: str, obtained: str) -> dict[str, str]:
    lines = text.splitlines()
    return {
        "file": path.name,
        "title": lines[0].lstrip("# ").strip(),
        "date": header_field(text, "Date"),
        "copyright": next(line.lstrip("# ") for line in lines if line.startswith("# ©")),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "from": obtained,
    }


def licence_notice(text: str) -> str:
    """The Unicode License V3 from a file that holds it (Unicode's license.txt, ICU's LICENSE)."""
    found = re.search(r"UNICODE LICENSE V3.*?SPDX-License-Identifier: Unicode-3\.0", text, re.S)
    if not found:
        sys.exit("no Unicode License V3 in the licence file")
    return found.group(0)


def prototypes(text: str) -> dict[str, str]:
    """confusables.txt: 'source ; target ; type': each source is one code point."""
    mapping: dict[str, str] = {}
    for fields in records(text):
        source_cp, target = fields[0], fields[1]
        if " " in source_cp or source_cp in mapping:
            sys.exit(f"unexpected source {source_cp!r} in confusables.txt")
        mapping[source_cp] = " ".join(target.split())
    return dict(sorted(mapping.items(), key=lambda item: int(item[0], 16)))


def script_aliases(text: str) -> dict[str, str]:
    """Every name of a script (Latin, Latn, Qaai...) -> its ISO 15924 code."""
    codes: dict[str, str] = {}
    for fields in records(text):
        if fields[0] == "sc":
            for name in fields[1:]:
                codes[name] = fields[1]
    return codes


def script_extension_ranges(
    scripts: str, extensions: str, aliases: dict[str, str]
) -> list[list[str]]:
    values: list[str | None] = [None] * (LAST_CODE_POINT + 1)
    for fields in records(scripts):
        for cp in code_points(fields[0]):
            values[cp] = aliases[fields[1]]
    for fields in records(extensions):
        value = " ".join(sorted(aliases[name] for name in fields[1].split()))
        for cp in code_points(fields[0]):
            values[cp] = value
    return runs(values)


def default_ignorable_ranges(text: str) -> list[list[str]]:
    values: list[str | None] = [None] * (LAST_CODE_POINT + 1)
    for fields in records(text):
        if fields[1] == "Default_Ignorable_Code_Point":
            for cp in code_points(fields[0]):
                values[cp] = "DI"
    return [run[:2] for run in runs(values)]


def runs(values: list[str | None]) -> list[list[str]]:
    """[first, last, value] for each run of equal values, None left out; hexadecimal."""
    out: list[list[str]] = []
    start = 0
    for cp in range(1, len(values) + 1):
        if cp == len(values) or values[cp] != values[start]:
            value = values[start]
            if value is not None:
                out.append([f"{start:04X}", f"{cp - 1:04X}", value])
            start = cp
    return out


def dump(header: Mapping[str, object], *parts: object) -> str:
    """JSON with the header first and one entry of each large table a line, so that a new
    Unicode version reads as a short diff."""
    text = json.dumps(header, indent=1, ensure_ascii=False)[:-2]
    for key, table in zip(parts[::2], parts[1::2], strict=True):
        if isinstance(table, dict):
            body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in table.items())
            text += f',\n "{key}": {{\n{body}\n }}'
        else:
            assert isinstance(table, list)
            body = ",\n".join(f"  {json.dumps(row)}" for row in table)
            text += f',\n "{key}": [\n{body}\n ]'
    return text + "\n}\n"


if __name__ == "__main__":
    sys.exit(main())
