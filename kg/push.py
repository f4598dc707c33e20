"""Load a built graph into a SPARQL 1.1 server, and query a remote SPARQL endpoint.

:func:`push` replaces each named graph of a build folder on the server, one request per graph:
either a Graph Store HTTP Protocol ``PUT`` (an atomic replacement of the graph) or, without a
graph store URL, one SPARQL Update request ``DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g>
{ … } }``. Pushing again after a rebuild replaces graphs instead of adding duplicates, and drops
the document graphs (``kgr:graph/…``) of documents that are no longer in the build.

:func:`remote_query` runs a SELECT or ASK on an endpoint and returns rows in the shape of
:meth:`kg.graph.KnowledgeGraph.query`. Parameters are bound with a ``VALUES`` block at the start
of the query's WHERE group. That block is built by *serialising RDF terms* (pyoxigraph's
N-Triples form, with its escaping of quotes, backslashes and newlines) — user text is never
pasted into the query: a value becomes one IRI or one literal token, nothing else.

Example:
    >>> push("out/", "http://127.0.0.1:8890/sparql-auth", auth=("dba", "secret"))  # doctest: +SKIP
    PushReport(method='update', graphs=3, triples=1347, dropped=[], seconds=0.4)
    >>> remote_query("http://127.0.0.1:8890/sparql",                                # doctest: +SKIP
    ...     "SELECT ?l WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?l }", {"c": "https://w3id.org/kg-news/id/company/cambricon"})
    [{'l': '寒武纪'}, {'l': 'Cambricon'}]
    >>> values_clause({"company": "寒武纪"})
    'VALUES (?company) { ("寒武纪") }'
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import ConfigError, InputError, KGError, QueryError

#: triples per INSERT DATA operation: Virtuoso compiles each one to SQL and refuses very long ones
INSERT_CHUNK = 1000
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# what the scanner in _where_brace skips over: comments, IRIs, strings (long and short)
_SKIP = re.compile(r'#[^\n]*|<[^<>"{}|^`\\\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                   r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.S)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)


@dataclass
class PushReport:
    """What :func:`push` sent: the method used, graphs and triples replaced, graphs dropped."""

    method: str
    graphs: int = 0
    triples: int = 0
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- HTTP -------------------------------------------------------------------------------------


class _Http:
    """A requests session that answers a 401 challenge with Digest or Basic auth as asked."""

    def __init__(self, auth: tuple[str, str] | None, timeout: float) -> None:
        import requests

        self.requests = requests
        self.session = requests.Session()
        self.credentials = auth
        self.timeout = timeout

    def send(self, method: str, url: str, **kwargs):
        try:
            resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
            if resp.status_code == 401 and self.credentials and self.session.auth is None:
                challenge = resp.headers.get("WWW-Authenticate", "")
                auth = self.requests.auth
                self.session.auth = (auth.HTTPDigestAuth(*self.credentials) if challenge.lower().startswith("digest")
                                     else auth.HTTPBasicAuth(*self.credentials))
                resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except self.requests.RequestException as exc:
            raise ConfigError(f"cannot reach the SPARQL server at {url}: {exc}; check --endpoint and that it runs") from None
        if resp.status_code in (401, 403):
            hint = "check --user and --password" if self.credentials else "give --user and --password"
            raise ConfigError(f"{url} refused the request (HTTP {resp.status_code}): {hint}, and that the user may update")
        if resp.status_code >= 400:
            body = " ".join(resp.text.split())[:300]
            raise QueryError(f"{url} answered HTTP {resp.status_code}: {body}")
        return resp

    def close(self) -> None:
        self.session.close()


# -- push -------------------------------------------------------------------------------------


def _open_store(out_dir: str | os.PathLike[str]) -> ox.Store:
    from .store import open_store

    path = Path(out_dir)
    if not path.exists():
        raise InputError(f"{path} does not exist: build a graph first with `kg build --out {path}`")
    return open_store(path)


def named_graphs(store: ox.Store) -> Iterator[tuple[str, list[ox.Triple]]]:
    """``(graph IRI, triples)`` of each named graph in ``store``, graphs sorted by IRI."""
    for g in sorted(store.named_graphs(), key=lambda g: g.value):
        if isinstance(g, ox.NamedNode):
            yield g.value, [q.triple for q in store.quads_for_pattern(None, None, None, g)]


def _ntriples(triples: list[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def update_text(graph: str, triples: list[ox.Triple]) -> str:
    """The SPARQL Update that replaces ``graph`` with ``triples`` (one request, chunked inserts).

    >>> t = ox.Triple(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal('say "hi"'))
    >>> print(update_text("http://e/g", [t]))
    DROP SILENT GRAPH <http://e/g> ;
    INSERT DATA { GRAPH <http://e/g> {
    <http://e/s> <http://e/p> "say \\"hi\\"" .
    } }
    """
    g = str(ox.NamedNode(graph))
    ops = [f"DROP SILENT GRAPH {g}"]
    for i in range(0, len(triples), INSERT_CHUNK):
        ops.append(f"INSERT DATA {{ GRAPH {g} {{\n{_ntriples(triples[i:i + INSERT_CHUNK])}}} }}")
    return " ;\n".join(ops)


def push(
    out_dir: str | os.PathLike[str],
    endpoint: str,
    *,
    graph_store: str | None = None,
    auth: tuple[str, str] | None = None,
    method: str = "auto",
    prune: bool = True,
    timeout: float = 120.0,
) -> PushReport:
    """Replace each named graph of the build in ``out_dir`` on a SPARQL 1.1 server.

    ``method`` is ``"gsp"`` (HTTP PUT to ``graph_store``), ``"update"`` (SPARQL Update to
    ``endpoint``) or ``"auto"`` (``gsp`` when ``graph_store`` is given). With ``prune``, document
    graphs under this build's ``kgr:graph/`` namespace that the build no longer has are dropped.
    ``auth`` is ``(user, password)``, sent as Digest or Basic auth, whichever the server asks for.
    """
    from .mapping import graph_iri

    if method == "auto":
        method = "gsp" if graph_store else "update"
    if method not in ("gsp", "update"):
        raise ConfigError(f"unknown push method {method!r}: use gsp, update or auto")
    if method == "gsp" and not graph_store:
        raise ConfigError("the gsp method needs --graph-store URL (e.g. http://host:8890/sparql-graph-crud-auth)")
    t0 = time.perf_counter()
    store = _open_store(out_dir)
    http = _Http(auth, timeout)
    report = PushReport(method=method)
    pushed: set[str] = set()
    try:
        for graph, triples in named_graphs(store):
            if method == "gsp":
                http.send("PUT", graph_store, params={"graph": graph}, data=_ntriples(triples).encode("utf-8"),
                          headers={"Content-Type": "text/turtle; charset=utf-8"})  # N-Triples is Turtle
            else:
                http.send("POST", endpoint, data={"update": update_text(graph, triples)},
                          headers={"Accept": "application/sparql-results+json, */*;q=0.5"})
            pushed.add(graph)
            report.graphs += 1
            report.triples += len(triples)
        if prune:
            namespace = str(graph_iri("entities")).rsplit("/", 1)[0] + "/"  # kgr:graph/
            remote = {r["g"] for r in remote_query(
                endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), ?ns)) }",
                {"ns": ox.Literal(namespace)}, http=http)}
            for graph in sorted(remote - pushed):
                if method == "gsp":
                    http.send("DELETE", graph_store, params={"graph": graph})
                else:
                    http.send("POST", endpoint, data={"update": f"DROP SILENT GRAPH {ox.NamedNode(graph)}"})
                report.dropped.append(graph)
    finally:
        http.close()
    report.seconds = time.perf_counter() - t0
    return report


# -- remote queries ---------------------------------------------------------------------------


def _term(value: Any) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    from .graph import _as_term

    return _as_term(value)


def values_clause(params: Mapping[str, Any]) -> str:
    """A ``VALUES`` block binding each parameter to one serialised RDF term (None: unbound).

    >>> values_clause({"c": "https://w3id.org/kg-news/id/company/cambricon", "n": 'a" } DROP ALL'})
    'VALUES (?c ?n) { (<https://w3id.org/kg-news/id/company/cambricon> "a\\\\" } DROP ALL") }'
    """
    names, terms = [], []
    for name, value in params.items():
        if not _VARIABLE.match(name):
            raise QueryError(f"{name!r} is not a SPARQL variable name: use letters, digits and _")
        names.append(f"?{name}")
        terms.append("UNDEF" if value is None else str(_term(value)))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def _where_brace(sparql: str) -> int:
    """The index of the ``{`` that opens the WHERE group of a SELECT or ASK query."""
    pos, form = 0, None
    while pos < len(sparql):
        skip = _SKIP.match(sparql, pos)
        if skip and skip.end() > pos:
            pos = skip.end()
            continue
        if form is None:
            found = _FORM.match(sparql, pos)
            if found:
                form = found.group(1).upper()
                pos = found.end()
                continue
        if sparql[pos] == "{" and form is not None:
            if form in ("CONSTRUCT", "DESCRIBE"):
                break
            return pos
        pos += 1
    raise QueryError("remote queries with parameters must be SELECT or ASK queries with a WHERE { … } group")


def bind_values(sparql: str, params: Mapping[str, Any] | None) -> str:
    """``sparql`` with ``params`` bound by a VALUES block at the start of its WHERE group.

    >>> bind_values("SELECT ?l WHERE { ?c <http://e/label> ?l }", {"c": "http://e/x"})
    'SELECT ?l WHERE { VALUES (?c) { (<http://e/x>) } ?c <http://e/label> ?l }'
    """
    if not params:
        return sparql
    at = _where_brace(sparql) + 1
    return f"{sparql[:at]} {values_clause(params)}{sparql[at:]}"


def _from_json(binding: dict[str, str] | None):
    if binding is None:
        return None
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if binding.get("xml:lang"):
        return ox.Literal(value, language=binding["xml:lang"])
    if binding.get("datatype"):
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def remote_query(
    endpoint: str,
    sparql: str,
    params: Mapping[str, Any] | None = None,
    *,
    auth: tuple[str, str] | None = None,
    timeout: float = 60.0,
    http: _Http | None = None,
) -> list[dict[str, Any]] | bool:
    """Run a SELECT or ASK on ``endpoint``; rows as :meth:`KnowledgeGraph.query` gives them.

    ``params`` are bound through :func:`bind_values` (term serialisation, not string formatting).
    Short queries go as GET, long ones as a form POST (both work with Virtuoso 7.2, which does
    not read a SPARQL query sent as a direct POST body).
    """
    from .graph import _python

    text = bind_values(sparql, params)
    own = http is None
    http = http or _Http(auth, timeout)
    headers = {"Accept": "application/sparql-results+json"}
    try:
        if len(text) < 1500:
            resp = http.send("GET", endpoint, params={"query": text}, headers=headers)
        else:
            resp = http.send("POST", endpoint, data={"query": text}, headers=headers)
        try:
            data = resp.json()
        except ValueError:
            raise QueryError(f"{endpoint} did not answer with SPARQL JSON results "
                             f"(Content-Type {resp.headers.get('Content-Type')}): is it a SPARQL endpoint?") from None
    finally:
        if own:
            http.close()
    if "boolean" in data:
        return bool(data["boolean"])
    try:
        names = data["head"]["vars"]
        return [{n: _python(_from_json(row.get(n))) for n in names} for row in data["results"]["bindings"]]
    except (KeyError, TypeError) as exc:
        raise QueryError(f"{endpoint} answered JSON without SPARQL results ({exc})") from None


_LOOKUP = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?e (COUNT(DISTINCT ?doc) AS ?n) WHERE {
  ?e rdfs:label|skos:altLabel|kg:key ?name .
  FILTER(LCASE(STR(?name)) = LCASE(STR(?q)))
  OPTIONAL { ?doc schema:mentions ?e }
} GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1"""


@dataclass
class RemoteEntity:
    """The IRI of an entity found on a remote endpoint (what query parameters need)."""

    iri: str


class RemoteGraph:
    """A SPARQL endpoint with the two methods :func:`kg.queries.run_query` uses on a graph.

    >>> from kg.queries import run_query                                          # doctest: +SKIP
    >>> run_query(RemoteGraph("http://127.0.0.1:8890/sparql"), "customers_of", {"company": "寒武纪"})  # doctest: +SKIP
    """

    def __init__(self, endpoint: str, *, auth: tuple[str, str] | None = None, timeout: float = 60.0) -> None:
        self.endpoint, self.auth, self.timeout = endpoint, auth, timeout

    def query(self, sparql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]] | bool:
        return remote_query(self.endpoint, sparql, params, auth=self.auth, timeout=self.timeout)

    def lookup(self, name: str, *, kind: str | None = None) -> RemoteEntity:
        """The entity whose label, alternative label or key is ``name`` (case ignored)."""
        from .errors import NotFoundError

        rows = self.query(_LOOKUP, {"q": ox.Literal(name.strip())})
        if not rows or rows[0]["e"] is None:
            raise NotFoundError(f"no entity named {name!r} at {self.endpoint}")
        return RemoteEntity(rows[0]["e"])


__all__ = ["RemoteGraph", "PushReport", "push", "remote_query", "bind_values", "values_clause", "update_text", "KGError"]
