"""Characters per second of the kg NLP pipeline on about 1 MB of news text, next to bare jieba.

Both run in the same process on the same text, so the ratio is meaningful on a noisy machine.
The text is the seed post plus the dev posts in ../shared/dev/docs (when present), repeated to
reach the target size, in chunks of one post each. Every stage runs ``--repeat`` times, in
rounds, and the fastest run of each counts (the one least disturbed by other work on the
machine). Times are the process's CPU time by default, which other processes competing for the
cores barely change; ``--clock wall`` measures elapsed time instead. Dictionaries are loaded
before timing starts.

    python benchmarks/bench_pipeline.py [--megabytes 1.0] [--repeat 3] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kg.extract import extract_from_doc  # noqa: E402
from kg.ingest import read_document  # noqa: E402
from kg.nlp import load_pipeline  # noqa: E402


def corpus(megabytes: float) -> list:
    files = sorted((REPO / "seeds").glob("*.md")) + sorted((REPO.parent / "shared" / "dev" / "docs").glob("*.md"))
    docs = [read_document(p) for p in files]
    out, size, target = [], 0, int(megabytes * 1024 * 1024)
    while size < target:
        for d in docs:
            out.append(d)
            size += len(d.text.encode("utf-8"))
            if size >= target:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each stage; the fastest counts")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="CPU time of this process (default) or elapsed time")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    import jieba

    from kg.figures import find_figures
    from kg.relations import find_relations

    jieba.setLogLevel(logging.WARNING)
    docs = corpus(args.megabytes)
    chars = sum(len(d.text) for d in docs)
    nlp = load_pipeline()
    # warm up: jieba's dictionary (about 1 s) and kg's automata load lazily
    jieba.initialize()
    extract_from_doc(docs[0], nlp(docs[0].text), find_relations=find_relations, find_figures=find_figures)

    best = {"jieba": float("inf"), "posseg": float("inf"), "pipeline": float("inf"), "extract": float("inf")}
    for _ in range(max(1, args.repeat)):
        t = clock()
        for d in docs:
            list(jieba.cut(d.text))
        best["jieba"] = min(best["jieba"], clock() - t)

        t = clock()
        for d in docs:
            list(nlp.tokenizer._posseg.cut(d.text))
        best["posseg"] = min(best["posseg"], clock() - t)

        t = clock()
        spacy_docs = [nlp(d.text) for d in docs]
        best["pipeline"] = min(best["pipeline"], clock() - t)

        t = clock()
        for d, sd in zip(docs, spacy_docs):
            extract_from_doc(d, sd, find_relations=find_relations, find_figures=find_figures)
        best["extract"] = min(best["extract"], clock() - t)
        del spacy_docs

    jieba_s = best["jieba"]
    rows = [
        ("bare jieba.cut (baseline)", jieba_s),
        ("jieba posseg (segmenter + POS)", best["posseg"]),
        ("kg spaCy pipeline (NER)", best["pipeline"]),
        ("kg pipeline + relations + figures", best["pipeline"] + best["extract"]),
    ]
    print(f"text: {len(docs)} posts, {chars:,} characters ({args.megabytes} MB UTF-8), "
          f"{args.clock} time, best of {args.repeat}")
    print(f"{'stage':38} {'seconds':>8} {'chars/s':>10} {'x jieba':>8}")
    for name, secs in rows:
        print(f"{name:38} {secs:8.2f} {chars / secs:10,.0f} {secs / jieba_s:8.2f}")


if __name__ == "__main__":
    main()
