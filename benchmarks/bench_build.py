"""Build throughput, peak memory and incremental rebuilds, each next to a baseline of the same run.

* throughput: documents/s and characters/s of ``kg build`` (one process and ``--workers``)
  against bare ``jieba.cut`` of the same clean text (the floor any Chinese pipeline pays);
* memory: peak RSS of the build process (and of its largest worker) for each corpus size;
* incremental: a rebuild after 1% of the documents changed against the full build.

Corpora come from ``benchmarks/gen_corpus.py`` (deterministic). Every build runs in its own
subprocess so that peak RSS (``getrusage``) belongs to that build alone.

    python benchmarks/bench_build.py [--sizes 1000,3000] [--workers 2] [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _child(corpus: str, out: str, workers: int, incremental: bool, formats: str = "") -> None:
    """Run one build in this (fresh) process and print its figures as JSON."""
    import threading

    import kg

    peak = {"workers": 0.0}
    stop = threading.Event()

    def sample() -> None:  # worker processes are not our children under forkserver: sample them
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not stop.wait(0.25):
            for proc in me.children(recursive=True) + _forkserver_children(psutil):
                try:
                    peak["workers"] = max(peak["workers"], proc.memory_info().rss / 2**20)
                except psutil.Error:
                    pass

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t = time.perf_counter()
    graph = kg.build([corpus], out=out, workers=workers, incremental=incremental, validate=False,
                     formats=formats.split(",") if formats else None)
    seconds = time.perf_counter() - t
    stop.set()
    thread.join()
    print(json.dumps({
        "seconds": seconds, "documents": graph.report.documents, "chars": graph.report.chars,
        "quads": graph.report.quads, "store": graph.report.store, "remapped": graph.report.remapped,
        "timings": graph.report.timings,
        "changed": len(graph.report.changes.get("changed", [])) + len(graph.report.changes.get("added", [])),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_rss_mb": max(peak["workers"], resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }))


def _forkserver_children(psutil) -> list:
    """Processes started by this process's forkserver (they belong to it, not to us)."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    try:
        return psutil.Process(pid).children() if pid else []
    except psutil.Error:
        return []


def run_build(corpus: Path, out: Path, workers: int = 1, incremental: bool = False, formats: str = "") -> dict:
    cmd = [sys.executable, __file__, "--child", str(corpus), str(out), str(workers), "1" if incremental else "0",
           formats]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bare_jieba(corpus: Path) -> dict:
    """Seconds of jieba.cut over the clean text of every document (dictionary loaded first)."""
    import jieba

    from kg.ingest import ingest

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    texts = [d.text for d in ingest([corpus]).documents]
    t = time.perf_counter()
    for text in texts:
        for _ in jieba.cut(text):
            pass
    return {"seconds": time.perf_counter() - t, "documents": len(texts), "chars": sum(map(len, texts))}


def touch_documents(corpus: Path, share: float) -> int:
    """Append a sentence to every 1/share-th post (deterministic); returns how many changed."""
    files = sorted(corpus.glob("*.md"))
    step = max(1, round(1 / share))
    changed = files[::step]
    for path in changed:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("</div>", "<p>宁德时代向特斯拉供货。</p></div>"), encoding="utf-8")
    return len(changed)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(argv[1], argv[2], int(argv[3]), argv[4] == "1", argv[5] if len(argv) > 5 else "")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="corpus sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="folder for corpora and outputs (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--formats", default="", help="kg build --formats for every build (default: all four files)")
    parser.add_argument("--skip-single", action="store_true", help="skip the single-process build")
    args = parser.parse_args(argv)
    from benchmarks.gen_corpus import generate

    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "sizes": {}}
    print(f"work folder: {work}; {os.cpu_count()} CPUs", flush=True)
    for n in sizes:
        corpus, out = work / f"corpus-{n}", work / f"out-{n}"
        shutil.rmtree(corpus, ignore_errors=True)
        generate(n, corpus)
        row: dict = {"jieba": bare_jieba(corpus)}
        shutil.rmtree(out, ignore_errors=True)
        if not args.skip_single:
            row["single"] = run_build(corpus, out, 1, incremental=False, formats=args.formats)
            shutil.rmtree(out, ignore_errors=True)
        row["workers"] = run_build(corpus, out, args.workers, incremental=True, formats=args.formats)  # fills the cache
        full = row["workers"]["seconds"]
        row["touched"] = touch_documents(corpus, 0.01)
        row["incremental"] = run_build(corpus, out, args.workers, incremental=True, formats=args.formats)
        row["incremental_ratio"] = row["incremental"]["seconds"] / full
        results["sizes"][n] = row
        _print(n, row, args.workers)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def _print(n: int, row: dict, workers: int) -> None:
    j, s, w, inc = row["jieba"], row.get("single"), row["workers"], row["incremental"]
    chars = j["chars"]
    print(f"\n== {n} documents, {chars:,} characters, {w['quads']:,} quads")
    print(f"{'run':34} {'seconds':>8} {'docs/s':>8} {'chars/s':>10} {'/core':>10} {'x jieba':>8} {'core-s':>7}"
          f" {'RSS MB':>8} {'worker MB':>9}")
    print(f"{'bare jieba.cut, 1 core (baseline)':34} {j['seconds']:8.2f} {n / j['seconds']:8.1f} "
          f"{chars / j['seconds']:10,.0f} {chars / j['seconds']:10,.0f} {1:8.2f} {1:7.2f}")
    # x jieba: wall-clock seconds against the baseline's; core-s: core-seconds against its
    for name, r, cores in (("kg build, 1 process", s, 1), (f"kg build --workers {workers}", w, workers)):
        if r is None:
            continue
        print(f"{name:34} {r['seconds']:8.2f} {r['documents'] / r['seconds']:8.1f} {chars / r['seconds']:10,.0f} "
              f"{chars / r['seconds'] / cores:10,.0f} {r['seconds'] / j['seconds']:8.2f} "
              f"{r['seconds'] * cores / j['seconds']:7.2f} {r['rss_mb']:8.0f} {r['worker_rss_mb']:9.0f}")
    print(f"{'incremental, ' + str(row['touched']) + ' docs changed':34} {inc['seconds']:8.2f}"
          f"   = {row['incremental_ratio']:.1%} of the full build (target <= 5%); RSS {inc['rss_mb']:.0f} MB;"
          f" {inc['changed']} documents re-extracted, {inc['remapped']} remapped; store {inc['store']}")
    for name, r in (("1 process", s or {}), (f"--workers {workers}", w), ("incremental", inc)):
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r.get("timings", {}).items())
        print(f"  stages, {name}: {stages}")
    if inc["changed"] > row["touched"]:
        print("  warning: the extraction cache was invalidated (kg's NLP code or data changed during the run):"
              " the incremental figure is not valid")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
