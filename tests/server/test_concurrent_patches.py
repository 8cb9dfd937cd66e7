"""Many PATCHes of one document at once, without If-Match: each is applied, or answered 503 with
Retry-After when it kept losing to the others; never 412 (the client set no precondition), and
nothing applied is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from rdflib import Graph, URIRef

N = "http://example.org/n"
WRITERS = 24


def test_concurrent_patches_without_if_match_never_answer_412_and_lose_nothing(server, owner_token):
    url = f"{server.url}/data/notes/counter"
    headers = {
        "Authorization": f"Bearer {owner_token}",
        "Content-Type": "application/sparql-update",
    }

    def patch(i: int) -> tuple[int, requests.Response]:
        body = f'INSERT DATA {{ <#it> <{N}> "{i}" }}'
        return i, requests.patch(url, data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(pool.map(patch, range(WRITERS)))

    statuses = sorted({r.status_code for _, r in results})
    assert set(statuses) <= {201, 204, 503}, [(i, r.status_code, r.text) for i, r in results]
    for _i, response in results:
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"
            assert response.json()["type"].endswith("#write-contention")
    applied = {str(i) for i, r in results if r.status_code in (201, 204)}
    assert applied, "no PATCH was applied at all"
    stored = requests.get(
        url, headers={"Authorization": f"Bearer {owner_token}", "Accept": "text/turtle"}, timeout=10
    )
    graph = Graph().parse(data=stored.text, format="turtle", publicID=url)
    assert {str(o) for o in graph.objects(None, URIRef(N))} == applied
