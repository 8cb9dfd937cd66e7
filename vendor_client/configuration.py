"""What a pod says about itself: its discovery document (protocol §2)."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class PodConfiguration:
    """What a pod says about itself at /.well-known/pds-configuration."""

    issuer: str
    raw: dict[str, Any]

    @property
    def resources(self) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = self.raw.get("resources", [])
        return resources

    @property
    def terms(self) -> list[dict[str, Any]]:
        terms: list[dict[str, Any]] = self.raw.get("terms", [])
        return terms

    @property
    def required_terms(self) -> list[str]:
        return [t["id"] for t in self.terms if t.get("required")]

    @property
    def agreement(self) -> str | None:
        """The roster id of the IEEE 7012 agreement the customer proffers (§17), if any."""
        proffered = self.raw.get("agreement")
        return proffered.get("id") if isinstance(proffered, dict) else None

    def fields(self, resource: str) -> dict[str, str]:
        """Field IRI -> human name, for a resource such as `/profile`."""
        for entry in self.resources:
            if entry.get("resource") == resource:
                return {f["iri"]: f["name"] for f in entry.get("fields", [])}
        return {}
