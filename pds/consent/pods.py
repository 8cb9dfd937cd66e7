"""Opening the pod a server serves: created on first use, its base URL fixed from then on."""

from __future__ import annotations

import logging

from pds.resources import PodRef
from pds.store import AlreadyExists, NotFound, Store, pods

log = logging.getLogger(__name__)


def open_pod(store: Store, pod_id: str, base_url: str) -> PodRef:
    """The pod `pod_id`, created with `base_url` if it does not exist yet.

    The stored base URL wins over `base_url`: every IRI in the pod's documents is built on it.
    Moving a pod to a new URL is an export and an import, which rewrites them.
    """
    for _attempt in range(2):
        try:
            with store.begin() as conn:
                try:
                    row = pods.get(conn, pod_id)
                except NotFound:
                    row = pods.create(conn, pod_id, base_url)
            break
        except AlreadyExists:  # another worker created it a moment ago
            continue
    if row.base_url != base_url:
        log.warning(
            "pod %r keeps its base URL %s (configured: %s); export and import to move it",
            pod_id,
            row.base_url,
            base_url,
        )
    return PodRef(row.id, row.base_url)
