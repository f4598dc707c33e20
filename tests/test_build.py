"""Builds: incremental rebuilds after additions, changes and deletions; outputs and report."""

from __future__ import annotations

import json
import os

import pyoxigraph as ox

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


def _store_quads(out) -> set[str]:
    store = ox.Store.read_only(str(out / "store"))
    try:
        return {str(q) for q in store.quads_for_pattern(None, None, None, None)}
    finally:
        del store


def _file_quads(out) -> set[str]:
    return {str(q) for q in ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)}


def _without_build_record(quads: set[str]) -> set[str]:
    return {q for q in quads if "/graph/build>" not in q}


def test_build_unchanged_document_is_mapped_again_when_a_new_one_changes_its_entity(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # b alone: 星河光算 (no list knows it) is an entity of its own name
    (corpus / "b.txt").write_text("星河光算公司在江苏溧阳建设基地。", encoding="utf-8")
    out_inc, out_full = tmp_path / "inc", tmp_path / "full"
    first = kg.build([corpus], out=out_inc)
    bare_iri = first.lookup("星河光算").iri
    # a introduces the full name: b's unchanged text now names a's company
    (corpus / "a.txt").write_text("北京星河光算科技有限公司（以下简称“星河光算”）向蔚来供货。", encoding="utf-8")
    second = kg.build([corpus], out=out_inc)
    assert second.report.changes["unchanged"] == ["b"] and second.report.changes["added"] == ["a"]
    assert second.report.remapped == 1  # b: its fragment was mapped with the bare name's key
    full = kg.build([corpus], out=out_full, incremental=False)
    assert second.lookup("星河光算").iri == full.lookup("北京星河光算科技有限公司").iri != bare_iri
    assert _without_build_record(_file_quads(out_inc)) == _without_build_record(_file_quads(out_full))
    assert _store_quads(out_inc) == _file_quads(out_inc)
    assert bare_iri not in (out_inc / "graph.nq").read_text(encoding="utf-8")


def test_build_incremental_writes_only_changed_graphs_to_the_store(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    posts = {f"p{i}.txt": f"宁德时代向{name}供货。" for i, name in enumerate(
        ["特斯拉", "蔚来", "理想汽车", "小鹏汽车", "比亚迪", "吉利汽车", "长城汽车", "广汽埃安"])}
    for name, text in posts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert kg.build([corpus], out=out).report.store == "rebuilt"  # no store yet
    (corpus / "p0.txt").write_text("宁德时代向丰田供货。", encoding="utf-8")
    (corpus / "p7.txt").unlink()
    graph = kg.build([corpus], out=out)
    assert graph.report.store == "updated: 1 graphs written, 1 dropped"
    stored = _store_quads(out)
    assert stored == _file_quads(out)  # the store holds exactly what the files say
    assert not any("丰田" not in q and "特斯拉" in q for q in stored)
    assert any("丰田" in q for q in stored) and not any("广汽埃安" in q for q in stored)
    full = tmp_path / "full"
    kg.build([corpus], out=full, incremental=False)
    assert _without_build_record(stored) == _without_build_record(_file_quads(full))


def test_build_nothing_changed_leaves_store_graphs_alone(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    out = tmp_path / "out"
    kg.build([corpus], out=out)
    again = kg.build([corpus], out=out)
    assert again.report.store == "updated: 0 graphs written, 0 dropped"
    assert again.report.changes["unchanged"] == ["a"] and again.report.remapped == 0
    assert _store_quads(out) == _file_quads(out)


def test_build_does_not_trust_cache_files_the_manifest_does_not_name(tmp_path):
    from kg.cache import BuildCache, DocRecord
    from kg.parallel import process_batch

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    post = corpus / "a.txt"
    post.write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    out = tmp_path / "out"
    kg.build([corpus], out=out)
    # a build of an edited a.txt was killed after caching its extraction and graph, before the
    # manifest: then the edit was undone
    post.write_text("宁德时代向丰田汽车供货。", encoding="utf-8")
    (leftover,) = process_batch([(str(post), "a")])
    cache = BuildCache(out)
    cache.put_extraction(leftover.extraction)
    cache.put_fragment(DocRecord.of(leftover.extraction), leftover.keys, leftover.fragment)
    post.write_text("宁德时代向特斯拉供货。", encoding="utf-8")

    graph = kg.build([corpus], out=out)
    assert graph.report.changes["unchanged"] == ["a"]
    labels = _labels(graph)
    assert "特斯拉" in labels and "丰田汽车" not in labels
    assert "丰田" not in (out / "graph.nq").read_text(encoding="utf-8")
    assert _store_quads(out) == _file_quads(out)


def test_build_skips_validation_of_graphs_too_large_for_pyshacl(tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module("kg.build")  # kg.build is also the function
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    monkeypatch.setattr(module, "VALIDATE_MAX_QUADS", 10)
    graph = kg.build([corpus], out=tmp_path / "out", validate=True)
    assert graph.report.validation["conforms"] is None
    assert "quads is more than kg build validates (10)" in graph.report.validation["skipped"]
    monkeypatch.setattr(module, "VALIDATE_MAX_QUADS", 10**6)
    graph = kg.build([corpus], out=tmp_path / "out2", validate=True)
    assert graph.report.validation["conforms"] is True and graph.report.validation["documents"] == 1
    # the next build validates only what it wrote anew
    (corpus / "b.txt").write_text("比亚迪向丰田供应电池。", encoding="utf-8")
    graph = kg.build([corpus], out=tmp_path / "out2", validate=True)
    assert graph.report.validation["conforms"] is True and graph.report.validation["documents"] == 1


def test_build_validation_reports_violations_of_the_documents_it_checks(tmp_path, monkeypatch):
    from kg import store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    real = store.make_fragment

    def broken(quads, local=None):  # evidence without its offsets breaks the shapes
        return real([q for q in quads if not q.predicate.value.endswith("#start")], local)

    monkeypatch.setattr(store, "make_fragment", broken)
    graph = kg.build([corpus], out=tmp_path / "out", validate=True)
    assert graph.report.validation["conforms"] is False and graph.report.validation["violations"] > 0
    assert any("start" in m for m in graph.report.validation["messages"])


def test_build_draws_graph_gexf_only_for_graphs_up_to_the_limit(tmp_path, monkeypatch):
    import importlib

    module = importlib.import_module("kg.build")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    out = tmp_path / "out"
    kg.build([corpus], out=out)
    assert "特斯拉" in (out / "graph.gexf").read_text(encoding="utf-8")
    monkeypatch.setattr(module, "GEXF_MAX_QUADS", 10)
    (corpus / "b.txt").write_text("比亚迪向丰田供应电池。", encoding="utf-8")
    graph = kg.build([corpus], out=out)
    assert not (out / "graph.gexf").exists()  # no drawing of an older graph is left behind
    assert "kg export" in graph.report.gexf_skipped
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["gexf_skipped"].startswith(
        f"{graph.report.quads:,} quads")
    kg.build([corpus], out=out, gexf=True)  # asked for: drawn whatever the size
    assert "丰田" in (out / "graph.gexf").read_text(encoding="utf-8")


def test_build_moved_file_gets_its_new_source_path(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    (first / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    out = tmp_path / "out"
    kg.build([first], out=out)
    first.rename(second)  # the same bytes, the same doc id, another path
    graph = kg.build([second], out=out)
    assert graph.report.changes["unchanged"] == ["a"] and graph.report.remapped == 1
    nq = (out / "graph.nq").read_text(encoding="utf-8")
    assert str(second / "a.txt") in nq and str(first / "a.txt") not in nq
    assert _store_quads(out) == _file_quads(out)
    assert [x.doc.path for x in kg.KnowledgeGraph.open(out).extractions] == [str(second / "a.txt")]


def test_build_incremental_graph_files_equal_a_full_build_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # same build-record times in both builds
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sentences = ["宁德时代向特斯拉供货。", "比亚迪向丰田供应电池。", "台积电为寒武纪代工芯片。", "华为在深圳建设基地。"]
    for i, s in enumerate(sentences):
        (corpus / f"d{i}.txt").write_text(s, encoding="utf-8")
    inc, full = tmp_path / "inc", tmp_path / "full"
    kg.build([corpus], out=inc)
    (corpus / "d1.txt").write_text("比亚迪向蔚来供应电池。", encoding="utf-8")
    copies = []
    real = os.copy_file_range

    def counting(*args, **kw):
        copies.append(args[2])
        return real(*args, **kw)

    monkeypatch.setattr(os, "copy_file_range", counting)
    g = kg.build([corpus], out=inc)
    assert g.report.changes["changed"] == ["d1"]
    assert copies  # unchanged graphs were copied from the last graph files
    kg.build([corpus], out=full, incremental=False)
    for name in ("graph.trig", "graph.nq", "graph.ttl", "graph.jsonld"):
        assert (inc / name).read_bytes() == (full / name).read_bytes(), name
    # unchanged records are written back as read, changed ones anew: the same lines either way
    manifest = (inc / "manifest.json").read_text(encoding="utf-8").splitlines()
    assert manifest[1:] == (full / "manifest.json").read_text(encoding="utf-8").splitlines()[1:]
    assert [json.loads(line)[0] for line in manifest[1:]] == ["d0", "d1", "d2", "d3"]


def test_build_formats_none_loads_the_same_store_and_removes_stale_files(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    (corpus / "b.txt").write_text("台积电为寒武纪代工芯片。", encoding="utf-8")
    some, every = tmp_path / "some", tmp_path / "every"
    kg.build([corpus], out=every)
    kg.build([corpus], out=some)  # all four files first: the next build must remove three
    g = kg.build([corpus], out=some, formats=["none"], incremental=False)
    assert {p.name for p in some.glob("graph.*")} == {"graph.trig", "graph.gexf"}
    assert set(g.report.outputs) == {"trig", "store", "gexf", "report"}
    # the store was loaded from the cached fragments (no graph.nq): the same graph
    assert _without_build_record(_store_quads(some)) == _without_build_record(_store_quads(every))
    # and an incremental build on top keeps to the chosen files
    (corpus / "b.txt").write_text("台积电为华为代工芯片。", encoding="utf-8")
    kg.build([corpus], out=some, formats=["ttl"])
    assert {p.name for p in some.glob("graph.*")} == {"graph.trig", "graph.ttl", "graph.gexf"}
    assert "华为" in (some / "graph.ttl").read_text(encoding="utf-8")
