"""SHACL validation: a small build conforms; each kind of breakage is reported on the right node."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.errors import InputError
from kg.resources import resource_path
from kg.validate import ValidationReport, validate
from kg.vocab import KG, SCHEMA

ID = "https://w3id.org/kg-news/id/"
CAMBRICON = URIRef(ID + "company/cambricon")
CMB = URIRef(ID + "company/china-merchants-bank")
KUNSHAN = URIRef(ID + "site/kunshan")
KSCC = URIRef(ID + "site/kunshan-computing-center")
SIYUAN = URIRef(ID + "product/siyuan-370")
EVIDENCE = URIRef(ID + "evidence/d1/1")
FIGURE = URIRef(ID + "figure/d1/1")
DOC_GRAPH = URIRef(ID + "graph/d1")
ENTITIES = URIRef(ID + "graph/entities")

# One document graph and the entities graph, shaped as in ARCHITECTURE.md ("RDF design").
# Types live only in the entities graph, so range checks need the union of both.
VALID_TRIG = """
@prefix kg:     <https://w3id.org/kg-news/ontology#> .
@prefix schema: <https://schema.org/> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix owl:    <http://www.w3.org/2002/07/owl#> .
@prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix gr:     <https://w3id.org/kg-news/id/graph/> .
@prefix doc:    <https://w3id.org/kg-news/id/doc/> .
@prefix co:     <https://w3id.org/kg-news/id/company/> .
@prefix pr:     <https://w3id.org/kg-news/id/product/> .
@prefix si:     <https://w3id.org/kg-news/id/site/> .
@prefix ev:     <https://w3id.org/kg-news/id/evidence/d1/> .
@prefix fig:    <https://w3id.org/kg-news/id/figure/d1/> .

gr:d1 {
    doc:d1 a kg:NewsArticle ;
        schema:headline "寒武纪 2021 年报"@zh ;
        schema:datePublished "2022-04-16"^^xsd:date ;
        kg:sourcePath "seeds/d1.md" ;
        kg:contentHash "0000000000000000000000000000000000000000000000000000000000000000" ;
        kg:text "寒武纪思元 370 的客户包括招商银行和昆山智能计算中心。2021 年营收 7.21 亿元。" ;
        schema:mentions co:cambricon , co:china-merchants-bank , si:kunshan-computing-center .

    co:cambricon kg:hasCustomer co:china-merchants-bank ;
        kg:supplierOf si:kunshan-computing-center ;
        kg:develops pr:siyuan-370 ;
        kg:hasFigure fig:1 .
    co:china-merchants-bank a kg:Customer .
    si:kunshan-computing-center a kg:Customer ; kg:locatedIn si:kunshan .

    ev:1 a kg:Evidence ;
        rdf:subject co:cambricon ; rdf:predicate kg:hasCustomer ; rdf:object co:china-merchants-bank ;
        prov:wasDerivedFrom doc:d1 ;
        kg:sentence "寒武纪思元 370 的客户包括招商银行和昆山智能计算中心。" ;
        kg:sentenceStart 0 ; kg:sentenceEnd 27 ;
        kg:start 10 ; kg:end 12 ;
        kg:rule "customer.include" ;
        kg:confidence 0.8 ;
        prov:atLocation <https://w3id.org/kg-news/id/doc/d1#char=10,12> .
    ev:2 a kg:Evidence ;
        rdf:subject doc:d1 ; rdf:predicate schema:mentions ; rdf:object co:china-merchants-bank ;
        prov:wasDerivedFrom doc:d1 ;
        kg:sentence "寒武纪思元 370 的客户包括招商银行和昆山智能计算中心。" ;
        kg:start 12 ; kg:end 16 ; kg:surface "招商银行" ;
        kg:rule "gazetteer" ; kg:confidence 1.0 .

    fig:1 a kg:Figure ;
        kg:figureKind "revenue" ;
        schema:value 721000000.0 ;
        schema:unitText "CNY" ;
        kg:period "2021" ;
        kg:surface "7.21 亿元" .
}

gr:entities {
    co:cambricon a kg:Company ;
        rdfs:label "寒武纪"@zh , "Cambricon"@en ;
        skos:altLabel "中科寒武纪"@zh ;
        kg:key "cambricon" .
    co:china-merchants-bank a kg:Company ; rdfs:label "招商银行"@zh ; kg:key "china-merchants-bank" .
    pr:siyuan-370 a kg:Product , kg:Chip ; rdfs:label "思元 370"@zh .
    si:kunshan a kg:Site , kg:AdministrativeArea ; rdfs:label "昆山"@zh .
    si:kunshan-computing-center a kg:Site , kg:Facility ; rdfs:label "昆山智能计算中心"@zh .
}
"""


def valid_dataset() -> Dataset:
    return Dataset().parse(data=VALID_TRIG, format="trig")


def violations_on(report: ValidationReport, node: URIRef) -> list:
    return [v for v in report.violations if v.focus_node == node]


def test_validate_valid_dataset_conforms() -> None:
    report = validate(valid_dataset())
    assert report.conforms, report.text
    assert report.violations == []


def test_validate_sees_types_from_another_named_graph() -> None:
    ds = valid_dataset()
    # The document graph alone has no type for the product, so its range check fails there.
    doc_only = validate(ds.graph(DOC_GRAPH))
    assert any(v.focus_node == CAMBRICON and v.path == KG.develops for v in doc_only.violations)
    assert validate(ds).conforms


def _add(graph: URIRef, *triple) -> Callable[[Dataset], None]:
    return lambda ds: ds.graph(graph).add(triple)


def _remove(graph: URIRef, s, p, o=None) -> Callable[[Dataset], None]:
    return lambda ds: ds.graph(graph).remove((s, p, o))


def _replace(graph: URIRef, s, p, o) -> Callable[[Dataset], None]:
    return lambda ds: ds.graph(graph).set((s, p, o))


BROKEN = {
    "two core types": (_add(ENTITIES, CAMBRICON, RDF.type, KG.Site), CAMBRICON, None),
    "entity without label": (_remove(ENTITIES, KUNSHAN, RDFS.label), KUNSHAN, RDFS.label),
    "two labels in one language": (
        _add(ENTITIES, KUNSHAN, RDFS.label, Literal("昆山市", lang="zh")),
        KUNSHAN,
        RDFS.label,
    ),
    "develops a Site": (_add(DOC_GRAPH, CAMBRICON, KG.develops, KUNSHAN), CAMBRICON, KG.develops),
    "customer is a Product": (_add(DOC_GRAPH, CAMBRICON, KG.hasCustomer, SIYUAN), CAMBRICON, KG.hasCustomer),
    "figure without unit": (_remove(DOC_GRAPH, FIGURE, SCHEMA.unitText), FIGURE, SCHEMA.unitText),
    "figure kind not allowed": (
        _replace(DOC_GRAPH, FIGURE, KG.figureKind, Literal("profit")),
        FIGURE,
        KG.figureKind,
    ),
    "figure value is a double": (
        _replace(DOC_GRAPH, FIGURE, SCHEMA.value, Literal(721000000.0)),
        FIGURE,
        SCHEMA.value,
    ),
    "evidence without start": (_remove(DOC_GRAPH, EVIDENCE, KG.start), EVIDENCE, KG.start),
    "confidence 1.5": (
        _replace(DOC_GRAPH, EVIDENCE, KG.confidence, Literal(Decimal("1.5"))),
        EVIDENCE,
        KG.confidence,
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validate_broken_variant_reports_focus_node(name: str) -> None:
    mutate, focus, path = BROKEN[name]
    ds = valid_dataset()
    mutate(ds)
    report = validate(ds)
    assert not report.conforms
    hits = violations_on(report, focus)
    assert hits, f"no violation on {focus}; got {[str(v) for v in report.violations]}"
    assert any(v.path == path for v in hits), [str(v) for v in hits]
    assert all(v.severity == "Violation" and v.message for v in report.violations)


def test_validate_reports_offending_value() -> None:
    ds = valid_dataset()
    ds.graph(DOC_GRAPH).add((CAMBRICON, KG.develops, KUNSHAN))
    [hit] = validate(ds).violations
    assert (hit.focus_node, hit.path, hit.value) == (CAMBRICON, KG.develops, KUNSHAN)


@pytest.mark.parametrize("inference", ["rdfs", "owlrl"])
def test_validate_valid_dataset_conforms_with_inference(inference: str) -> None:
    report = validate(valid_dataset(), inference=inference)
    assert report.conforms, report.text


def test_validate_reads_trig_file_and_output_folder(tmp_path: Path) -> None:
    valid_dataset().serialize(tmp_path / "graph.trig", format="trig")
    assert validate(tmp_path / "graph.trig").conforms
    assert validate(tmp_path).conforms
    assert validate(str(tmp_path)).conforms


@pytest.mark.parametrize(
    ("name", "content"),
    [("missing.trig", None), ("bad.ttl", "this is not turtle ."), ("data.csv", "a,b\n")],
)
def test_validate_unreadable_input_raises_input_error(tmp_path: Path, name: str, content: str | None) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError):
        validate(path)


def test_validate_rejects_unknown_inference_mode() -> None:
    with pytest.raises(ValueError):
        validate(Graph(), inference="owl-full")


@pytest.mark.parametrize("name", ["kg.ttl", "shapes.ttl"])
def test_validate_ontology_files_parse_with_rdflib_and_pyoxigraph(name: str) -> None:
    path = resource_path("ontology", name)
    rdflib_count = len(Graph().parse(path, format="turtle"))
    oxigraph_count = len(list(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE)))
    assert rdflib_count == oxigraph_count > 0
