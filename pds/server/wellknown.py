"""Discovery: what this pod is, where its endpoints are, and its JSON-LD context."""

from __future__ import annotations

from flask import Blueprint, Response, json

from pds import schemas
from pds.resources import MEDIA_TYPES
from pds.resources.paths import DATA_PREFIX
from pds.server.services import services

bp = Blueprint("wellknown", __name__)


@bp.get("/.well-known/pds-configuration")
def configuration():
    base = services().pod.base_url
    return {
        "issuer": base,
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
