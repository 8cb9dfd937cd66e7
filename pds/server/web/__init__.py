"""The consent page: a customer manages data, vendors and grants in plain words.

Server-rendered pages with a little progressive enhancement (static/pod.js); every action goes
through the same use cases of the pod as the owner API, so no rule lives only here.
"""

# The page modules add their routes to the blueprint when imported.
from pds.server.web import (
    account,
    agreement_pages,
    evidence_pages,
    grants_pages,
    intents_pages,
    mydata,
    notices_pages,
    pages,
    rules_pages,
    settings_pages,
    threads_pages,
    vendor_identity_view,
)
from pds.server.web.blueprint import bp, root

__all__ = [
    "account",
    "agreement_pages",
    "bp",
    "evidence_pages",
    "grants_pages",
    "intents_pages",
    "mydata",
    "notices_pages",
    "pages",
    "root",
    "rules_pages",
    "settings_pages",
    "threads_pages",
    "vendor_identity_view",
]
