"""The ``kg`` command line: thin wrappers over the library (parse, call, format, map errors).

Exit codes: 0 success; 1 findings (some inputs failed, SHACL violations); 2 bad input or usage.

Example:
    $ kg build seeds/ --out out/
    $ kg lookup Cambricon --out out/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import ConfigError, InputError, KGError, NotFoundError, QueryError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def _fail(exc: KGError) -> "click.exceptions.Exit":
    code = EXIT_BAD_INPUT if isinstance(exc, (InputError, ConfigError, QueryError)) else EXIT_FINDINGS
    err_console.print(f"[bold red]error:[/] {exc}")
    return click.exceptions.Exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="kg")
def main() -> None:
    """kg: build knowledge graphs of companies, products, customers and sites from Chinese tech news.

    \b
    Quick start:
      kg build seeds/ --out out/      build the graph of a folder of posts
      kg lookup 寒武纪 --out out/       show what the graph knows about an entity
      kg validate out/                check the graph against the SHACL shapes

    Exit codes: 0 ok, 1 findings (failed inputs, violations), 2 bad input.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for graph.trig, graph.ttl, graph.nq, graph.jsonld, graph.gexf, report.json and the store.")
@click.option("--strict", is_flag=True, help="Stop at the first file that cannot be read.")
@click.option("--validate/--no-validate", default=True, show_default=True, help="Check the graph against the SHACL shapes.")
@click.option("--full", is_flag=True, help="Process every document again, ignoring the cache of the last build.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Extract in N worker processes (streamed in batches; same graph as one process).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Extract on a Dask cluster, e.g. tcp://scheduler:8786 (needs kg[dask]).")
@click.option("--gexf/--no-gexf", default=None,
              help="Write graph.gexf, or not. Default: for graphs up to 1,000,000 quads (about 1,300 posts).")
@click.option("--formats", default="trig,nq,ttl,jsonld", show_default=True, metavar="LIST",
              help="Graph files to write, comma-separated, from trig, nq, ttl, jsonld, or none. graph.trig is "
                   "always written; fewer files make large builds and rebuilds much faster.")
def build(paths: tuple[Path, ...], out: Path, strict: bool, validate: bool, full: bool, quiet: bool,
          workers: int, dask_address: str | None, gexf: bool | None, formats: str) -> None:
    """Build the graph of PATHS (files or folders; default: seeds/) into --out.

    \b
    Example:
      kg build seeds/ ../news/2022/ --out out/
      kg build ../news/ --out out/ --workers 4
      kg build ../news/ --out out/ --dask tcp://10.0.0.5:8786
      kg build ../news/ --out out/ --formats trig     # the store and graph.trig only
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .build import build as run_build
    from .ingest import iter_files

    total = sum(1 for _ in iter_files(paths or ["seeds"]))
    progress = Progress(TextColumn("[bold]{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), TextColumn("{task.description}"), console=err_console, transient=True,
                        disable=quiet or total < 5)
    try:
        with progress:
            task = progress.add_task("", total=total, stage="extracting")
            graph = run_build(list(paths) or None, out=out, strict=strict, validate=validate, incremental=not full,
                              workers=workers, dask=dask_address, gexf=gexf, formats=formats.split(","),
                              progress=lambda p: progress.update(task, advance=1, description=Path(p).name[:40]),
                              stage=lambda name: progress.update(task, stage=name, description=""))
    except KGError as exc:
        raise _fail(exc) from None
    report = graph.report
    for f in report.files:
        if f.status == "failed":
            err_console.print(f"[red]failed[/]  {f.path}: {f.reason}")
        elif f.status == "skipped" and not quiet:
            err_console.print(f"[yellow]skipped[/] {f.path}: {f.reason}")
        for w in f.warnings:
            if not quiet:
                err_console.print(f"[yellow]warning[/] {f.path}: {w}")
    if not quiet:
        changes = report.changes
        console.print(
            f"documents: {len(changes.get('added', []))} added, {len(changes.get('changed', []))} changed, "
            f"{len(changes.get('removed', []))} removed, {len(changes.get('unchanged', []))} unchanged"
        )
        console.print(summary_table(report))
        files = [Path(p).name for k, p in report.outputs.items() if k not in ("store", "report")]
        console.print(f"wrote {out}/{', '.join([*files, 'report.json'])} and the store")
        if report.gexf_skipped:
            err_console.print(f"[yellow]graph.gexf not written[/]: {report.gexf_skipped}")
    violations = bool(report.validation) and report.validation["conforms"] is False
    if violations:
        err_console.print(f"[red]{report.validation['violations']} SHACL violations[/]; run `kg validate {out}` for details")
    elif report.validation and report.validation.get("skipped") and not quiet:
        err_console.print(f"[yellow]not validated[/]: {report.validation['skipped']}")
    if report.failed or violations:
        raise click.exceptions.Exit(EXIT_FINDINGS)


def summary_table(report) -> Table:
    """The end-of-build summary: documents, entities per type, relations, triples, time."""
    s = report.to_dict()["summary"]
    table = Table(title="kg build", show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("files (ok / skipped / failed)", f"{s['ok']} / {s['skipped']} / {s['failed']}")
    table.add_row("documents", str(s["documents"]))
    for kind in ("Company", "Product", "Site"):
        table.add_row(f"entities: {kind}", str(s["entities_by_type"].get(kind, 0)))
    table.add_row("customers", str(s["customers"]))
    table.add_row("relations", str(s["relations"]))
    for pred, n in s["relations_by_predicate"].items():
        table.add_row(f"  {pred}", str(n))
    table.add_row("figures", str(s["figures"]))
    table.add_row("triples", str(s["triples"]))
    if report.validation is not None:
        conforms = report.validation["conforms"]
        table.add_row("SHACL", "not validated (too large)" if conforms is None else
                      "conforms" if conforms else f"{report.validation['violations']} violations")
    if s.get("store"):
        table.add_row("store", s["store"])
    table.add_row("time", f"{s['seconds']:.2f} s")
    return table


@main.command()
@click.argument("name")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The build folder (or a .trig/.nq file) to look in.")
@click.option("--type", "kind", metavar="TYPE", help="Only entities of this type: Company, Product, Site, Chip …")
@click.option("--search", "-s", "do_search", is_flag=True,
              help="List ranked matches (prefix, substring, fuzzy) instead of one exact entity.")
@click.option("--mentions", "-m", default=5, show_default=True, help="How many mentions to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (Entity.to_dict(), or the matches).")
def lookup(name: str, out: Path, kind: str | None, do_search: bool, mentions: int, as_json: bool) -> None:
    """Show the entity called NAME (Chinese or English name, alias, any spacing, case or width).

    Exit code 1 when no entity has that name (the closest names are suggested).

    \b
    Example:
      kg lookup Cambricon
      kg lookup "思元370" --json
      kg lookup 思元 --search --type Product
    """
    from .graph import KnowledgeGraph

    try:
        graph = KnowledgeGraph.open(out)
        if do_search:
            matches = graph.search(name, type=kind, limit=20)
        else:
            entity = graph.lookup(name, kind=kind)
    except KGError as exc:
        raise _fail(exc) from None
    if do_search:
        if as_json:
            click.echo(json.dumps([m.__dict__ for m in matches], ensure_ascii=False, indent=2))
        else:
            print_rows([{"label": m.label, "kind": m.kind, "how": m.how, "matched": m.matched,
                         "mentions": m.mentions, "iri": m.iri} for m in matches], "table")
        if not matches:
            raise click.exceptions.Exit(EXIT_FINDINGS)
    elif as_json:
        click.echo(json.dumps(entity.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(entity_card(entity, mentions=mentions))


def entity_card(entity, *, mentions: int = 5):
    """A rich renderable of an :class:`~kg.lookup.Entity`: names, relations, figures, mentions."""
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel

    head = [f"[bold]{escape(entity.label)}[/]" + (f"  {escape(entity.label_en)}" if entity.label_en else "")
            + f"  [dim]{', '.join(entity.types)}[/]", f"[cyan]{entity.iri}[/]"]
    if entity.aliases:
        head.append(f"aliases: {escape(', '.join(entity.aliases))}")
    if entity.same_as:
        head.append(f"same as: {', '.join(entity.same_as)}")
    head.append(f"{len(entity.mentions)} mentions in {len(entity.documents)} documents")
    parts: list = ["\n".join(head)]
    links = [("→", r) for r in entity.outgoing] + [("←", r) for r in entity.incoming]
    if links:
        table = Table(title="relations", show_header=True, header_style="bold", title_justify="left")
        for c in ("", "relation", "entity", "documents"):
            table.add_column(c)
        for arrow, r in links:
            table.add_row(arrow, r.predicate, escape(r.other_label), str(r.documents))
        parts.append(table)
    if entity.figures:
        table = Table(title="figures", show_header=True, header_style="bold", title_justify="left")
        for c in ("kind", "period", "value", "unit", "surface", "date"):
            table.add_column(c)
        for f in entity.figures:
            table.add_row(*(escape("" if v is None else str(v)) for v in (f.kind, f.period, f.value, f.unit, f.surface, f.date)))
        parts.append(table)
    if entity.mentions and mentions > 0:
        table = Table(title="mentions", show_header=True, header_style="bold", title_justify="left")
        for c in ("date", "document", "sentence"):
            table.add_column(c)
        for m in entity.mentions[:mentions]:
            table.add_row(m.date or "", escape(m.title or m.doc), escape(m.sentence or ""))
        if len(entity.mentions) > mentions:
            table.caption = f"… {len(entity.mentions) - mentions} more (--mentions N)"
        parts.append(table)
    return Panel(Group(*parts), title=entity.kind, title_align="left")


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("out"))
@click.option("--inference", type=click.Choice(["none", "rdfs", "owlrl"]), default="none", show_default=True)
def validate(path: Path, inference: str) -> None:
    """Check a graph (build folder or RDF file) against the SHACL shapes.

    Exit code 0 when it conforms, 1 with violations, 2 when it cannot be read.
    """
    from .validate import validate as run_validate

    try:
        report = run_validate(path, inference=None if inference == "none" else inference)
    except KGError as exc:
        raise _fail(exc) from None
    if report.conforms:
        console.print(f"[green]{path} conforms to the kg shapes[/]")
        return
    for v in report.violations:
        err_console.print(f"[red]violation[/] {v}")
    err_console.print(f"{len(report.violations)} violations")
    raise click.exceptions.Exit(EXIT_FINDINGS)


def _parse_params(params: tuple[str, ...]) -> dict[str, str]:
    """``("company=寒武纪", "?kind=revenue")`` → ``{"company": "寒武纪", "kind": "revenue"}``."""
    out = {}
    for item in params:
        if "=" not in item:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        key, value = item.split("=", 1)
        key = key.strip().lstrip("?")
        if not key:
            raise click.BadParameter(f"missing parameter name in {item!r}", param_hint="--param")
        out[key] = value.strip()
    return out


def _cell(value) -> str:
    return "" if value is None else str(value)


def format_rows(rows: list[dict], fmt: str) -> str:
    """Result rows as CSV, TSV or JSON text (``table`` is rendered by :func:`print_rows`)."""
    import csv
    import io

    columns = list(rows[0]) if rows else []
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return buf.getvalue()


def print_rows(rows: list[dict], fmt: str) -> None:
    """Print result rows as a table, CSV, TSV or JSON."""
    if fmt != "table":
        click.echo(format_rows(rows, fmt), nl=False)
        return
    from rich.markup import escape

    columns = list(rows[0]) if rows else []
    # a table is for people: an IRI column whose label column is there too is left out
    # (csv, tsv and json keep every column)
    shown = [c for c in columns if not (f"{c}Label" in columns and all(
        isinstance(r[c], str) and r[c].startswith(("http://", "https://")) for r in rows if r[c] is not None))]
    table = Table(show_header=True, header_style="bold")
    for c in shown:
        table.add_column(c)
    for row in rows:
        table.add_row(*(escape(_cell(row[c])) for c in shown))
    console.print(table)
    console.print(f"{len(rows)} rows")


@main.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; entity parameters (company, product, entity, place …) take a name, "
                   "alias or IRI. Repeatable.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The build folder (or a .trig/.nq file) to query.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--endpoint", metavar="URL", help="Query a SPARQL 1.1 endpoint (where `kg push` loaded the graph) instead of --out.")
@click.option("--user", help="User name for --endpoint.")
@click.option("--password", help="Password for --endpoint.")
def query(query: str, params: tuple[str, ...], out: Path, fmt: str, endpoint: str | None, user: str | None,
          password: str | None) -> None:
    """Run QUERY (a library query name or a .rq file) on the graph in --out.

    Parameters are bound as SPARQL variables, never pasted into the query. `kg queries` lists
    the library. Exit code 2 for an unknown query, parameter or entity name.

    \b
    Example:
      kg query customers_of --param company=寒武纪
      kg query figures_of -p entity=Cambricon -p kind=revenue --format csv
      kg query my.rq --format json
      kg query customers_of -p company=寒武纪 --endpoint http://127.0.0.1:8890/sparql
    """
    from .graph import KnowledgeGraph
    from .queries import run_query

    try:
        if endpoint:
            from .push import RemoteGraph

            graph = RemoteGraph(endpoint, auth=(user, password or "") if user else None)
        else:
            graph = KnowledgeGraph.open(out)
        rows = run_query(graph, query, _parse_params(params))
    except NotFoundError as exc:  # an entity parameter that names nothing is bad input here
        err_console.print(f"[bold red]error:[/] {exc}")
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except KGError as exc:
        raise _fail(exc) from None
    print_rows(rows, fmt)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def queries(as_json: bool) -> None:
    """List the queries of the library with their parameters and what they answer."""
    from .queries import list_queries

    found = list_queries()
    if as_json:
        click.echo(json.dumps([{"name": q.name, "description": q.description, "example": q.example,
                                "parameters": [p.__dict__ for p in q.params]} for q in found],
                              ensure_ascii=False, indent=2))
        return
    table = Table(show_header=True, header_style="bold")
    for c in ("name", "parameters", "what it answers"):
        table.add_column(c)
    for q in found:
        table.add_row(q.name, ", ".join(f"?{p.name} ({p.type})" for p in q.params), q.description)
    console.print(table)


@main.command(name="export")
@click.argument("target", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["gexf", "graphml", "json", "csv", "png"]), default=None,
              help="Output format [default: from the suffix of OUT].")
@click.option("--view", type=click.Choice(["entities", "co-mention", "bipartite"]), default="entities",
              show_default=True, help="Which NetworkX view of the graph to export.")
@click.option("--out-dir", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The build folder to read the graph from.")
def export_cmd(target: Path, fmt: str | None, view: str, out_dir: Path) -> None:
    """Export a view of the graph in --out-dir to OUT for Gephi and other tools.

    GEXF 1.3 (coloured, sized, with a timeline), GraphML, node-link JSON, CSV (writes
    OUT_nodes.csv and OUT_edges.csv, or nodes.csv and edges.csv into OUT when it is a folder) or PNG.

    \b
    Example:
      kg export --format gexf --view entities graph.gexf
      kg export --view co-mention --out-dir out/ co-mention.png
    """
    from .export import export
    from .graph import KnowledgeGraph

    try:
        written = export(KnowledgeGraph.open(out_dir), fmt, target, view=view)
    except KGError as exc:
        raise _fail(exc) from None
    for path in written:
        console.print(f"wrote {path}")


@main.command(name="eval")
@click.argument("gold_dir", type=click.Path(path_type=Path))
@click.argument("docs_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_cmd(gold_dir: Path, docs_dir: Path, as_json: bool) -> None:
    """Score the pipeline against gold annotations (precision, recall, F1 per type).

    \b
    Example:
      kg eval ../shared/dev/gold ../shared/dev/docs
    """
    from .evaluate import evaluate_dirs, format_table
    from .extract import extract, to_gold_format
    from .ingest import read_document

    try:
        score = evaluate_dirs(gold_dir, docs_dir, lambda p: to_gold_format(extract(read_document(p))))
    except KGError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(score.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(format_table(score))


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("out"))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 exposes it to the network).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--timeout", default=10.0, show_default=True, type=float, help="Seconds a SPARQL query may run.")
@click.option("--row-limit", default=10_000, show_default=True, type=int, help="Most rows (or triples) a query returns.")
@click.option("--max-query-bytes", default=1_000_000, show_default=True, type=int, help="Longest query accepted (413 beyond).")
@click.option("--workers", default=2, show_default=True, type=int, help="Query processes running at once.")
def serve(path: Path, host: str, port: int, timeout: float, row_limit: int, max_query_bytes: int, workers: int) -> None:
    """Serve the graph in PATH: SPARQL endpoint (/sparql), web explorer (/) and reconciliation (/reconcile).

    \b
    Example:
      kg serve out/ --port 8000
      curl 'http://127.0.0.1:8000/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D'
    """
    from .serve import serve as run_serve

    try:
        run_serve(path, host=host, port=port, timeout=timeout, row_limit=row_limit,
                  max_query_bytes=max_query_bytes, workers=workers)
    except KGError as exc:
        raise _fail(exc) from None


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("out"))
@click.option("--endpoint", required=True, metavar="URL",
              help="SPARQL endpoint, e.g. http://127.0.0.1:8890/sparql-auth (updates, and the graph list for pruning).")
@click.option("--graph-store", metavar="URL", default=None,
              help="Graph Store HTTP Protocol URL: replace graphs with PUT (e.g. …/sparql-graph-crud-auth).")
@click.option("--user", default=None, help="User name (Digest or Basic auth, as the server asks).")
@click.option("--password", envvar="KG_SPARQL_PASSWORD", default=None,
              help="Password (or set KG_SPARQL_PASSWORD; asked for when --user is given without one).")
@click.option("--method", type=click.Choice(["auto", "gsp", "update"]), default="auto", show_default=True,
              help="gsp: PUT per graph; update: DROP + INSERT DATA per graph; auto: gsp with --graph-store.")
@click.option("--prune/--no-prune", default=True, show_default=True,
              help="Drop document graphs on the server that the build no longer has.")
def push(path: Path, endpoint: str, graph_store: str | None, user: str | None, password: str | None,
         method: str, prune: bool) -> None:
    """Load the graph built in PATH into a SPARQL 1.1 server, one named graph per request.

    Each graph is replaced (not added to), so pushing again after a rebuild leaves no duplicates.

    \b
    Example:
      kg push out/ --endpoint http://127.0.0.1:8890/sparql-auth --user dba
      kg push out/ --endpoint http://host:3030/ds/update --graph-store http://host:3030/ds/data
    """
    from .push import push as run_push

    if user and password is None:
        password = click.prompt(f"password for {user}", hide_input=True, err=True)
    try:
        report = run_push(path, endpoint, graph_store=graph_store, auth=(user, password or "") if user else None,
                          method=method, prune=prune)
    except KGError as exc:
        raise _fail(exc) from None
    console.print(f"pushed {report.graphs} graphs ({report.triples} triples) by {report.method} "
                  f"in {report.seconds:.1f} s; dropped {len(report.dropped)} stale graphs")


def run() -> None:  # pragma: no cover - console entry point alias
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main()
