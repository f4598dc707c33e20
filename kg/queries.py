"""The SPARQL query library: one parameterised query per ``.rq`` file in ``queries/``.

Each file starts with a header comment: ``# name: what it answers``, ``# Parameters: ?x — …``
and ``# Example: …``. Parameters are bound as variables (never formatted into the text); a
parameter given as a name is resolved to its entity first.

Example:
    >>> sorted(q.name for q in list_queries())[:1]
    ['customers_of']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NotFoundError, QueryError
from .resources import resource_path

_PARAM = re.compile(r"\?(\w+)")


@dataclass(frozen=True)
class Query:
    """A query of the library: its name, description, parameters and SPARQL text."""

    name: str
    description: str
    parameters: tuple[str, ...]
    example: str
    sparql: str
    path: Path = field(compare=False)


def parse_query_file(path: Path) -> Query:
    """Read a ``.rq`` file and its header comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"cannot read query {path}: {exc.strerror or exc}") from None
    description, params, example = "", (), ""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        lower = body.lower()
        if lower.startswith("parameters:"):
            params = tuple(dict.fromkeys(_PARAM.findall(body)))
        elif lower.startswith("example:"):
            example = body.split(":", 1)[1].strip()
        elif not description and ":" in body:
            description = body.split(":", 1)[1].strip()
    return Query(path.stem, description, params, example, text, path)


def list_queries(folder: Path | None = None) -> list[Query]:
    """All queries of the library, sorted by name."""
    folder = folder or resource_path("queries")
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]


def get_query(name_or_path: str) -> Query:
    """A library query by name, or any ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.exists():
        return parse_query_file(path)
    for q in list_queries():
        if q.name == name_or_path:
            return q
    known = ", ".join(q.name for q in list_queries())
    raise QueryError(f"unknown query {name_or_path!r}; known queries: {known}")


def run_query(graph, query: Query | str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a library query on ``graph`` with ``params``; names are resolved to entity IRIs."""
    q = get_query(query) if isinstance(query, str) else query
    params = dict(params or {})
    unknown = sorted(set(params) - set(q.parameters))
    if unknown:
        raise QueryError(f"query {q.name!r} has no parameter {', '.join(unknown)}; it takes {', '.join(q.parameters) or 'none'}")
    bound: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and not value.startswith(("http://", "https://")):
            try:
                bound[key] = graph.lookup(value)
            except NotFoundError:
                bound[key] = value  # a literal parameter (a kind, a period …)
        else:
            bound[key] = value
    result = graph.query(q.sparql, bound)
    if isinstance(result, bool):
        return [{"result": result}]
    return result
