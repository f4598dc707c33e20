"""Output files: three independent parsers agree, the seed conforms, provenance is queryable."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph

from kg.validate import validate

from .conftest import REPO, require_tool

DATASETS = {"graph.trig": ("trig", ox.RdfFormat.TRIG), "graph.nq": ("nquads", ox.RdfFormat.N_QUADS),
            "graph.jsonld": ("json-ld", ox.RdfFormat.JSON_LD)}


def _rdflib_count(path: Path, fmt: str, dataset: bool) -> int:
    if dataset:
        ds = Dataset()
        ds.parse(path, format=fmt)
        return sum(1 for _ in ds.quads((None, None, None, None)))
    g = Graph()
    g.parse(path, format=fmt)
    return len(g)


def _oxigraph_count(path: Path, fmt) -> int:
    return sum(1 for _ in ox.parse(path=str(path), format=fmt))


def _third_parser_count(path: Path) -> int:
    if path.suffix == ".jsonld":
        node = require_tool("node", "jsonld.js cross-checks JSON-LD")
        modules = REPO / "tests" / ".node" / "node_modules"
        require_tool(str(modules / "jsonld"), "npm install by .ci/setup.d/10-rdf-tools.sh")
        out = subprocess.run([node, str(REPO / "tests" / "jsonld_to_nquads.mjs"), str(path), str(modules)],
                             capture_output=True, text=True, timeout=120, check=True)
        return json.loads(out.stdout)["quads"]
    rapper = require_tool("rapper", "raptor2 cross-checks TriG, N-Quads and Turtle")
    syntax = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle"}[path.suffix]
    out = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stderr.rsplit("returned", 1)[1].split()[0])


@pytest.mark.parametrize("name", ["graph.trig", "graph.nq", "graph.jsonld", "graph.ttl"])
def test_serialization_three_parsers_agree(seed_build, name):
    graph, out = seed_build
    path = out / name
    if name in DATASETS:
        rdflib_fmt, ox_fmt = DATASETS[name]
        counts = (_rdflib_count(path, rdflib_fmt, True), _oxigraph_count(path, ox_fmt), _third_parser_count(path))
        assert counts[0] == len(graph.quads())
    else:
        counts = (_rdflib_count(path, "turtle", False), _oxigraph_count(path, ox.RdfFormat.TURTLE),
                  _third_parser_count(path))
        assert counts[0] == len({q[:3] for q in graph.quads()})
    assert len(set(counts)) == 1, counts


def test_serialization_trig_uses_portable_graph_syntax(seed_build):
    _, out = seed_build
    text = (out / "graph.trig").read_text(encoding="utf-8")
    assert "GRAPH " not in text  # raptor2 2.0.15 rejects the GRAPH keyword form
    assert "<https://w3id.org/kg-news/id/graph/entities> {" in text


def test_serialization_seed_build_conforms_to_shapes(seed_build):
    _, out = seed_build
    report = validate(out)
    assert report.conforms, report.text
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["validation"]["conforms"] is True


PROVENANCE = """
PREFIX kg: <https://w3id.org/kg-news/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
SELECT ?doc ?title ?text ?sentence ?sstart ?send ?rule WHERE {
  ?s rdfs:label "寒武纪"@zh . ?o rdfs:label "招商银行"@zh .
  ?ev rdf:subject ?s ; rdf:predicate kg:hasCustomer ; rdf:object ?o ; prov:wasDerivedFrom ?doc ;
      kg:sentence ?sentence ; kg:sentenceStart ?sstart ; kg:sentenceEnd ?send ; kg:rule ?rule .
  ?doc kg:text ?text ; schema:headline ?title .
}
"""


def test_serialization_provenance_of_a_customer_relation(seed_build):
    graph, _ = seed_build
    rows = graph.query(PROVENANCE)
    assert rows, "寒武纪 hasCustomer 招商银行 has no evidence"
    row = rows[0]
    assert "招商银行" in row["sentence"] and "MLU370-X4" in row["sentence"]
    assert row["text"][row["sstart"]: row["send"]] == row["sentence"]
    assert row["title"].startswith("寒武纪 2021 年营收")
    # the mention evidence of 招商银行 in that document points at the name itself
    mentions = graph.query(
        """PREFIX kg: <https://w3id.org/kg-news/ontology#>
           PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           PREFIX schema: <https://schema.org/>
           SELECT ?doc ?start ?end ?surface WHERE {
             ?o rdfs:label "招商银行"@zh .
             ?ev rdf:predicate schema:mentions ; rdf:object ?o ; rdf:subject ?doc ;
                 kg:start ?start ; kg:end ?end ; kg:surface ?surface . }""")
    assert mentions
    for m in mentions:
        assert row["text"][m["start"]: m["end"]] == m["surface"] == "招商银行"
