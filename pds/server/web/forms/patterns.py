"""SHACL (XPath) regular expressions as HTML `pattern` attributes, where they mean the same."""

from __future__ import annotations

import re

# -- SHACL (XPath) patterns as HTML patterns -----------------------------------------------------

_SYNTAX = set("^$\\.*+?()[]{}|/")  # may be escaped in a browser's pattern (`v` flag)
_CLASS_SYNTAX = _SYNTAX | {"-"}
_PLAIN_PUNCTUATION = set(" @_,:;'\"#%&=<>~!`-/")
_DOUBLED = re.compile(r"(&&|!!|##|%%|,,|::|;;|<<|==|>>|@@|``|~~)")


def html_pattern(regex: str, flags=None) -> str | None:
    """`regex` (SHACL's XPath syntax) as an HTML `pattern`, or None where it may differ.

    Browsers anchor a pattern at both ends and compile it with the `v` flag, so only patterns
    anchored by `^...$` are used, with `\\s` and `\\d` spelled out in their XPath meaning and
    punctuation escaped as the `v` flag requires. Anything unusual is skipped: the pod checks
    every value anyway, the browser's check only saves a round trip.
    """
    if flags or len(regex) < 2 or regex[0] != "^" or regex[-1] != "$" or regex[-2] == "\\":
        return None
    body, out, depth, i = regex[1:-1], [], 0, 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            atom = _escape(body[i + 1 : i + 2], in_class=False)
            if atom is None:
                return None
            out.append(atom)
            i += 2
        elif char == "[":
            end = _class_end(body, i)
            atom = _char_class(body[i + 1 : end]) if end is not None else None
            if end is None or atom is None:
                return None
            out.append(atom)
            i = end + 1
        elif char == "{":
            count = re.match(r"\{\d+(,\d*)?\}", body[i:])
            if count is None:
                return None
            out.append(count.group())
            i += count.end()
        elif char in "()|*+?":
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0 or (char == "|" and depth == 0) or body.startswith("(?", i):
                return None  # a top-level | would change how the anchors bind
            out.append(char)
            i += 1
        elif (
            char.isalnum() or char in _PLAIN_PUNCTUATION or (ord(char) > 127 and char.isprintable())
        ):
            out.append(char)
            i += 1
        else:
            return None  # `.`, a stray `^`, `$`, `]`, `}`: meanings differ or are errors
    return "".join(out) if depth == 0 else None


def _escape(char: str, in_class: bool) -> str | None:
    if char == "s":
        return " \\t\\n\\r" if in_class else "[ \\t\\n\\r]"
    if char == "d":
        return "\\p{Nd}"
    if char in ("n", "r", "t"):
        return "\\" + char
    if char == "-" and not in_class:
        return "-"  # `\-` is an error outside a class with the `v` flag
    if char and char in _CLASS_SYNTAX:
        return "\\" + char
    return None


def _class_end(body: str, start: int) -> int | None:
    i = start + 1
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == "[":
            return None  # XPath class subtraction has no HTML equivalent
        if body[i] == "]" and i > start + 1:
            return i
        i += 1
    return None


def _char_class(inner: str) -> str | None:
    negate = inner.startswith("^")
    inner = inner[1:] if negate else inner
    out, i = [], 0
    while i < len(inner):
        char = inner[i]
        if char == "\\":
            atom = _escape(inner[i + 1 : i + 2], in_class=True)
            i += 2
        elif char == "-" and 0 < i < len(inner) - 1:
            atom = "-"  # a range between the atoms either side
            i += 1
        elif char in _CLASS_SYNTAX:
            atom = "\\" + char
            i += 1
        elif char.isalnum() or char in _PLAIN_PUNCTUATION or ord(char) > 127:
            atom = char
            i += 1
        else:
            atom = None
        if atom is None:
            return None
        out.append(atom)
    text = "".join(out)
    if not text or _DOUBLED.search(text):
        return None
    return f"[{'^' if negate else ''}{text}]"
