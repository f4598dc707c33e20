"""Characters per second of the kg NLP pipeline on about 1 MB of news text, next to bare jieba.

Both run in the same process on the same text, so the ratio is meaningful on a noisy machine.
The text is the seed post plus the dev posts in ../shared/dev/docs (when present), repeated to
reach the target size, in chunks of one post each.

    python benchmarks/bench_pipeline.py [--megabytes 1.0]
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
    args = parser.parse_args()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    docs = corpus(args.megabytes)
    chars = sum(len(d.text) for d in docs)
    nlp = load_pipeline()
    nlp(docs[0].text)  # warm up: dictionaries and automata load lazily

    t = time.perf_counter()
    for d in docs:
        list(jieba.cut(d.text))
    jieba_s = time.perf_counter() - t

    t = time.perf_counter()
    for d in docs:
        list(nlp.tokenizer._posseg.cut(d.text))
    posseg_s = time.perf_counter() - t

    t = time.perf_counter()
    spacy_docs = [nlp(d.text) for d in docs]
    pipeline_s = time.perf_counter() - t

    t = time.perf_counter()
    for d, sd in zip(docs, spacy_docs):
        from kg.figures import find_figures
        from kg.relations import find_relations

        extract_from_doc(d, sd, find_relations=find_relations, find_figures=find_figures)
    extract_s = time.perf_counter() - t

    rows = [
        ("bare jieba.cut (baseline)", jieba_s),
        ("jieba posseg (segmenter + POS)", posseg_s),
        ("kg spaCy pipeline (NER)", pipeline_s),
        ("kg pipeline + relations + figures", pipeline_s + extract_s),
    ]
    print(f"text: {len(docs)} posts, {chars:,} characters ({args.megabytes} MB UTF-8)")
    print(f"{'stage':38} {'seconds':>8} {'chars/s':>10} {'x jieba':>8}")
    for name, secs in rows:
        print(f"{name:38} {secs:8.2f} {chars / secs:10,.0f} {secs / jieba_s:8.2f}")


if __name__ == "__main__":
    main()
