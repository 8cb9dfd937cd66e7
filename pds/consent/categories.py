"""The categories an intent can name: part of the Google Product Taxonomy, whose numeric ids
merchants already use in their product feeds (pds/schemas/categories.ttl)."""

from __future__ import annotations

from functools import cache

from rdflib.namespace import SKOS

from pds import schemas


def category_of(iri: str) -> dict[str, str]:
    """A category by IRI: id, notation (the taxonomy's number), name and full path; only the id
    for an IRI not in the list (publishing refuses it)."""
    return {"id": iri, **_categories().get(iri, {})}


def categories() -> list[dict[str, str]]:
    """Every category an intent may name, by full name."""
    return sorted(({"id": k, **v} for k, v in _categories().items()), key=lambda c: c["path"])


@cache
def _categories() -> dict[str, dict[str, str]]:
    graph = schemas.categories_graph()
    out = {}
    for concept in graph.subjects(SKOS.inScheme, None):
        out[str(concept)] = {
            "notation": str(graph.value(concept, SKOS.notation)),
            "name": str(graph.value(concept, SKOS.prefLabel)),
            "path": str(graph.value(concept, SKOS.altLabel)),
        }
    return out
