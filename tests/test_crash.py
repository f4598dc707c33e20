"""Crash safety: a build killed with SIGKILL never damages the previous graph in its out folder,
and the next build completes and equals a clean build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg

from .conftest import REPO, SEED_FILE

GRAPH_FILES = ("graph.trig", "graph.nq", "graph.ttl", "graph.jsonld")
COMPANIES = ("华为", "小米", "中兴通讯", "海光信息", "紫光展锐", "比亚迪", "宁德时代", "京东方", "联想", "长鑫存储",
             "兆易创新", "地平线", "中芯国际", "韦尔股份", "澜起科技", "汇顶科技", "闻泰科技", "立讯精密")
EPOCH = "1650000000"
ASK_CUSTOMERS = """PREFIX kg: <https://w3id.org/kg-news/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?c WHERE { ?s kg:hasCustomer ?o . ?o rdfs:label ?c }"""


def make_corpus(folder: Path, n: int) -> Path:
    """``n`` posts made from the seed post, each about another company (and so another graph)."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = SEED_FILE.read_text(encoding="utf-8")
    for i in range(n):
        name = COMPANIES[i % len(COMPANIES)] + ("" if i < len(COMPANIES) else str(i))
        text = seed.replace("寒武纪", name).replace("2021 年", f"{2000 + i % 22} 年")
        (folder / f"post_{i:03d}.md").write_text(text, encoding="utf-8")
    return folder


def kg_build(corpus: Path, out: Path, *, crash_at: int | None = None, signal_after: tuple[int, Path] | None = None,
             env=None) -> subprocess.Popen:
    """``kg build`` in a subprocess.

    With ``crash_at`` it SIGKILLs itself right after its ``crash_at``-th rename in ``out`` (0:
    just before the first), to hit each step of the writes. With ``signal_after=(n, marker)``
    it creates ``marker`` once it has extracted ``n`` documents (so a test knows it is midway).
    """
    args = ["build", str(corpus), "--out", str(out), "--no-validate", "--quiet"]
    if signal_after is not None:
        n, marker = signal_after
        code = textwrap.dedent(f"""
            import kg.extract
            real, count = kg.extract.extract, [0]
            def extract(*a, **k):
                count[0] += 1
                if count[0] == {n}:
                    open({str(marker)!r}, "w").close()
                return real(*a, **k)
            kg.extract.extract = extract
            from kg.cli import main
            main()
        """)
    elif crash_at is None:
        code = "from kg.cli import main; main()"
    else:
        code = textwrap.dedent(f"""
            import os, signal, sys
            out, crash_at, count = os.path.realpath({str(out)!r}), {crash_at}, [0]
            def wrap(real):
                def rename(src, dst, *a, **k):
                    top = os.path.dirname(os.path.realpath(dst)) == out
                    if top and count[0] == crash_at:
                        os.kill(os.getpid(), signal.SIGKILL)
                    real(src, dst, *a, **k)
                    if top:
                        count[0] += 1
                        if count[0] == crash_at:
                            os.kill(os.getpid(), signal.SIGKILL)
                return rename
            os.replace, os.rename = wrap(os.replace), wrap(os.rename)
            from kg.cli import main
            main()
        """)
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in GRAPH_FILES}


def quads_without_build_record(out: Path) -> set[str]:
    lines = (out / "graph.nq").read_text(encoding="utf-8").splitlines()
    return {line for line in lines if "graph/build" not in line and "/build/" not in line}


def customers(store: ox.Store) -> set[str]:
    return {row["c"].value for row in store.query(ASK_CUSTOMERS, use_default_graph_as_union=True)}


def check_intact(out: Path, before: dict[str, bytes] | None, after: dict[str, bytes] | None = None) -> None:
    """Every graph file parses and equals the previous build's (or, with ``after``, the new
    build's) bytes; the store (or the graph.trig fallback) opens and answers a query."""
    for name in GRAPH_FILES:
        data = (out / name).read_bytes()
        assert data in {v[name] for v in (before, after) if v}, f"{name} is neither the old nor the new file"
    parsed = ox.Store()
    parsed.bulk_load((out / "graph.trig").read_bytes(), format=ox.RdfFormat.TRIG)
    assert len(parsed) > 100
    assert len(list(ox.parse((out / "graph.nq").read_bytes(), format=ox.RdfFormat.N_QUADS))) > 100
    graph = kg.KnowledgeGraph.open(out)
    answer = {r["c"] for r in graph.query(ASK_CUSTOMERS)}
    assert answer and answer in [trig_customers(v["graph.trig"]) for v in (before, after) if v]


def trig_customers(trig: bytes) -> set[str]:
    store = ox.Store()
    store.bulk_load(trig, format=ox.RdfFormat.TRIG)
    return customers(store)


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory):
    """A corpus of 200 posts and a clean build of it (and how long that took)."""
    base = tmp_path_factory.mktemp("crash")
    corpus = make_corpus(base / "corpus", 200)
    out = base / "clean"
    t0 = time.monotonic()
    proc = kg_build(corpus, out)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err.decode()
    return corpus, out, time.monotonic() - t0


@pytest.mark.slow
def test_crash_sigkill_midway_keeps_previous_graph_and_next_build_recovers(clean_build, tmp_path):
    corpus, clean, seconds = clean_build
    out = tmp_path / "out"
    kg.build([make_corpus(tmp_path / "small", 3)], out=out)  # the previous graph
    before = snapshot(out)
    listing = sorted(p.name for p in out.iterdir())

    marker = tmp_path / "extracting"
    proc = kg_build(corpus, out, signal_after=(60, marker))
    # kill while documents are extracted: 60 of 200 done, long before the writes begin
    deadline = time.monotonic() + seconds * 3 + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists() and proc.poll() is None, "the build was not seen midway"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(out) == before  # byte for byte
    assert sorted(p.name for p in out.iterdir()) == listing
    check_intact(out, before)
    store = ox.Store.read_only(str(out / "store"))
    assert customers(store) == trig_customers(before["graph.trig"]) != set()
    del store

    proc = kg_build(corpus, out)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err.decode()
    assert quads_without_build_record(out) == quads_without_build_record(clean)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".store")]


@pytest.fixture(scope="module")
def small_builds(tmp_path_factory):
    """An old corpus (3 posts), a new one (5 posts), and clean builds of both."""
    base = tmp_path_factory.mktemp("crash-small")
    old = make_corpus(base / "old", 3)
    new = make_corpus(base / "new", 5)
    (new / "post_000.md").write_text(SEED_FILE.read_text(encoding="utf-8").replace("招商银行", "建设银行"),
                                     encoding="utf-8")
    built = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)  # byte-for-byte reproducible builds
        for name, corpus in (("old", old), ("new", new)):
            out = base / f"clean-{name}"
            kg.build([corpus], out=out)
            built[name] = out
    return old, new, built


# renames in the out folder, in order: graph.trig, .nq, .ttl, .jsonld, store→.store.old,
# .store.tmp→store, graph.gexf, report.json
@pytest.mark.slow
@pytest.mark.parametrize("crash_at", [0, 1, 5, 6, 8])
def test_crash_at_each_write_step_leaves_complete_files(small_builds, tmp_path, monkeypatch, crash_at):
    old, new, clean = small_builds
    out = tmp_path / "out"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    kg.build([old], out=out)
    before = snapshot(out)
    after = snapshot(clean["new"])

    proc = kg_build(new, out, crash_at=crash_at, env={**os.environ})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err.decode()

    # each file is whole: the old one or the new one, never a mix or a stub
    check_intact(out, before, after)
    written = [name for name in GRAPH_FILES if (out / name).read_bytes() == after[name]]
    assert written == list(GRAPH_FILES[: min(crash_at, 4)])
    if crash_at == 0:  # killed with a temporary file written but not renamed
        assert [p.name for p in out.glob(".graph.trig.*.tmp")]

    # the next build neither trips over the leftovers nor keeps them
    proc = kg_build(new, out, env={**os.environ})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert quads_without_build_record(out) == quads_without_build_record(clean["new"])
    store = ox.Store.read_only(str(out / "store"))
    assert customers(store) == trig_customers(after["graph.trig"]) != trig_customers(before["graph.trig"])
    del store
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".store")]
    assert leftovers == []
