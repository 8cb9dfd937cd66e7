"""What a request handler reaches for: the pod and the services over its store."""

from __future__ import annotations

import dataclasses

from flask import current_app

from pds.consent import Consent, OwnerAccount
from pds.resources import Documents, PodRef
from pds.settings import Settings
from pds.store import Store


@dataclasses.dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    pod: PodRef
    documents: Documents
    owner: OwnerAccount
    consent: Consent


def services() -> Services:
    return current_app.extensions["pds"]
