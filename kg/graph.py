"""The :class:`KnowledgeGraph` users get from :func:`kg.build` or :meth:`KnowledgeGraph.open`.

It wraps an Oxigraph store (fast SPARQL) and offers the rdflib :attr:`~KnowledgeGraph.dataset`,
SPARQL queries with bound parameters, entity lookup by any name, and NetworkX views.

Example:
    >>> g = KnowledgeGraph.open("out/")                      # doctest: +SKIP
    >>> g.lookup("Cambricon").label                           # doctest: +SKIP
    '寒武纪'
    >>> g.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")  # doctest: +SKIP
    [{'n': 1234}]
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset

from .errors import InputError, NotFoundError, QueryError
from .mapping import Quad, bind_prefixes
from .normalize import norm_key, strip_legal_suffix
from .store import from_ox, open_store, to_ox, to_ox_quads

KG_NS = "https://w3id.org/kg-news/ontology#"
_LABELS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
SELECT ?e ?name ?kind ?preferred WHERE {
  ?e a ?kind .
  VALUES ?kind { kg:Company kg:Product kg:Site }
  { ?e rdfs:label ?name BIND(true AS ?preferred) } UNION { ?e skos:altLabel ?name BIND(false AS ?preferred) }
}
"""


@dataclass
class EntityRef:
    """A short handle on an entity: IRI, label and core type."""

    iri: str
    label: str
    kind: str
    aliases: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.label} ({self.kind}) <{self.iri}>"


def _python(term) -> Any:
    """A pyoxigraph term as a plain Python value for result rows."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value
        if dtype.endswith(("#integer", "#int", "#long")):
            return int(term.value)
        if dtype.endswith(("#decimal", "#double", "#float")):
            return float(term.value)
        if dtype.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return term.value


class KnowledgeGraph:
    """A built knowledge graph: an Oxigraph store plus the build report, if any."""

    def __init__(self, store: ox.Store, *, report=None, extractions=None, path: Path | None = None) -> None:
        self.store = store
        self.report = report
        self.extractions = extractions or []
        self.path = path
        self._dataset: Dataset | None = None
        self._index: dict[str, list[tuple[str, str, str, bool]]] | None = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_quads(cls, quads: Iterable[Quad], **kwargs) -> "KnowledgeGraph":
        quads = list(quads)
        store = ox.Store()
        store.bulk_extend(to_ox_quads(quads))
        graph = cls(store, **kwargs)
        graph._quads = quads
        return graph

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "KnowledgeGraph":
        """Open a build folder (``out/``) or a TriG/N-Quads file."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path} does not exist: build a graph first with `kg build --out {path}`")
        return cls(open_store(path), path=path)

    # -- data -----------------------------------------------------------------------------

    def quads(self) -> list[Quad]:
        """All quads, as rdflib terms, in a stable order."""
        cached = getattr(self, "_quads", None)
        if cached is not None:
            return cached
        out = [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), from_ox(q.graph_name))
               for q in self.store.quads_for_pattern(None, None, None, None)]
        from .mapping import _sort_key

        out.sort(key=_sort_key)
        self._quads = out
        return out

    @property
    def dataset(self) -> Dataset:
        """The graph as an rdflib ``Dataset`` (a named graph per document)."""
        if self._dataset is None:
            ds = Dataset()
            bind_prefixes(ds)
            for s, p, o, g in self.quads():
                ds.add((s, p, o, g))
            self._dataset = ds
        return self._dataset

    def __len__(self) -> int:
        return len(self.store)

    # -- SPARQL ---------------------------------------------------------------------------

    def query(self, sparql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]] | bool:
        """Run a SPARQL SELECT or ASK over the union of all graphs.

        ``params`` are bound as variables (``{"company": IRI or literal}``), never formatted
        into the query text.
        """
        substitutions = {ox.Variable(k): _as_term(v) for k, v in (params or {}).items()}
        try:
            result = self.store.query(sparql, use_default_graph_as_union=True, substitutions=substitutions)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL: {exc}") from None
        if isinstance(result, bool):
            return result
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            return [{n: _python(row[n]) for n in names} for row in result]
        raise QueryError("only SELECT and ASK queries return rows; use construct() for graphs")

    # -- lookup ---------------------------------------------------------------------------

    def _names(self) -> dict[str, list[tuple[str, str, str, bool]]]:
        if self._index is None:
            index: dict[str, list[tuple[str, str, str, bool]]] = {}
            for row in self.store.query(_LABELS_QUERY, use_default_graph_as_union=True):
                iri, name = row["e"].value, row["name"].value
                kind = row["kind"].value.rsplit("#", 1)[-1]
                preferred = row["preferred"].value == "true"
                for key in {norm_key(name), norm_key(strip_legal_suffix(name))}:
                    index.setdefault(key, []).append((iri, name, kind, preferred))
            self._index = index
        return self._index

    def lookup(self, name: str, *, kind: str | None = None) -> EntityRef:
        """The entity called ``name`` (label, alias or English name; spacing, case and width ignored).

        Raises :class:`~kg.errors.NotFoundError` with the closest names when nothing matches.
        """
        index = self._names()
        hits = [h for h in index.get(norm_key(name), []) if kind is None or h[2] == kind]
        if not hits:
            hits = [h for h in index.get(norm_key(strip_legal_suffix(name)), []) if kind is None or h[2] == kind]
        if not hits:
            close = difflib.get_close_matches(norm_key(name), list(index), n=5, cutoff=0.5)
            labels = sorted({h[1] for k in close for h in index[k] if h[3]})
            hint = f"; did you mean {', '.join(labels)}?" if labels else ""
            raise NotFoundError(f"no entity named {name!r}{hint}", suggestions=labels)
        iri = sorted({h[0] for h in hits})[0]
        return self._ref(iri)

    def _ref(self, iri: str) -> EntityRef:
        rows = self.query(
            """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
               PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
               PREFIX kg: <https://w3id.org/kg-news/ontology#>
               SELECT ?e ?label ?kind ?alias WHERE {
                 ?e rdfs:label ?label . FILTER(lang(?label) = "zh" || lang(?label) = "")
                 ?e a ?kind . VALUES ?kind { kg:Company kg:Product kg:Site }
                 OPTIONAL { ?e skos:altLabel ?alias }
               }""",
            {"e": ox.NamedNode(iri)},
        )
        if not rows:
            raise NotFoundError(f"no entity with IRI <{iri}>")
        return EntityRef(iri=iri, label=rows[0]["label"], kind=rows[0]["kind"].rsplit("#", 1)[-1],
                         aliases=sorted({r["alias"] for r in rows if r["alias"]}))

    # -- views and files ------------------------------------------------------------------

    def to_networkx(self, view: str = "entities"):
        """A NetworkX projection of the graph (see :mod:`kg.graphview`)."""
        from .graphview import to_networkx

        return to_networkx(self, view=view)

    def save(self, out: str | os.PathLike[str]) -> dict[str, Path]:
        """Write graph files, the Oxigraph store, GEXF and report.json to ``out``."""
        from .build import write_report
        from .export import write_gexf
        from .store import write_graph_files, write_store

        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        quads = self.quads()
        written = write_graph_files(quads, out_dir)
        written["store"] = write_store(quads, out_dir)
        written["gexf"] = write_gexf(self, out_dir / "graph.gexf")
        if self.report is not None:
            self.report.outputs = {k: str(v) for k, v in written.items()}
            write_report(self.report, out_dir / "report.json")
            written["report"] = out_dir / "report.json"
        self.path = out_dir
        return written


def _as_term(value: Any):
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, EntityRef):
        return ox.NamedNode(value.iri)
    from rdflib.term import Identifier

    if isinstance(value, Identifier):
        return to_ox(value)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if isinstance(value, str) and value.startswith(("http://", "https://", "urn:")):
        return ox.NamedNode(value)
    return ox.Literal(str(value))
