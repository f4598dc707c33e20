"""Builds: incremental rebuilds after additions, changes and deletions; outputs and report."""

from __future__ import annotations

import json

import kg


def _customers(graph, company: str) -> set[str]:
    rows = graph.query(
        """PREFIX kg: <https://w3id.org/kg-news/ontology#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT ?label WHERE { ?s rdfs:label ?name . ?s kg:hasCustomer ?c . ?c rdfs:label ?label
                                 FILTER(lang(?label) = "zh" && str(?name) = ?company) }""",
        {"company": company},
    )
    return {r["label"] for r in rows}


def _labels(graph) -> set[str]:
    rows = graph.query("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?l WHERE { ?e rdfs:label ?l }")
    return {r["l"] for r in rows}


def test_build_incremental_add_change_delete(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    out = tmp_path / "out"
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    g1 = kg.build([corpus], out=out)
    assert g1.report.changes["added"] == ["a"]
    assert "特斯拉" in _labels(g1)

    # add a document: only it is processed
    (corpus / "b.txt").write_text("比亚迪向丰田供应电池。", encoding="utf-8")
    g2 = kg.build([corpus], out=out)
    assert g2.report.changes["added"] == ["b"] and g2.report.changes["unchanged"] == ["a"]
    assert {"特斯拉", "丰田"} <= _labels(kg.KnowledgeGraph.open(out))

    # change a document: its graph is replaced
    (corpus / "a.txt").write_text("宁德时代向蔚来供货。", encoding="utf-8")
    g3 = kg.build([corpus], out=out)
    assert g3.report.changes["changed"] == ["a"]
    reopened = kg.KnowledgeGraph.open(out)
    labels = _labels(reopened)
    assert "蔚来" in labels and "特斯拉" not in labels  # no entity without a supporting document

    # delete a document: its graph and its entities go
    (corpus / "b.txt").unlink()
    g4 = kg.build([corpus], out=out)
    assert g4.report.changes["removed"] == ["b"]
    labels = _labels(kg.KnowledgeGraph.open(out))
    assert "丰田" not in labels and "比亚迪" not in labels and "蔚来" in labels
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["removed"] == 1


def test_build_incremental_equals_full_build(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("北京卫蓝新能源科技有限公司（以下简称“卫蓝新能源”）向蔚来供货。", encoding="utf-8")
    out_inc, out_full = tmp_path / "inc", tmp_path / "full"
    kg.build([corpus], out=out_inc)
    (corpus / "b.txt").write_text("卫蓝新能源在江苏溧阳建设基地。", encoding="utf-8")
    kg.build([corpus], out=out_inc)
    kg.build([corpus], out=out_full, incremental=False)
    for name in ("graph.nq", "graph.ttl"):
        inc = [l for l in (out_inc / name).read_text(encoding="utf-8").splitlines() if "graph/build" not in l and "/build/" not in l]
        full = [l for l in (out_full / name).read_text(encoding="utf-8").splitlines() if "graph/build" not in l and "/build/" not in l]
        # the build record differs in its timestamps; everything else is the same
        assert sorted(x for x in inc if "Time" not in x) == sorted(x for x in full if "Time" not in x)
