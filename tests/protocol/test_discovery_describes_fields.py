"""§2.4: discovery tells a vendor what each field holds (its datatype, whether it repeats, the
values it may take, the fields of nested values), and serves the SHACL shapes themselves."""

from __future__ import annotations

import requests
from rdflib import Graph, URIRef
from rdflib.namespace import SH, XSD

SCHEMA = "https://schema.org/"
PDS = "https://w3id.org/vrm-pod/ns#"


def discovered(server) -> dict:
    return requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()


def fields(config: dict, resource: str) -> dict[str, dict]:
    [entry] = [e for e in config["resources"] if e["resource"] == resource]
    return {f["iri"]: f for f in entry["fields"]}


def test_each_field_says_its_value_type(server):
    config = discovered(server)
    profile, preferences = fields(config, "/profile"), fields(config, "/preferences")

    assert profile[SCHEMA + "birthDate"]["datatype"] == str(XSD.date)
    assert profile[SCHEMA + "birthDate"]["repeats"] is False
    assert profile[SCHEMA + "email"]["repeats"] is True
    assert preferences[PDS + "doNotContact"]["datatype"] == str(XSD.boolean)
    channels = preferences[PDS + "acceptsChannel"]
    assert "datatype" not in channels  # IRIs, from a closed list
    assert {v["iri"] for v in channels["values"]} == {
        PDS + c
        for c in ("ChannelEmail", "ChannelPhone", "ChannelSMS", "ChannelPost", "ChannelInbox")
    }
    assert all(v["name"] for v in channels["values"])


def test_nested_values_list_their_own_fields(server):
    config = discovered(server)
    address = fields(config, "/profile")[SCHEMA + "address"]
    budget = fields(config, "/preferences")[PDS + "budget"]
    size = fields(config, "/preferences")[PDS + "size"]

    assert {SCHEMA + "streetAddress", SCHEMA + "postalCode", SCHEMA + "addressCountry"} <= {
        f["iri"] for f in address["fields"]
    }
    prices = {f["iri"]: f for f in budget["fields"]}
    assert prices[SCHEMA + "maxPrice"]["datatype"] == str(XSD.decimal)
    assert prices[SCHEMA + "priceCurrency"]["required"] is True
    assert {f["iri"] for f in size["fields"]} == {PDS + "garment", PDS + "sizeValue"}


def test_the_shapes_are_served_and_match_the_catalogue(server):
    config = discovered(server)
    response = requests.get(config["shapes_uri"], timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    shapes = Graph().parse(data=response.text, format="turtle")
    for entry in config["resources"]:
        if "shape" not in entry:
            continue
        shape = URIRef(entry["shape"])
        paths = {str(shapes.value(p, SH.path)) for p in shapes.objects(shape, SH.property)}
        assert {f["iri"] for f in entry["fields"]} == paths
