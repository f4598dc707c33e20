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

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset

from .errors import InputError, QueryError
from .lookup import Entity, Match, NameIndex, load_entity
from .mapping import bind_prefixes
from .store import from_ox_quad, open_store, to_ox, to_ox_quads

KG_NS = "https://w3id.org/kg-news/ontology#"


# The entity card users get from lookup(); ``EntityRef`` is kept as its former name.
EntityRef = Entity


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

    def __init__(self, store: ox.Store | None, *, report=None, extractions=None, path: Path | None = None) -> None:
        self._store = store
        self.report = report
        self._extractions = extractions
        self.path = path
        self._dataset: Dataset | None = None
        self._index: NameIndex | None = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_quads(cls, quads: Iterable, **kwargs) -> "KnowledgeGraph":
        """A graph from Oxigraph quads or rdflib ``(s, p, o, g)`` tuples (stored when first queried)."""
        graph = cls(None, **kwargs)
        graph._ox_quads = to_ox_quads(quads)
        return graph

    @classmethod
    def from_nquads(cls, path: str | os.PathLike[str], **kwargs) -> "KnowledgeGraph":
        """A graph held in memory, loaded from an N-Quads file."""
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        return cls(store, **kwargs)

    @property
    def extractions(self) -> list:
        """What was extracted from each document (:class:`~kg.model.Extraction`), by doc id.

        A graph built in memory keeps them; one opened from a build folder reads them from its
        cache on first use.
        """
        if self._extractions is None:
            from .cache import BuildCache

            self._extractions = BuildCache(self.path).extractions() if self.path is not None else []
        return self._extractions

    @property
    def store(self) -> ox.Store:
        """The Oxigraph store that answers queries (in memory until the graph is saved)."""
        if self._store is None:
            store = ox.Store()
            store.bulk_extend(self._ox_quads)
            self._store = store
        return self._store

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> "KnowledgeGraph":
        """Open a build folder (``out/``) or a TriG/N-Quads file."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path} does not exist: build a graph first with `kg build --out {path}`")
        return cls(open_store(path), path=path)

    # -- data -----------------------------------------------------------------------------

    def ox_quads(self) -> list[ox.Quad]:
        """All quads as Oxigraph quads, in a stable order (the build's, or the store's)."""
        cached = getattr(self, "_ox_quads", None)
        if cached is None:
            cached = sorted(self.store.quads_for_pattern(None, None, None, None), key=str)
            self._ox_quads = cached
        return cached

    def quads(self) -> list[tuple]:
        """All quads as rdflib ``(s, p, o, g)`` tuples, in a stable order."""
        cached = getattr(self, "_quads", None)
        if cached is None:
            cached = self._quads = [from_ox_quad(q) for q in self.ox_quads()]
        return cached

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
        if isinstance(result, (bool, ox.QueryBoolean)):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            return [{n: _python(row[n]) for n in names} for row in result]
        raise QueryError("only SELECT and ASK queries return rows; use construct() for graphs")

    # -- lookup ---------------------------------------------------------------------------

    def _names(self) -> NameIndex:
        """The name index behind :meth:`lookup` and :meth:`search`, built on first use."""
        if self._index is None:
            self._index = NameIndex(self)
        return self._index

    def lookup(self, name: str, *, kind: str | None = None) -> Entity:
        """The entity called ``name`` (label, alias, English name or key; spacing, case and width ignored).

        ``kind`` restricts to a type (``"Company"``, ``"Product"``, ``"Site"``, ``"Chip"`` …).
        Raises :class:`~kg.errors.NotFoundError` with the closest names when nothing matches.

        >>> g.lookup("ＣＡＭＢＲＩＣＯＮ").label          # doctest: +SKIP
        '寒武纪'
        """
        return self._ref(self._names().resolve(name, kind=kind))

    def search(self, text: str, *, type: str | None = None, limit: int | None = 10) -> list[Match]:
        """Entities whose names match ``text``, best first: exact, prefix, substring, then fuzzy
        matches, each class ordered by mention count.

        >>> [m.label for m in g.search("思元", type="Product")]   # doctest: +SKIP
        ['思元 370', '思元 220', '思元 270']
        """
        return self._names().search(text, type=type, limit=limit)

    def _ref(self, iri: str) -> Entity:
        """The :class:`~kg.lookup.Entity` card of ``iri``."""
        return load_entity(self, iri)

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
        quads = self.ox_quads()
        written, _ = write_graph_files(quads, out_dir)
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
