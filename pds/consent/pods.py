"""Opening the pod a server serves: created on first use, its base URL fixed from then on."""

from __future__ import annotations

import logging

from pds.resources import PodRef
from pds.store import AlreadyExists, NotFound, Store, pods

log = logging.getLogger(__name__)


def open_pod(store: Store, pod_id: str, base_url: str) -> PodRef:
    """The pod `pod_id`, created with `base_url` if it does not exist yet.

    Documents are stored independent of the base URL, so a changed `base_url` (a new port or
    domain) is simply recorded.
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
        log.info("pod %r moves from %s to %s", pod_id, row.base_url, base_url)
        with store.begin() as conn:
            pods.update(conn, pod_id, base_url=base_url)
    return PodRef(row.id, base_url)
