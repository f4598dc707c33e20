"""The SPARQL query library: one parameterised query per ``.rq`` file in ``queries/``.

Each file starts with a header comment::

    # customers_of: the customers of a company, with how many documents say so.
    # Parameters: ?company — the supplier (entity; name, alias or IRI); ?kind — … (literal, optional)
    # Example: kg query customers_of --param company=寒武纪

More parameters may follow on ``#   ?x — …`` continuation lines.

**Binding.** Parameters are bound as SPARQL variables through Oxigraph's ``substitutions``
(SEP-0007 style), never formatted into the query text, so a value such as ``"> } ; DROP ALL``
is just a literal that matches nothing. Oxigraph only binds variables of the SELECT projection,
so every query projects its parameters.

**Parameter types** come from the marker in the header description — ``(entity …``,
``(literal …``, ``(class …``, ``(predicate …`` — or, without one, from the name:

* entity: ``?company ?customer ?supplier ?product ?entity ?place ?site ?subject ?object ?other``.
  A name, alias or English name is resolved with an exact :meth:`KnowledgeGraph.lookup`;
  when it matches nothing, :class:`~kg.errors.NotFoundError` names the closest entities. An
  ``http(s)://`` value is taken as an IRI as is.
* predicate: ``?predicate``. ``hasCustomer`` → ``kg:hasCustomer``, ``mentions`` →
  ``schema:mentions``; prefixed names (``kg:develops``) and IRIs are accepted.
* class: ``?type``. ``Company`` → ``kg:Company``; prefixed names and IRIs are accepted.
* literal: anything else (``?kind``, ``?period``), bound as a plain string.

**Optional parameters.** A parameter left out stays unbound, and an unbound variable matches
anything, so most parameters are naturally optional (``customers_of`` without ``company`` lists
every customer relation). Where a parameter filters an optional value (``?period`` in
``figures_of``) or must not fan out (``?type`` in ``top_entities``), the query compares with
``COALESCE(?param, default)`` instead of joining on the variable.

Example:
    >>> sorted(q.name for q in list_queries())[:2]
    ['co_mentioned', 'companies_at']
    >>> [p.name for p in get_query("figures_of").params]
    ['entity', 'kind', 'period']
    >>> get_query("figures_of").param("entity").type
    'entity'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NotFoundError, QueryError
from .resources import resource_path

KG_NS = "https://w3id.org/kg-news/ontology#"
SCHEMA_NS = "https://schema.org/"

#: Parameter names that are entities unless the header says otherwise.
ENTITY_PARAMS = frozenset({"company", "customer", "supplier", "product", "entity", "place", "site",
                           "subject", "object", "other"})
PREDICATE_PARAMS = frozenset({"predicate"})
CLASS_PARAMS = frozenset({"type"})
PARAM_TYPES = ("entity", "predicate", "class", "literal")

_PARAM_SPEC = re.compile(r"\?(\w+)\s*(?:[—–:]|-{1,2})?\s*(.*?)\s*(?=;\s*\?\w|$)")
_MARKER = re.compile(r"\((entity|literal|class|predicate)\b")
# Predicates outside kg: that users may name by their local name.
_OTHER_PREDICATES = {
    "mentions": SCHEMA_NS + "mentions",
    "type": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "label": "http://www.w3.org/2000/01/rdf-schema#label",
    "altLabel": "http://www.w3.org/2004/02/skos/core#altLabel",
    "sameAs": "http://www.w3.org/2002/07/owl#sameAs",
}


@dataclass(frozen=True)
class Param:
    """A query parameter: its name (without ``?``), description, type and whether it is optional."""

    name: str
    description: str = ""
    type: str = "literal"
    optional: bool = True


@dataclass(frozen=True)
class Query:
    """A query of the library: its name, description, parameters and SPARQL text."""

    name: str
    description: str
    parameters: tuple[str, ...]
    example: str
    sparql: str
    path: Path = field(compare=False)
    params: tuple[Param, ...] = ()

    def param(self, name: str) -> Param:
        """The parameter called ``name`` (with or without ``?``)."""
        name = name.lstrip("?")
        for p in self.params:
            if p.name == name:
                return p
        raise QueryError(f"query {self.name!r} has no parameter ?{name}; it takes {_names(self)}")


def _names(q: Query) -> str:
    return ", ".join(f"?{p}" for p in q.parameters) or "no parameters"


def _param_type(name: str, description: str) -> str:
    marker = _MARKER.search(description)
    if marker:
        return marker.group(1)
    if name in ENTITY_PARAMS:
        return "entity"
    if name in PREDICATE_PARAMS:
        return "predicate"
    if name in CLASS_PARAMS:
        return "class"
    return "literal"


def _parse_param_specs(body: str) -> list[Param]:
    out = []
    for m in _PARAM_SPEC.finditer(body):
        name, desc = m.group(1), m.group(2).strip().rstrip(".")
        out.append(Param(name, desc, _param_type(name, desc), "required" not in desc.lower()))
    return out


def parse_query_file(path: Path) -> Query:
    """Read a ``.rq`` file and its header comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"cannot read query {path}: {exc.strerror or exc}") from None
    description, example = "", ""
    params: list[Param] = []
    in_params = False
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        lower = body.lower()
        if lower.startswith("parameters:"):
            params.extend(_parse_param_specs(body.split(":", 1)[1]))
            in_params = True
        elif in_params and body.startswith("?"):
            params.extend(_parse_param_specs(body))
        elif lower.startswith("example:"):
            example = body.split(":", 1)[1].strip()
            in_params = False
        elif not description and ":" in body:
            description = body.split(":", 1)[1].strip()
            in_params = False
    unique = {p.name: p for p in reversed(params)}  # first declaration wins
    ordered = tuple(unique[n] for n in dict.fromkeys(p.name for p in params))
    return Query(path.stem, description, tuple(p.name for p in ordered), example, text, path, ordered)


def list_queries(folder: Path | None = None) -> list[Query]:
    """All queries of the library, sorted by name."""
    folder = folder or resource_path("queries")
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]


def get_query(name_or_path: str | Path) -> Query:
    """A library query by name, or any ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix == ".rq":
        if not path.exists():
            raise QueryError(f"query file {path} does not exist")
        return parse_query_file(path)
    for q in list_queries():
        if q.name == str(name_or_path):
            return q
    known = ", ".join(q.name for q in list_queries())
    raise QueryError(f"unknown query {str(name_or_path)!r}; known queries: {known} (or give a .rq file)")


def _named(iri: str, what: str):
    import pyoxigraph as ox

    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"{what} {iri!r} is not a valid IRI: {exc}") from None


def _iri_from(value: str, local_ns: str, others: dict[str, str], what: str):
    from .mapping import PREFIXES

    if value.startswith(("http://", "https://", "urn:")):
        return _named(value, what)
    if ":" in value:
        prefix, local = value.split(":", 1)
        if prefix in PREFIXES and re.fullmatch(r"[A-Za-z_][\w-]*", local):
            return _named(PREFIXES[prefix] + local, what)
        raise QueryError(f"unknown prefix in {what} {value!r}; use one of {', '.join(sorted(PREFIXES))} or a full IRI")
    if not re.fullmatch(r"[A-Za-z_][\w-]*", value):
        raise QueryError(f"{what} {value!r} is not a name such as hasCustomer, a prefixed name or an IRI")
    from .vocab import KG

    if value in others and value not in KG.__annotations__:
        return _named(others[value], what)
    if value not in KG.__annotations__:
        raise QueryError(f"{value!r} is not a kg ontology term; give a prefixed name (schema:{value}) or a full IRI")
    return _named(local_ns + value, what)


def bind_value(graph, param: Param, value: Any):
    """The RDF term a parameter value is bound to (entity names resolved, local names expanded)."""
    import pyoxigraph as ox

    if not isinstance(value, str):
        return value  # already a term, an Entity or a number: KnowledgeGraph.query converts it
    value = value.strip()
    if param.type == "entity":
        if value.startswith(("http://", "https://", "urn:")):
            return _named(value, f"parameter ?{param.name}")
        try:
            return ox.NamedNode(graph.lookup(value).iri)
        except NotFoundError as exc:
            hint = f"; did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""
            raise NotFoundError(f"parameter ?{param.name}: no entity named {value!r}{hint} "
                                f"(try `kg lookup` or an IRI)", suggestions=exc.suggestions) from None
    if param.type == "predicate":
        return _iri_from(value, KG_NS, _OTHER_PREDICATES, "predicate")
    if param.type == "class":
        return _iri_from(value, KG_NS, {}, "type")
    return ox.Literal(value)


def bind_params(graph, query: Query, params: dict[str, Any] | None) -> dict[str, Any]:
    """Check ``params`` against the query's header and turn each value into an RDF term."""
    params = {k.lstrip("?"): v for k, v in (params or {}).items()}
    unknown = sorted(set(params) - set(query.parameters))
    if unknown:
        raise QueryError(f"query {query.name!r} has no parameter {', '.join('?' + u for u in unknown)}; "
                         f"it takes {_names(query)}")
    missing = [p.name for p in query.params if not p.optional and p.name not in params]
    if missing:
        raise QueryError(f"query {query.name!r} needs {', '.join('?' + m for m in missing)}")
    return {k: bind_value(graph, query.param(k), v) for k, v in params.items() if v is not None and v != ""}


def run_query(graph, query: Query | str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a library query on ``graph`` with ``params``; names are resolved to entity IRIs.

    >>> run_query(graph, "customers_of", {"company": "寒武纪"})   # doctest: +SKIP
    [{'company': 'https://w3id.org/kg-news/id/company/cambricon', 'customerLabel': '招商银行', …}]
    """
    q = get_query(query) if isinstance(query, (str, Path)) else query
    result = graph.query(q.sparql, bind_params(graph, q, params))
    if isinstance(result, bool):
        return [{"result": result}]
    return result
