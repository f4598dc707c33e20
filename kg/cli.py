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
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
def build(paths: tuple[Path, ...], out: Path, strict: bool, validate: bool, quiet: bool) -> None:
    """Build the graph of PATHS (files or folders; default: seeds/) into --out.

    \b
    Example:
      kg build seeds/ ../news/2022/ --out out/
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .build import build as run_build
    from .ingest import iter_files

    total = sum(1 for _ in iter_files(paths or ["seeds"]))
    progress = Progress(TextColumn("[bold]extracting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        TextColumn("{task.description}"), console=err_console, transient=True,
                        disable=quiet or total < 5)
    try:
        with progress:
            task = progress.add_task("", total=total)
            graph = run_build(list(paths) or None, out=out, strict=strict, validate=validate,
                              progress=lambda p: progress.update(task, advance=1, description=Path(p).name[:40]))
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
        console.print(summary_table(report))
        console.print(f"wrote {out}/graph.trig, graph.ttl, graph.nq, graph.jsonld, graph.gexf, report.json")
    if report.validation and not report.validation["conforms"]:
        err_console.print(f"[red]{report.validation['violations']} SHACL violations[/]; run `kg validate {out}` for details")
    if report.failed or (report.validation and not report.validation["conforms"]):
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
        table.add_row("SHACL", "conforms" if report.validation["conforms"] else f"{report.validation['violations']} violations")
    table.add_row("time", f"{s['seconds']:.2f} s")
    return table


@main.command()
@click.argument("name")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The build folder to look in.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def lookup(name: str, out: Path, as_json: bool) -> None:
    """Show the entity called NAME (Chinese or English name, alias, any spacing).

    \b
    Example:
      kg lookup Cambricon
      kg lookup "思元370"
    """
    from .graph import KnowledgeGraph

    try:
        ref = KnowledgeGraph.open(out).lookup(name)
    except KGError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(ref.__dict__, ensure_ascii=False, indent=2))
    else:
        console.print(f"[bold]{ref.label}[/] ({ref.kind})\n  {ref.iri}")
        if ref.aliases:
            console.print(f"  aliases: {', '.join(ref.aliases)}")


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
    out = {}
    for item in params:
        if "=" not in item:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        key, value = item.split("=", 1)
        out[key.strip().lstrip("?")] = value.strip()
    return out


def print_rows(rows: list[dict], fmt: str) -> None:
    """Print result rows as a table, CSV, TSV or JSON."""
    import csv

    columns = list(rows[0]) if rows else []
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt in {"csv", "tsv"}:
        writer = csv.writer(sys.stdout, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
    else:
        table = Table(show_header=True, header_style="bold")
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
        console.print(table)
        console.print(f"{len(rows)} rows")


@main.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; names and labels are resolved to entities. Repeatable.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="The build folder to query.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
def query(query: str, params: tuple[str, ...], out: Path, fmt: str) -> None:
    """Run QUERY (a library query name or a .rq file) on the graph in --out.

    \b
    Example:
      kg query customers_of --param company=寒武纪
      kg query my.rq --format csv
    """
    from .graph import KnowledgeGraph
    from .queries import run_query

    try:
        rows = run_query(KnowledgeGraph.open(out), query, _parse_params(params))
    except KGError as exc:
        raise _fail(exc) from None
    print_rows(rows, fmt)


@main.command()
def queries() -> None:
    """List the queries of the library with their parameters."""
    from .queries import list_queries

    table = Table(show_header=True, header_style="bold")
    for c in ("name", "parameters", "what it answers"):
        table.add_column(c)
    for q in list_queries():
        table.add_row(q.name, ", ".join(q.parameters), q.description)
    console.print(table)


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


def run() -> None:  # pragma: no cover - console entry point alias
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    main()
