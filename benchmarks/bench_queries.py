"""Benchmark the query library on a synthetic ~1M-triple graph: Oxigraph vs rdflib.

The graph follows ARCHITECTURE.md "RDF design": one named graph per document with
schema:mentions, relations, figures and one kg:Evidence node per asserted triple, plus the
entities graph (labels, aliases, keys, kg:locatedIn between sites). Mentions follow a Zipf-like
law, so a few companies are in many documents, as in real news.

Each canned query of ``queries/`` runs with bound parameters (Oxigraph ``substitutions``,
rdflib ``initBindings``) over the union of all graphs; we report the median of several runs,
the row counts of both engines (they must agree) and the ratio rdflib / Oxigraph. rdflib runs
are capped (``--cap`` seconds, interrupted with SIGALRM) and reported as "> N s".

Example:
    .venv/bin/python benchmarks/bench_queries.py                 # ~1M triples, ~5-10 min
    .venv/bin/python benchmarks/bench_queries.py --docs 500      # quick smoke run
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402

from kg.queries import get_query  # noqa: E402

ID = "https://w3id.org/kg-news/id/"
KG = "https://w3id.org/kg-news/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"

CUSTOMER_PREDICATES = ("hasCustomer", "supplierOf")
OTHER_PREDICATES = ("develops", "manufactures", "manufacturedBy", "operatesAt", "partnerOf", "invests")


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _int(n: int) -> str:
    return f'"{n}"^^<{XSD}integer>'


def _dec(x: float) -> str:
    return f'"{x}"^^<{XSD}decimal>'


def generate(path: Path, *, docs: int, companies: int, products: int, seed: int = 7) -> int:
    """Write a synthetic kg graph as N-Quads to ``path``; return the number of quads."""
    rnd = random.Random(seed)
    n = 0
    comp = [f"{ID}company/c{i}" for i in range(companies)]
    prod = [f"{ID}product/p{i}" for i in range(products)]
    provinces = [f"{ID}site/prov{i}" for i in range(30)]
    cities = [f"{ID}site/city{i}" for i in range(300)]
    facilities = [f"{ID}site/fac{i}" for i in range(1500)]
    sites = provinces + cities + facilities
    # Zipf-like popularity: entity k is picked with weight 1/(k+1)
    comp_w = [1 / (k + 1) for k in range(companies)]
    prod_w = [1 / (k + 1) for k in range(products)]
    site_w = [1 / (k + 1) for k in range(len(sites))]

    with path.open("w", encoding="utf-8") as out:
        def q(s: str, p: str, o: str, g: str) -> None:
            nonlocal n
            out.write(f"<{s}> <{p}> {o} <{g}> .\n")
            n += 1

        g = f"{ID}graph/entities"
        for i, e in enumerate(comp):
            q(e, RDF + "type", f"<{KG}Company>", g)
            q(e, RDFS + "label", _lit(f"公司{i}") + "@zh", g)
            q(e, RDFS + "label", _lit(f"Company {i}") + "@en", g)
            q(e, KG + "key", _lit(f"c{i}"), g)
            if i % 3 == 0:
                q(e, SKOS + "altLabel", _lit(f"公司{i}集团") + "@zh", g)
        for i, e in enumerate(prod):
            q(e, RDF + "type", f"<{KG}Product>", g)
            q(e, RDF + "type", f"<{KG}Chip>", g)
            q(e, RDFS + "label", _lit(f"产品 {i}") + "@zh", g)
            q(e, KG + "key", _lit(f"p{i}"), g)
        for i, e in enumerate(sites):
            q(e, RDF + "type", f"<{KG}Site>", g)
            q(e, RDFS + "label", _lit(f"地点{i}") + "@zh", g)
            q(e, KG + "key", _lit(e.rsplit("/", 1)[-1]), g)
        for i, c in enumerate(cities):
            q(c, KG + "locatedIn", f"<{provinces[i % len(provinces)]}>", g)
        for i, f in enumerate(facilities):
            q(f, KG + "locatedIn", f"<{cities[i % len(cities)]}>", g)

        for d in range(docs):
            g, doc = f"{ID}graph/d{d}", f"{ID}doc/d{d}"
            date = f"20{18 + d % 6}-{1 + d % 12:02d}-{1 + d % 28:02d}"
            text = f"文档 {d} 的正文。" * 8
            sentences = [(0, 10), (10, 20), (20, 30), (30, 40)]
            q(doc, RDF + "type", f"<{KG}NewsArticle>", g)
            q(doc, SCHEMA + "headline", _lit(f"新闻标题 {d}") + "@zh", g)
            q(doc, SCHEMA + "datePublished", f'"{date}"^^<{XSD}date>', g)
            q(doc, SCHEMA + "author", _lit("IT 之家"), g)
            q(doc, SCHEMA + "keywords", _lit("新媒体"), g)
            q(doc, KG + "sourcePath", _lit(f"corpus/d{d}.md"), g)
            q(doc, KG + "contentHash", _lit(f"{d:064x}"), g)
            q(doc, KG + "text", _lit(text), g)
            ents = (rnd.choices(comp, comp_w, k=3) + rnd.choices(prod, prod_w, k=2)
                    + rnd.choices(sites, site_w, k=1))
            ents = list(dict.fromkeys(ents))
            ev = 0

            def evidence(s: str, p: str, o: str, *, surface: str | None = None) -> None:
                nonlocal ev
                ev += 1
                e = f"{ID}evidence/d{d}/{ev}"
                s0, s1 = rnd.choice(sentences)
                q(e, RDF + "type", f"<{KG}Evidence>", g)
                q(e, RDF + "subject", f"<{s}>", g)
                q(e, RDF + "predicate", f"<{p}>", g)
                q(e, RDF + "object", f"<{o}>", g)
                q(e, PROV + "wasDerivedFrom", f"<{doc}>", g)
                q(e, KG + "sentence", _lit(text[s0:s1]), g)
                q(e, KG + "sentenceStart", _int(s0), g)
                q(e, KG + "sentenceEnd", _int(s1), g)
                q(e, KG + "start", _int(s0 + 1), g)
                q(e, KG + "end", _int(s0 + 4), g)
                q(e, KG + "rule", _lit("gazetteer" if surface else "synthetic"), g)
                q(e, KG + "confidence", _dec(0.9), g)
                q(e, PROV + "atLocation", f"<{doc}#char={s0 + 1},{s0 + 4}>", g)
                if surface:
                    q(e, KG + "surface", _lit(surface), g)

            for e in ents:
                q(doc, SCHEMA + "mentions", f"<{e}>", g)
                for _ in range(rnd.choice((1, 1, 2))):
                    evidence(doc, SCHEMA + "mentions", e, surface="名称")
            cs = [e for e in ents if "/company/" in e]
            ps = [e for e in ents if "/product/" in e]
            ss = [e for e in ents if "/site/" in e]
            if len(cs) >= 2:
                pred = rnd.choice(CUSTOMER_PREDICATES)
                q(cs[0], KG + pred, f"<{cs[1]}>", g)
                q(cs[1], RDF + "type", f"<{KG}Customer>", g)
                evidence(cs[0], KG + pred, cs[1])
            if len(cs) >= 3 and rnd.random() < 0.5:
                q(cs[1], KG + "hasCustomer", f"<{cs[2]}>", g)
                evidence(cs[1], KG + "hasCustomer", cs[2])
            if cs and ps:
                pred = rnd.choice(("develops", "manufactures", "manufacturedBy"))
                s, o = (ps[0], cs[0]) if pred == "manufacturedBy" else (cs[0], ps[0])
                q(s, KG + pred, f"<{o}>", g)
                evidence(s, KG + pred, o)
            if cs and ss:
                q(cs[-1], KG + "operatesAt", f"<{ss[0]}>", g)
                evidence(cs[-1], KG + "operatesAt", ss[0])
            if cs and d % 2 == 0:
                f = f"{ID}figure/d{d}/1"
                q(cs[0], KG + "hasFigure", f"<{f}>", g)
                q(f, RDF + "type", f"<{KG}Figure>", g)
                q(f, KG + "figureKind", _lit(rnd.choice(("revenue", "growth", "shipments"))), g)
                q(f, SCHEMA + "value", _dec(round(rnd.uniform(1, 1000), 2)), g)
                q(f, SCHEMA + "unitText", _lit("CNY"), g)
                q(f, KG + "surface", _lit("7.21 亿元"), g)
                if d % 4 == 0:
                    q(f, KG + "period", _lit(date[:4]), g)
                evidence(cs[0], KG + "hasFigure", f)
    return n


# -- timing -------------------------------------------------------------------------------


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def median_time(fn, runs: int, cap: float | None = None) -> tuple[float | None, int | None]:
    """Median seconds of ``runs`` calls of ``fn`` (returning a row count); None when over ``cap``."""
    times, rows = [], None
    for i in range(runs):
        gc.collect()
        if cap:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, cap)
        t0 = time.perf_counter()
        try:
            rows = fn()
        except Timeout:
            return None, None
        finally:
            if cap:
                signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(time.perf_counter() - t0)
        if cap and times[-1] > cap / 4 and i >= 0:
            break  # slow: one run is enough
    return statistics.median(times), rows


def cases() -> list[tuple[str, dict[str, str]]]:
    """The canned queries and the bound parameters they are timed with."""
    c0, c1 = f"{ID}company/c0", f"{ID}company/c1"
    return [
        ("customers_of", {"company": c0}),
        ("suppliers_of", {"company": c1}),
        ("products_of", {"company": c0}),
        ("who_makes", {"product": f"{ID}product/p0"}),
        ("sites_of", {"company": c0}),
        ("companies_at", {"place": f"{ID}site/prov0"}),
        ("supply_chain", {"company": c0}),
        ("entity_card", {"entity": c0}),
        ("figures_of", {"entity": c0, "kind": "revenue"}),
        ("figures_of", {"entity": c0, "kind": "revenue", "period": "2020"}),
        ("evidence_for", {"subject": c0, "predicate": KG + "hasCustomer", "object": c1}),
        ("co_mentioned", {"entity": f"{ID}company/c50"}),
        ("timeline", {"entity": c0}),
        ("relations_of", {"entity": c0}),
        ("top_entities", {"type": KG + "Site"}),
    ]


def _ox_term(v: str):
    return ox.NamedNode(v) if v.startswith("http") else ox.Literal(v)


def _rdflib_term(v: str):
    return rdflib.URIRef(v) if v.startswith("http") else rdflib.Literal(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5300, help="synthetic documents (5300 ≈ 1M quads)")
    ap.add_argument("--companies", type=int, default=5000)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5, help="runs per query (median)")
    ap.add_argument("--cap", type=float, default=30.0, help="seconds before an rdflib run is abandoned")
    ap.add_argument("--store", choices=["memory", "disk"], default="memory", help="Oxigraph store kind")
    ap.add_argument("--skip-rdflib", action="store_true")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-q-"))
    nq = tmp / "graph.nq"
    t0 = time.perf_counter()
    quads = generate(nq, docs=args.docs, companies=args.companies, products=args.products)
    gen_s = time.perf_counter() - t0
    print(f"generated {quads:,} quads ({nq.stat().st_size / 2**20:.0f} MiB N-Quads) in {gen_s:.1f} s", flush=True)

    t0 = time.perf_counter()
    store = ox.Store(str(tmp / "store")) if args.store == "disk" else ox.Store()
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    ox_load = time.perf_counter() - t0
    print(f"oxigraph ({args.store}) load: {ox_load:.1f} s, {len(store):,} quads", flush=True)

    ds = None
    rdf_load = None
    if not args.skip_rdflib:
        t0 = time.perf_counter()
        ds = rdflib.Dataset(default_union=True)
        ds.parse(str(nq), format="nquads")
        rdf_load = time.perf_counter() - t0
        print(f"rdflib Dataset load: {rdf_load:.1f} s, {len(ds):,} triples in the union", flush=True)

    results = []
    for name, params in cases():
        sparql = get_query(name).sparql
        label = name + "(" + ", ".join(f"{k}={v.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}" for k, v in params.items()) + ")"
        subs = {ox.Variable(k): _ox_term(v) for k, v in params.items()}
        ox_s, ox_rows = median_time(
            lambda: len(list(store.query(sparql, use_default_graph_as_union=True, substitutions=subs))), args.runs)
        rd_s = rd_rows = None
        if ds is not None:
            binds = {k: _rdflib_term(v) for k, v in params.items()}
            rd_s, rd_rows = median_time(lambda: len(list(ds.query(sparql, initBindings=binds))),
                                        max(1, args.runs // 2 + 1), cap=args.cap)
        results.append((label, ox_s, ox_rows, rd_s, rd_rows))
        rd_txt = f"> {args.cap:.0f} s" if ds is not None and rd_s is None else (f"{rd_s * 1000:,.1f} ms" if rd_s else "-")
        print(f"  {label:<60} oxigraph {ox_s * 1000:9.2f} ms ({ox_rows} rows)   rdflib {rd_txt} ({rd_rows} rows)",
              flush=True)

    print()
    print(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, pyoxigraph {ox.__version__}, "
          f"rdflib {rdflib.__version__}; {quads:,} quads, {args.docs} documents")
    print()
    print("| | Oxigraph | rdflib | rdflib / Oxigraph |")
    print("|---|---:|---:|---:|")
    print(f"| load ({quads:,} quads, N-Quads) | {ox_load:.1f} s | "
          f"{'-' if rdf_load is None else f'{rdf_load:.1f} s'} | "
          f"{'-' if rdf_load is None else f'{rdf_load / ox_load:.0f}×'} |")
    for label, ox_s, ox_rows, rd_s, rd_rows in results:
        if ds is None:
            rd_cell, ratio = "-", "-"
        elif rd_s is None:
            rd_cell, ratio = f"> {args.cap:.0f} s", f"> {args.cap / ox_s:,.0f}×"
        else:
            rd_cell, ratio = _fmt(rd_s), f"{rd_s / ox_s:,.0f}×"
        rows = f"{ox_rows}" + ("" if rd_rows in (None, ox_rows) else f" (rdflib {rd_rows}!)")
        print(f"| `{label}` — {rows} rows | {_fmt(ox_s)} | {rd_cell} | {ratio} |")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    mismatches = [r for r in results if r[4] is not None and r[4] != r[2]]
    if mismatches:
        print(f"\nWARNING: row counts differ for {', '.join(r[0] for r in mismatches)}", file=sys.stderr)
    return 0


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


if __name__ == "__main__":
    sys.exit(main())
