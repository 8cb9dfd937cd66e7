"""The categories intents name (the pod's SKOS list from the Google Product Taxonomy), by
notation, with the chain of broader categories each sits under.

A feed or a subscription that names a category matches intents in it and in every narrower
category: an intent stores its category's `path` of notations from the top down ("/888/5614/
916/"), and a filter on notation N is "the path contains /N/".
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from pds import schemas

NOTATION = re.compile(r"[0-9]{1,10}")


@dataclasses.dataclass(frozen=True)
class Category:
    notation: str
    iri: str
    name: str
    path: str  # the full name, "Vehicles & Parts > Vehicles > ..."
    lineage: tuple[str, ...]  # notations from the top category down to this one

    @property
    def lineage_key(self) -> str:
        """The lineage as stored and matched: "/888/5614/916/"."""
        return "/" + "/".join(self.lineage) + "/"


def category(notation: object) -> Category | None:
    """The category with this notation, or None."""
    if not isinstance(notation, str) or not NOTATION.fullmatch(notation):
        return None
    return _categories().get(notation)


def every_category() -> list[Category]:
    """Every category, by full name."""
    return sorted(_categories().values(), key=lambda c: c.path)


@cache
def _categories() -> dict[str, Category]:
    graph = schemas.categories_graph()
    by_iri: dict[URIRef, tuple[str, str, str, URIRef | None]] = {}
    for concept in graph.subjects(SKOS.inScheme, None):
        if not isinstance(concept, URIRef):
            continue
        label = graph.value(concept, SKOS.notation)
        broader = graph.value(concept, SKOS.broader)
        if not isinstance(label, Literal):
            raise ValueError(f"categories.ttl: {concept} has no notation")
        by_iri[concept] = (
            str(label),
            str(graph.value(concept, SKOS.prefLabel)),
            str(graph.value(concept, SKOS.altLabel)),
            broader if isinstance(broader, URIRef) else None,
        )
    out: dict[str, Category] = {}
    for iri, (notation, name, path, _broader) in by_iri.items():
        lineage: list[str] = []
        node: URIRef | None = iri
        while node is not None:
            if node not in by_iri or by_iri[node][0] in lineage:
                raise ValueError(f"categories.ttl: the broader chain of {iri} is broken")
            lineage.insert(0, by_iri[node][0])
            node = by_iri[node][3]
        out[notation] = Category(notation, str(iri), name, path, tuple(lineage))
    return out
