"""Discovery: what this pod is, where its endpoints are, and its JSON-LD context."""

from __future__ import annotations

from flask import Blueprint, Response, json

from pds import schemas
from pds.consent.agreements import roster
from pds.consent.catalogue import catalogue
from pds.consent.jose import ALGORITHMS
from pds.consent.requests import purposes
from pds.resources import MEDIA_TYPES
from pds.resources.paths import DATA_PREFIX
from pds.server.current import current_pod

PROTOCOL_VERSION = "2026-11"

bp = Blueprint("wellknown", __name__)


@bp.get("/.well-known/pds-configuration")
def configuration():
    pod = current_pod()
    base = pod.base_url
    return {
        "issuer": base,
        "protocol_version": PROTOCOL_VERSION,
        "jwks_uri": base + "/.well-known/jwks.json",
        "access_request_endpoint": base + "/access-requests",
        "inbox": base + "/threads/",
        "message_signing_alg_values_supported": list(ALGORITHMS),
        "access_request_signing_alg_values_supported": list(ALGORITHMS),
        "dpop_signing_alg_values_supported": list(ALGORITHMS),
        "grant_signing_alg_values_supported": ["EdDSA"],
        "status_list_uri": pod.grants.status_list_url,
        "resources": catalogue(),
        "shapes_uri": base + "/ns/shapes.ttl",
        "purposes_supported": [{"iri": iri, **about} for iri, about in sorted(purposes().items())],
        "terms": pod.terms.current(),
        # IEEE 7012 (§17): the agreement the customer proffers, and the roster it comes from.
        "agreement": pod.agreements.preferred().reference(),
        "agreements_supported": list(roster()),
        "agreement_roster_uri": base + "/ns/myterms-roster.json",
        "data_endpoint": base + DATA_PREFIX + "/",
        "owner_endpoint": base + "/owner",
        "jsonld_context": schemas.CONTEXT_IRI,
        "jsonld_context_endpoint": base + "/ns/context.jsonld",
        "rdf_media_types_supported": MEDIA_TYPES,
        "patch_media_types_supported": ["application/sparql-update"],
    }


@bp.get("/ns/context.jsonld")
def context():
    body = json.dumps(schemas.jsonld_context(), indent=2)
    return Response(
        body, mimetype="application/ld+json", headers={"Cache-Control": "public, max-age=86400"}
    )


@bp.get("/ns/shapes.ttl")
def shapes():
    return Response(
        schemas.shapes_turtle(),
        mimetype="text/turtle",
        headers={"Cache-Control": "public, max-age=86400"},
    )
