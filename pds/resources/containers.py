"""Container listings: a container is a path prefix, listed as an LDP BasicContainer."""

from __future__ import annotations

from rdflib import RDF, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from pds.resources import paths, rdf
from pds.resources.errors import ResourceNotFound
from pds.resources.model import Document, PodRef, etag_of
from pds.store import Store
from pds.store import resources as rows

LDP = Namespace("http://www.w3.org/ns/ldp#")


def listing(store: Store, pod: PodRef, path: str) -> Document:
    """The documents and sub-containers directly in the container `path`."""
    with store.read() as conn:
        children = rows.paths_under(conn, pod.id, path)
    if not children and path != "/":
        raise ResourceNotFound(f"there is no container at {path}")
    iri = paths.resource_iri(pod.base_url, path)
    graph = rdf.new_graph()
    node = URIRef(iri)
    graph.add((node, RDF.type, LDP.BasicContainer))
    graph.add((node, RDF.type, LDP.Container))
    seen = set()
    for child_path, _etag, updated_at in children:
        rest = child_path[len(path) :]
        name = rest.split("/", 1)[0] + ("/" if "/" in rest else "")
        if name in seen:
            continue
        seen.add(name)
        child = URIRef(paths.resource_iri(pod.base_url, path + name))
        graph.add((node, LDP.contains, child))
        if not name.endswith("/"):
            graph.add((child, DCTERMS.modified, Literal(updated_at, datatype=XSD.dateTime)))
    etag = etag_of("\n".join(f"{p} {e}" for p, e, _ in children) or path)
    return Document(path, iri, etag, graph, is_container=True)
