"""docs/relay.md describes what the relay serves: its discovery example has the members, limits
and `typ` values a live relay gives, and every problem slug the relay can answer is listed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests

from pds.relay import errors

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "relay.md"


def section(title: str) -> str:
    text = DOCUMENT.read_text()
    start = text.index(f"### {title}")
    return text[start : text.index("\n### ", start + 1)]


def test_the_discovery_example_is_what_a_relay_serves(relay):
    example = json.loads(re.search(r"```json\n(.*?)\n```", section("2.1"), re.S).group(1))
    served = requests.get(f"{relay.url}/.well-known/intent-relay", timeout=10).json()

    assert set(example) == set(served)
    assert example["limits"] == served["limits"]
    for name in ("typ_values", "intent_members", "signing_alg_values_supported"):
        assert example[name] == served[name], name


def test_every_problem_the_relay_can_answer_is_in_the_table():
    text = DOCUMENT.read_text()
    errors_section = text[text.index("## 12. Errors") : text.index("## 13.")]
    listed = set(re.findall(r"^\| \d{3} \| `([a-z-]+)` \|", errors_section, re.M))
    raised = {
        cls.slug
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.RelayError)
    } - {errors.RelayError.slug}

    assert raised <= listed, raised - listed
