"""The kg command line: build, lookup, query, exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner
from rdflib import RDF, URIRef

from kg.cli import main
from kg.vocab import KG

from .conftest import SEEDS


def test_cli_help_and_version():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "query", "queries", "lookup", "validate", "eval", "export", "serve"):
        assert command in result.output
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and "kg" in version.output


def test_cli_build_seed_makes_cambricon_a_company_in_the_seed_graph(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(SEEDS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "documents" in result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["documents"] == 1
    assert report["files"][0]["status"] == "ok"
    doc_id = report["files"][0]["doc_id"]

    from rdflib import Dataset

    ds = Dataset(default_union=True)
    ds.parse(out / "graph.trig", format="trig")
    graph_iri = URIRef(f"https://w3id.org/kg-news/id/graph/{doc_id}")
    doc_graph = ds.graph(graph_iri)
    labels = {str(o) for s, p, o in ds.triples((None, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None))}
    assert "寒武纪" in labels
    rdfs_label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    cambricon = next(s for s, p, o in ds.triples((None, rdfs_label, None)) if str(o) == "寒武纪")
    assert (cambricon, RDF.type, KG.Company) in ds
    # the seed's named graph says the document mentions it
    assert any(o == cambricon for o in doc_graph.objects(None, URIRef("https://schema.org/mentions")))


def test_cli_build_bad_input_exit_code_1_and_report(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("寒武纪与招商银行合作。", encoding="utf-8")
    (corpus / "empty.md").write_bytes(b"")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(out), "--quiet"])
    assert result.exit_code == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    statuses = {f["path"].rsplit("/", 1)[-1]: (f["status"], f["reason"]) for f in report["files"]}
    assert statuses["empty.md"] == ("failed", "empty file")
    assert statuses["good.txt"][0] == "ok"


def test_cli_build_strict_stops_with_exit_2(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.md").write_bytes(b"")
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 2
    assert "empty file" in result.output


def test_cli_lookup_unknown_name_suggests(seed_build):
    _, out = seed_build
    result = CliRunner().invoke(main, ["lookup", "寒武", "--out", str(out)])
    assert result.exit_code == 1
    assert "寒武纪" in result.output


def test_cli_build_formats_writes_only_the_chosen_graph_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(out), "--formats", "nq", "--no-validate"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "graph.trig, graph.nq, graph.gexf, report.json and the store" in said and "graph.ttl" not in said
    assert {p.name for p in out.glob("graph.*")} == {"graph.trig", "graph.nq", "graph.gexf"}


def test_cli_build_unknown_format_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "out"), "--formats", "trig,owl"])
    assert result.exit_code == 2
    assert "unknown graph format owl" in result.output
