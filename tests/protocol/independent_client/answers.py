"""What the pod gives back: grants, problem responses and pending requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from tests.protocol.independent_client.jose import ProtocolError

PROBLEM_BASE = "https://w3id.org/vrm-pod/problems#"


@dataclass
class Grant:
    token: str
    claims: dict[str, Any]
    receipt: str

    @property
    def id(self) -> str:
        return self.claims["jti"]


@dataclass
class Problem:
    status: int
    slug: str
    body: dict[str, Any]
    www_authenticate: str | None

    @classmethod
    def of(cls, response: requests.Response) -> Problem:
        if not response.headers.get("Content-Type", "").startswith("application/problem+json"):
            raise ProtocolError(f"not a problem response: {response.headers.get('Content-Type')}")
        body = response.json()
        if not body["type"].startswith(PROBLEM_BASE):
            raise ProtocolError(f"unknown problem type {body['type']!r}")
        return cls(
            status=response.status_code,
            slug=body["type"][len(PROBLEM_BASE) :],
            body=body,
            www_authenticate=response.headers.get("WWW-Authenticate"),
        )


@dataclass
class PendingRequest:
    id: str
    status_url: str
    body: dict[str, Any] = field(default_factory=dict)


class RequestDenied(Exception):
    pass
