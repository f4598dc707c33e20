"""Benchmark the query library on a synthetic ~1M-triple graph: Oxigraph (in memory and on disk) vs rdflib.

The graph follows ARCHITECTURE.md "RDF design": one named graph per document with
schema:mentions, relations, figures and one kg:Evidence node per asserted triple, plus the
entities graph (labels, aliases, keys, kg:locatedIn between sites). Mentions follow a Zipf-like
law, so a few companies are in many documents, as in real news.

Each canned query of ``queries/`` runs with bound parameters (Oxigraph ``substitutions``,
rdflib ``initBindings``) over the union of all graphs, once per parameter of a sample: ``--sample``
entities (20) drawn deterministically across the popularity range (ranked by the number of
documents mentioning them, one from the middle of each of 20 equal strata), and, reported apart,
the hottest entity (the most mentioned one). Each (query, parameter) run is timed ``--runs`` times
(median) on an in-memory ``pyoxigraph.Store()`` and on an on-disk store (bulk-loaded, then
reopened with ``Store.read_only`` as ``kg query`` does). Per query we report the median and p95
over the sample, and the overall median over all (query, parameter) runs.

rdflib (``Dataset(default_union=True)``) runs the same query on every ``--rdflib-every``-th sampled
parameter and the hot one, once, capped at ``--cap`` seconds (SIGALRM); capped runs are reported as
"> cap" and their ratios as lower bounds. rdflib gets the parameters as a VALUES block
(``kg.push.bind_values``, standard join semantics, what kg sends to remote endpoints): rdflib's
``initBindings`` do not reach into sub-selects, so with them an entity without rows gets every
row (``--rdflib-init-bindings`` to see it). Row counts of the engines are compared.

Example:
    .venv/bin/python benchmarks/bench_queries.py                 # ~1M quads; ~15-25 min, most of it rdflib
    .venv/bin/python benchmarks/bench_queries.py --skip-rdflib   # Oxigraph only, ~3 min
    .venv/bin/python benchmarks/bench_queries.py --docs 300 --companies 300 --products 300   # small run
    .venv/bin/python benchmarks/bench_queries.py --smoke         # seconds; what the tests run
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402

from kg.push import bind_values  # noqa: E402
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


# -- parameters ---------------------------------------------------------------------------

QUERY_KINDS = {
    # query: (parameter, entity kind it is drawn from, fixed extra parameters)
    "customers_of": ("company", "company", {}),
    "suppliers_of": ("company", "company", {}),
    "products_of": ("company", "company", {}),
    "sites_of": ("company", "company", {}),
    "supply_chain": ("company", "company", {}),
    "who_makes": ("product", "product", {}),
    "companies_at": ("place", "site", {}),
    "entity_card": ("entity", "any", {}),
    "timeline": ("entity", "any", {}),
    "relations_of": ("entity", "any", {}),
    "co_mentioned": ("entity", "any", {}),
    "figures_of": ("entity", "company", {"kind": "revenue"}),
    "figures_of+period": ("entity", "company", {"kind": "revenue", "period": "2020"}),
}
TOP_ENTITY_TYPES = ("Company", "Product", "Site", "Chip", "Customer")


def popularity(store) -> dict[str, list[str]]:
    """Mentioned entities of each kind (company, product, site, any), most mentioned first."""
    sparql = ("SELECT ?e (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d <https://schema.org/mentions> ?e } "
              "GROUP BY ?e ORDER BY DESC(?n) STR(?e)")
    ranked = [r["e"].value for r in store.query(sparql, use_default_graph_as_union=True)]
    out = {"any": ranked}
    for kind in ("company", "product", "site"):
        out[kind] = [e for e in ranked if e.startswith(f"{ID}{kind}/")]
    return out


def stratified(ranked: list, n: int) -> list:
    """``n`` items spread over a ranking: the middle item of each of ``n`` equal strata."""
    if len(ranked) <= n:
        return list(ranked)
    return [ranked[int((k + 0.5) * len(ranked) / n)] for k in range(n)]


def relation_triples(store) -> list[tuple[str, str, str]]:
    """Relation triples with evidence (kg: predicates, figures left out), hottest subject first."""
    sparql = f"""SELECT ?s ?p ?o (COUNT(?ev) AS ?n) WHERE {{
      ?ev <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o .
      FILTER(STRSTARTS(STR(?p), "{KG}") && ?p != <{KG}hasFigure>) }} GROUP BY ?s ?p ?o"""
    rows = [(r["s"].value, r["p"].value, r["o"].value, int(r["n"].value))
            for r in store.query(sparql, use_default_graph_as_union=True)]
    rank = {e: i for i, e in enumerate(popularity(store)["any"])}
    rows.sort(key=lambda t: (rank.get(t[0], len(rank)), -t[3], t[1], t[2]))
    return [t[:3] for t in rows]


def cases(store, sample: int) -> list[tuple[str, str, dict[str, str], list[dict[str, str]]]]:
    """(label, query, hot parameters, sampled parameters) for each timed query."""
    pop = popularity(store)
    out = []
    for label, (param, kind, extra) in QUERY_KINDS.items():
        ranked = pop[kind]
        out.append((label, label.split("+")[0], {param: ranked[0], **extra},
                    [{param: e, **extra} for e in stratified(ranked[1:], sample)]))
    triples = relation_triples(store)
    out.append(("evidence_for", "evidence_for", dict(zip(("subject", "predicate", "object"), triples[0])),
                [dict(zip(("subject", "predicate", "object"), t)) for t in stratified(triples[1:], sample)]))
    out.append(("top_entities", "top_entities", {}, [{"type": KG + t} for t in TOP_ENTITY_TYPES]))
    return out


# -- timing -------------------------------------------------------------------------------


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def time_runs(fn, runs: int, cap: float | None = None) -> tuple[float | None, int | None]:
    """Median seconds of ``runs`` calls of ``fn`` (returning a row count), and the row count;
    (None, None) when a call goes over ``cap`` seconds."""
    times, rows = [], None
    for _ in range(runs):
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
    return statistics.median(times), rows


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(0.95 * len(xs)) - 1)]


def _ox_term(v: str):
    return ox.NamedNode(v) if v.startswith("http") else ox.Literal(v)


def _rdflib_term(v: str):
    return rdflib.URIRef(v) if v.startswith("http") else rdflib.Literal(v)


def _short(params: dict[str, str]) -> str:
    return ", ".join(f"{k}={v.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}" for k, v in params.items())


def _fmt(seconds: float | None, cap: float | None = None) -> str:
    if seconds is None:
        return f"> {cap:.0f} s" if cap else "-"
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=5300, help="synthetic documents (5300 ≈ 1M quads)")
    ap.add_argument("--companies", type=int, default=5000)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--sample", type=int, default=20, help="sampled parameters per query (besides the hot one)")
    ap.add_argument("--runs", type=int, default=5, help="Oxigraph runs per (query, parameter) (median)")
    ap.add_argument("--cap", type=float, default=10.0, help="seconds before an rdflib run is abandoned")
    ap.add_argument("--rdflib-every", type=int, default=4, help="rdflib runs every n-th sampled parameter (and the hot one)")
    ap.add_argument("--skip-rdflib", action="store_true")
    ap.add_argument("--rdflib-init-bindings", action="store_true",
                    help="bind rdflib parameters with initBindings instead of a VALUES block (initBindings do "
                         "not reach into sub-selects, so rows can differ)")
    ap.add_argument("--skip-disk", action="store_true", help="time the in-memory Oxigraph store only")
    ap.add_argument("--smoke", action="store_true", help="a tiny graph and few runs: checks that everything runs")
    args = ap.parse_args(argv)
    if args.smoke:
        args.docs, args.companies, args.products = min(args.docs, 40), min(args.companies, 40), min(args.products, 40)
        args.sample, args.runs, args.cap, args.rdflib_every = min(args.sample, 4), 1, min(args.cap, 2.0), 10**6

    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-q-"))
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, tmp: Path) -> int:
    nq = tmp / "graph.nq"
    t0 = time.perf_counter()
    quads = generate(nq, docs=args.docs, companies=args.companies, products=args.products)
    print(f"generated {quads:,} quads ({nq.stat().st_size / 2**20:.0f} MiB N-Quads) in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)

    loads: dict[str, float] = {}
    stores: dict[str, ox.Store] = {}
    t0 = time.perf_counter()
    stores["memory"] = ox.Store()
    stores["memory"].bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    loads["Oxigraph in memory"] = time.perf_counter() - t0
    if not args.skip_disk:
        t0 = time.perf_counter()
        disk = ox.Store(str(tmp / "store"))
        disk.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        disk.flush()
        del disk
        gc.collect()
        loads["Oxigraph on disk (bulk_load)"] = time.perf_counter() - t0
        stores["disk"] = ox.Store.read_only(str(tmp / "store"))
    for name, secs in loads.items():
        print(f"{name} load: {secs:.1f} s", flush=True)

    ds = None
    if not args.skip_rdflib:
        t0 = time.perf_counter()
        ds = rdflib.Dataset(default_union=True)
        ds.parse(str(nq), format="nquads")
        loads["rdflib Dataset"] = time.perf_counter() - t0
        print(f"rdflib Dataset load: {loads['rdflib Dataset']:.1f} s, {len(ds):,} triples in the union", flush=True)
    gc.collect()
    gc.freeze()  # the rdflib graph is millions of objects: keep the collections before each run cheap

    todo = cases(stores["memory"], args.sample)
    # results[label] = {"hot": {...}, "sample": [{...}, ...]}; each run: params, rows, memory, disk, rdflib
    results: dict[str, dict] = {}
    for label, name, hot, sample in todo:
        sparql = get_query(name).sparql
        runs = []
        for i, params in enumerate([hot] + sample):
            subs = {ox.Variable(k): _ox_term(v) for k, v in params.items()}
            run = {"params": params, "hot": i == 0}
            for kind, store in stores.items():
                run[kind], run["rows"] = time_runs(
                    lambda: len(list(store.query(sparql, use_default_graph_as_union=True, substitutions=subs))),
                    args.runs)
            if ds is not None and (i == 0 or (i - 1) % args.rdflib_every == 0):
                if args.rdflib_init_bindings:
                    binds = {k: _rdflib_term(v) for k, v in params.items()}
                    run["rdflib"], run["rdflib_rows"] = time_runs(
                        lambda: len(list(ds.query(sparql, initBindings=binds))), 1, cap=args.cap)
                else:  # a VALUES block: standard join semantics, as kg binds parameters for remote endpoints
                    bound = bind_values(sparql, {k: _ox_term(v) for k, v in params.items()})
                    run["rdflib"], run["rdflib_rows"] = time_runs(lambda: len(list(ds.query(bound))), 1, cap=args.cap)
                run["rdflib_ran"] = True
            runs.append(run)
            print(f"  {label:<18} {_short(params):<58} {run['rows']:>5} rows  memory {_fmt(run['memory']):>9}"
                  + (f"  disk {_fmt(run['disk']):>9}" if "disk" in run else "")
                  + (f"  rdflib {_fmt(run['rdflib'], args.cap):>9}" if run.get("rdflib_ran") else ""), flush=True)
        results[label] = {"hot": runs[0], "sample": runs[1:]}

    report(args, quads, loads, results, stores)
    mismatches = [f"{label}({_short(r['params'])}): Oxigraph {r['rows']}, rdflib {r['rdflib_rows']}"
                  for label, res in results.items() for r in [res["hot"]] + res["sample"]
                  if r.get("rdflib_rows") is not None and r["rdflib_rows"] != r["rows"]]
    if mismatches:
        print("\nWARNING: row counts differ between Oxigraph and rdflib:\n  " + "\n  ".join(mismatches), file=sys.stderr)
    return 0


def report(args, quads: int, loads: dict[str, float], results: dict[str, dict], stores: dict) -> None:
    kinds = list(stores)
    print()
    print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
          f"{platform.python_version()}, pyoxigraph {ox.__version__}, rdflib {rdflib.__version__}; "
          f"{quads:,} quads, {args.docs} documents; {args.sample} sampled parameters per query, "
          f"Oxigraph median of {args.runs} runs each; rdflib once per {args.rdflib_every}th sampled parameter "
          f"and the hot one, capped at {args.cap:.0f} s")
    print()
    print("| load | time |")
    print("|---|---:|")
    for name, secs in loads.items():
        print(f"| {name} | {secs:.1f} s |")
    print()
    head = "| query | rows (sample median) |"
    rule = "|---|---:|"
    for kind in kinds:
        head += f" {kind}: median | {kind}: p95 | {kind}: hot |"
        rule += "---:|---:|---:|"
    print(head)
    print(rule)
    overall: dict[str, list[float]] = {k: [] for k in kinds}
    hot_all: dict[str, list[float]] = {k: [] for k in kinds}
    for label, res in results.items():
        sample, hot = res["sample"], res["hot"]
        line = f"| `{label}` (hot: {_short(hot['params']) or 'no parameters'}) | {statistics.median(r['rows'] for r in sample):.0f} |"
        for kind in kinds:
            ts = [r[kind] for r in sample]
            overall[kind] += ts
            hot_all[kind].append(hot[kind])
            line += f" {_fmt(statistics.median(ts))} | {_fmt(p95(ts))} | {_fmt(hot[kind])} ({hot['rows']} rows) |"
        print(line)
    print()
    for kind in kinds:
        ts = overall[kind]
        print(f"Oxigraph {kind}: overall median over {len(ts)} (query, parameter) runs {_fmt(statistics.median(ts))}, "
              f"p95 {_fmt(p95(ts))}, {sum(t <= 0.020 for t in ts) / len(ts):.0%} of runs ≤ 20 ms; "
              f"hot entities: median {_fmt(statistics.median(hot_all[kind]))}, max {_fmt(max(hot_all[kind]))}")
    compared = [(label, r) for label, res in results.items() for r in [res["hot"]] + res["sample"] if r.get("rdflib_ran")]
    if compared:
        print()
        print("| query | rdflib runs | capped | rdflib median | Oxigraph in memory median (same runs) | rdflib / Oxigraph (median of per-run ratios) |")
        print("|---|---:|---:|---:|---:|---:|")
        all_ratios, all_capped = [], 0
        for label in results:
            runs = [r for lab, r in compared if lab == label]
            capped = sum(r["rdflib"] is None for r in runs)
            all_capped += capped
            rd = [args.cap if r["rdflib"] is None else r["rdflib"] for r in runs]
            ratios = [t / max(r["memory"], 1e-6) for t, r in zip(rd, runs)]
            all_ratios += ratios
            bound = "≥ " if capped else ""
            print(f"| `{label}` | {len(runs)} | {capped} | {bound}{_fmt(statistics.median(rd))} | "
                  f"{_fmt(statistics.median(r['memory'] for r in runs))} | {bound}{statistics.median(ratios):,.0f}× |")
        print(f"\nrdflib / Oxigraph in memory over all {len(all_ratios)} compared runs: median "
              f"{statistics.median(all_ratios):,.0f}× ({all_capped} rdflib runs capped at {args.cap:.0f} s; "
              f"their ratios are lower bounds)")


if __name__ == "__main__":
    sys.exit(main())
