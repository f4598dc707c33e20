"""Parallel and distributed builds: worker processes and Dask give the single-process graph."""

from __future__ import annotations

import json

import pytest

import kg
from kg.ingest import read_document
from kg.parallel import Executor, batched, process_batch
from tests.conftest import SEED_FILE

POSTS = {
    "a.txt": "宁德时代向特斯拉供货。宁德时代在福建宁德建设生产基地。",
    "b.txt": "比亚迪向丰田供应电池。比亚迪 2021 年实现营业收入 2161.42 亿元，同比增长 38.02%。",
    "c.txt": "北京卫蓝新能源科技有限公司（以下简称“卫蓝新能源”）向蔚来供货。",
    "d.txt": "卫蓝新能源在江苏溧阳建设基地。寒武纪与招商银行合作。",
    "e.md": "---\ntitle: '华为发布昇腾 910'\n---\n\n华为发布了昇腾 910 芯片，客户包括百度。",
    "empty.txt": "",  # cannot be read as a document: reported as failed, the same way everywhere
    "notes.csv": "a,b",  # unsupported: skipped
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in POSTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / SEED_FILE.name).write_bytes(SEED_FILE.read_bytes())
    return folder


def _graph_lines(out) -> list[str]:
    """graph.nq without the build record (its timestamps differ between builds)."""
    lines = (out / "graph.nq").read_text(encoding="utf-8").splitlines()
    return sorted(line for line in lines if "/graph/build>" not in line)


def _files(out) -> list[tuple]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [(f["path"], f["status"], f["reason"], f["doc_id"], f["entities"], f["triples"]) for f in report["files"]]


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    graph = kg.build([corpus], out=out, incremental=False)
    return graph, out


@pytest.mark.slow
def test_parallel_workers_equal_single_process(corpus, single, tmp_path):
    graph1, out1 = single
    out2 = tmp_path / "workers"
    # batches of 2 so that several batches are in flight across both workers
    graph2 = kg.build([corpus], out=out2, incremental=False, workers=2, batch_size=2)
    lines = _graph_lines(out1)
    assert len(lines) > 200 and any("hasCustomer" in line for line in lines)
    assert _graph_lines(out2) == lines
    assert _files(out2) == _files(out1)
    statuses = {f[0].rsplit("/", 1)[1]: f[1] for f in _files(out2)}
    assert statuses["empty.txt"] == "failed" and statuses["notes.csv"] == "skipped" and statuses["a.txt"] == "ok"
    assert graph2.report.changes["added"] == graph1.report.changes["added"]
    assert len(graph2.report.changes["added"]) == 6


@pytest.mark.slow
def test_parallel_dask_local_cluster_equals_single_process(corpus, single, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    _, out1 = single
    out2 = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        kg.build([corpus], out=out2, incremental=False, dask=cluster.scheduler_address, batch_size=3)
    assert _graph_lines(out2) == _graph_lines(out1)
    assert _files(out2) == _files(out1)


@pytest.mark.slow
def test_parallel_incremental_with_workers_reuses_cache(corpus, tmp_path):
    out = tmp_path / "out"
    kg.build([corpus], out=out, workers=2)
    changed = tmp_path / "corpus2"
    changed.mkdir()
    for p in corpus.iterdir():
        (changed / p.name).write_bytes(p.read_bytes())
    (changed / "a.txt").write_text("宁德时代向蔚来供货。", encoding="utf-8")
    (changed / "b.txt").unlink()
    graph = kg.build([changed], out=out, workers=2)
    assert graph.report.changes["changed"] == ["a"]
    assert graph.report.changes["removed"] == ["b"]
    assert len(graph.report.changes["unchanged"]) == 4
    labels = {r["l"] for r in graph.query(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?l WHERE { ?e rdfs:label ?l }")}
    assert "蔚来" in labels and "丰田" not in labels


def test_parallel_process_batch_reports_each_file(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("寒武纪与招商银行合作。", encoding="utf-8")
    outcomes = process_batch([(str(good), "good"), (str(tmp_path / "missing.txt"), "missing")])
    assert [o.doc_id for o in outcomes] == ["good", "missing"]
    assert sorted(e.label for e in outcomes[0].extraction.entities) == ["寒武纪", "招商银行"]
    with pytest.raises(kg.errors.InputError) as refused:
        read_document(tmp_path / "missing.txt")
    assert outcomes[1].read_failed and not outcomes[1].ok and outcomes[1].reason == str(refused.value)


@pytest.mark.parametrize("size,expected", [(1, [1, 1, 1]), (2, [2, 1]), (64, [3])])
def test_parallel_batched_sizes(size, expected):
    assert [len(b) for b in batched([("p", str(i)) for i in range(3)], size)] == expected


def test_parallel_executor_rejects_zero_workers():
    with pytest.raises(kg.errors.ConfigError, match="--workers"):
        Executor(workers=0)


def test_parallel_cli_workers_option(corpus, single, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    _, out1 = single
    out = tmp_path / "cli"
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(out), "--workers", "2", "--full",
                                       "--no-validate", "--quiet"])
    assert result.exit_code == 1, result.output  # empty.txt failed: findings
    assert _graph_lines(out) == _graph_lines(out1)
