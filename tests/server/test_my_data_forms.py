"""My data: the forms made from the shapes, and how form values become a stored graph again.

These tests run on the shapes alone, without a server; the page that uses the forms is in
test_my_data_page.py.
"""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from pds import schemas
from pds.resources import ShapeViolation, rdf, validation
from pds.server.web import forms

SCHEMA = Namespace("https://schema.org/")
PDS = schemas.VOCAB
BASE = "http://127.0.0.1:8000"
PROFILE_IRI = f"{BASE}/data/profile"
PREFERENCES_IRI = f"{BASE}/data/preferences"
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def sample(path: str) -> Graph:
    return rdf.parse(schemas.sample_documents()[path].encode(), rdf.TURTLE, f"{BASE}/data{path}")


def save_form(path: str, values: dict, stored: Graph) -> Graph:
    return forms.graph_from_values(
        forms.form_model(path), values, stored, f"{BASE}/data{path}"
    ).graph


# -- the form model ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_form_has_every_field_of_the_shape_in_order_with_its_name_and_help(path):
    shapes = schemas.shapes_graph()
    shape = schemas.shape_for_path(path)
    properties = sorted(
        shapes.objects(shape, SH.property), key=lambda p: int(shapes.value(p, SH.order))
    )
    model = forms.form_model(path)
    assert [(f.predicate, f.label, f.help) for f in model.fields] == [
        (
            shapes.value(p, SH.path),
            str(shapes.value(p, SH.name)),
            str(shapes.value(p, SH.description)),
        )
        for p in properties
    ]


def test_profile_fields_have_the_kind_count_and_checks_of_their_shape():
    fields = {f.key: f for f in forms.form_model("/profile").fields}
    assert fields["name"].kind == "text" and fields["name"].required
    assert not fields["name"].repeating and fields["name"].max_length == 200
    assert fields["email"].repeating and not fields["email"].required
    assert fields["birthDate"].kind == "date" and not fields["birthDate"].repeating
    address = fields["address"]
    assert (
        address.kind == "group" and address.repeating and address.node_type == SCHEMA.PostalAddress
    )
    assert [(s.key, s.label) for s in address.subfields] == [
        ("streetAddress", "Street address"),
        ("addressLocality", "Town or city"),
        ("postalCode", "Postcode"),
        ("addressRegion", "County, state or region"),
        ("addressCountry", "Country"),
    ]


def test_preferences_offer_channels_by_their_plain_names_and_prices_as_decimals():
    fields = {f.key: f for f in forms.form_model("/preferences").fields}
    channels = fields["acceptsChannel"]
    assert channels.kind == "choice"
    assert [c.label for c in channels.choices] == [
        "Email",
        "Phone call",
        "Text message (SMS)",
        "Post",
        "Pod inbox",
    ]
    assert fields["doNotContact"].kind == "checkbox"
    budget = {s.key: s for s in fields["budget"].subfields}
    assert budget["minPrice"].kind == "number" and budget["minPrice"].step == "0.01"
    assert budget["minPrice"].minimum == "0"
    assert budget["category"].required
    assert fields["size"].node_type == PDS.SizePreference


def test_patterns_become_html_patterns_only_where_browsers_read_them_the_same_way():
    fields = {f.key: f for f in forms.form_model("/profile").fields}
    assert fields["email"].pattern == r"[^@ \t\n\r]+@[^@ \t\n\r]+\.[^@ \t\n\r]+"
    assert fields["telephone"].pattern == r"\+?[0-9 \(\)\-]+"
    assert fields["knowsLanguage"].pattern == "[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*"
    assert forms.html_pattern("^[A-Z]{2}$") == "[A-Z]{2}"
    assert forms.html_pattern("[A-Z]{2}") is None  # unanchored: a browser would be stricter
    assert forms.html_pattern("^a|b$") is None  # the anchors would bind differently
    assert forms.html_pattern("^(?=a).*$") is None
    assert forms.html_pattern("^[a-z-[aeiou]]+$") is None  # XPath class subtraction
    assert forms.html_pattern("^(en|fr)$") == "(en|fr)"
    assert forms.html_pattern("^[a-z]+$", flags="i") is None


# -- graph -> form values -> graph -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile", "/preferences"])
def test_a_sample_document_comes_back_unchanged_through_its_form(path):
    stored = sample(path)
    model = forms.form_model(path)
    values = forms.values_from_graph(model, stored, f"{BASE}/data{path}")
    assert isomorphic(save_form(path, values, stored), stored)


def test_the_form_shows_each_stored_value_under_its_input_name():
    values = forms.values_from_graph(
        forms.form_model("/preferences"), sample("/preferences"), PREFERENCES_IRI
    )
    assert values["acceptsChannel"] == [str(PDS.ChannelEmail), str(PDS.ChannelInbox)]
    assert values["doNotContact-present"] == ["1"] and "doNotContact" not in values
    assert [values[f"interest-{i}"] for i in range(3)] == [["cooking"], ["cycling"], ["jazz"]]
    assert values["budget-1-category"] == ["groceries"]
    assert values["budget-1-maxPrice"] == ["120.00"] and "budget-1-minPrice" not in values


def test_changing_one_email_changes_only_that_value():
    stored = sample("/profile")
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["email-1"] = ["alex@new.example"]
    saved = save_form("/profile", values, stored)
    me = URIRef(PROFILE_IRI + "#me")
    assert set(saved.objects(me, SCHEMA.email)) == {
        Literal("alex.example@example.org"),
        Literal("alex@new.example"),
    }
    assert len(saved) == len(stored)


def test_data_the_form_does_not_show_is_kept():
    stored = sample("/profile")
    me, home = URIRef(PROFILE_IRI + "#me"), URIRef(PROFILE_IRI + "#home")
    extra = [
        (me, SCHEMA.jobTitle, Literal("Cook")),
        (home, SCHEMA.name, Literal("Home")),
        (URIRef(PROFILE_IRI + "#cat"), SCHEMA.name, Literal("Tibbles")),
    ]
    for triple in extra:
        stored.add(triple)
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["address-0-postalCode"] = ["EX9 9ZZ"]
    saved = save_form("/profile", values, stored)
    for triple in extra:
        assert triple in saved
    assert saved.value(home, SCHEMA.postalCode) == Literal("EX9 9ZZ")
    assert (home, RDF.type, SCHEMA.PostalAddress) in saved


def test_empty_rows_are_ignored():
    stored = sample("/preferences")
    values = forms.values_from_graph(forms.form_model("/preferences"), stored, PREFERENCES_IRI)
    values.update(
        {
            "interest-3": [""],
            "interest-4": ["   "],
            "budget-2-category": [""],
            "budget-2-minPrice": [""],
            "size-2-garment": [""],
        }
    )
    assert isomorphic(save_form("/preferences", values, stored), stored)


def test_a_new_row_becomes_a_typed_node_of_the_document_with_typed_values():
    stored = sample("/preferences")
    values = forms.values_from_graph(forms.form_model("/preferences"), stored, PREFERENCES_IRI)
    values.update(
        {
            "budget-2-category": ["books"],
            "budget-2-maxPrice": ["30.5"],
            "budget-2-priceCurrency": ["EUR"],
            "doNotContact": ["true"],
        }
    )
    saved = save_form("/preferences", values, stored)
    new = URIRef(PREFERENCES_IRI + "#budget-1")
    assert (URIRef(PREFERENCES_IRI + "#prefs"), PDS.budget, new) in saved
    assert (new, RDF.type, PDS.BudgetRange) in saved
    assert saved.value(new, SCHEMA.maxPrice) == Literal("30.5", datatype=XSD_DECIMAL)
    assert saved.value(URIRef(PREFERENCES_IRI + "#prefs"), PDS.doNotContact) == Literal(True)
    validation.validate(saved, "/preferences")


def test_a_removed_row_takes_its_node_with_it():
    stored = sample("/profile")
    values = forms.values_from_graph(forms.form_model("/profile"), stored, PROFILE_IRI)
    values["address-0-remove"] = ["1"]
    saved = save_form("/profile", values, stored)
    assert (URIRef(PROFILE_IRI + "#home"), None, None) not in saved
    assert (None, SCHEMA.address, None) not in saved


def test_an_empty_form_for_a_new_document_makes_just_the_typed_main_node():
    saved = save_form("/preferences", {}, Graph())
    assert set(saved) == {(URIRef(PREFERENCES_IRI + "#prefs"), RDF.type, PDS.Preferences)}


def test_refused_values_are_placed_next_to_the_input_they_came_from():
    stored = sample("/preferences")
    model = forms.form_model("/preferences")
    values = forms.values_from_graph(model, stored, PREFERENCES_IRI)
    values.update(
        {
            "interest-1": ["x" * 201],
            "budget-2-category": ["books"],
            "budget-2-priceCurrency": ["eur"],
        }
    )
    built = forms.graph_from_values(model, values, stored, PREFERENCES_IRI)
    with pytest.raises(ShapeViolation) as refused:
        validation.validate(built.graph, "/preferences")
    problems = forms.place_violations(model, built, values, refused.value.violations)
    targets = {p.target: p.text for p in problems}
    assert targets["interest-1"] == "Write each interest as text of 1 to 200 characters."
    assert targets["budget-2-priceCurrency"].startswith("Give the currency once")
    assert targets["budget-2"].startswith("One of your budgets has a mistake")

    view = forms.form_view(model, values, "etag", problems)
    interests = next(f for f in view.fields if f.field.key == "interest")
    bad = next(c for c in interests.controls if c.name == "interest-1")
    assert bad.value == "x" * 201 and bad.described_by.startswith("preferences-interest-1-error")
    assert (
        "Interests: Write each interest as text of 1 to 200 characters.",
        "preferences-interest-1",
    ) in view.summary


def test_a_problem_on_a_blank_nested_node_is_placed_on_its_row():
    stored = rdf.parse(
        b"""@prefix pds: <https://w3id.org/vrm-pod/ns#> .
        <#prefs> a pds:Preferences ; pds:size [ a pds:SizePreference ;
            pds:garment "shoes" ; pds:sizeValue "42" ; pds:note "wide fit" ] .""",
        rdf.TURTLE,
        PREFERENCES_IRI,
    )
    model = forms.form_model("/preferences")
    values = forms.values_from_graph(model, stored, PREFERENCES_IRI)
    values["size-0-garment"] = [""]
    built = forms.graph_from_values(model, values, stored, PREFERENCES_IRI)
    assert (None, PDS.note, Literal("wide fit")) in built.graph  # the same node, kept
    with pytest.raises(ShapeViolation) as refused:
        validation.validate(built.graph, "/preferences")
    problems = forms.place_violations(model, built, values, refused.value.violations)
    # A blank node has no name to report the row by: "one of your sizes" goes on the field.
    assert {p.target for p in problems} == {"size-0-garment", "size"}
    view = forms.form_view(model, values, "etag", problems)
    assert [target for _, target in view.summary] == ["preferences-size-0-garment"]
