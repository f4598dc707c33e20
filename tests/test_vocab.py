"""kg.vocab.KG must declare exactly the terms of ontology/kg.ttl, each labelled in zh and en."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.resources import resource_path
from kg.vocab import KG

DECLARING_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.SymmetricProperty,
    OWL.TransitiveProperty,
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(resource_path("ontology", "kg.ttl"), format="turtle")


@pytest.fixture(scope="module")
def declared(ontology: Graph) -> set[URIRef]:
    """kg: IRIs typed with an OWL declaring class in kg.ttl."""
    return {
        s
        for t in DECLARING_TYPES
        for s in ontology.subjects(RDF.type, t)
        if isinstance(s, URIRef) and s.startswith(str(KG._NS))
    }


def python_terms() -> set[URIRef]:
    return {KG[name] for name in KG.__annotations__}


def test_vocab_every_python_term_is_declared_in_ontology(declared: set[URIRef]) -> None:
    assert python_terms() - declared == set()


def test_vocab_every_ontology_term_is_in_python(declared: set[URIRef]) -> None:
    assert declared - python_terms() == set()


def test_vocab_no_kg_term_is_used_without_being_declared(ontology: Graph, declared: set[URIRef]) -> None:
    used = {t for triple in ontology for t in triple if isinstance(t, URIRef) and t.startswith(str(KG._NS))}
    assert used - declared == set()


@pytest.mark.parametrize("name", sorted(KG.__annotations__))
def test_vocab_term_has_zh_and_en_label_and_definition(ontology: Graph, name: str) -> None:
    term = KG[name]
    for prop in (RDFS.label, SKOS.definition):
        langs = [o.language for o in ontology.objects(term, prop)]
        assert sorted(langs) == ["en", "zh"], f"{name} {prop}: {langs}"


def test_vocab_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError):
        KG.hasCustommer  # noqa: B018  (typo on purpose)


def test_vocab_known_attribute_is_namespace_iri() -> None:
    assert KG.hasCustomer == URIRef("https://w3id.org/kg-news/ontology#hasCustomer")
