"""SHACL validation of a kg graph against ``ontology/shapes.ttl`` (the ``kg validate`` command).

The shapes are checked against the UNION of all named graphs: types and labels sit in the
entities graph while relations and evidence sit in the document graphs, so a range check
("the object of kg:develops is a kg:Product") needs both. The ontology is always added to the
union so that subclass axioms (kg:Chip ⊑ kg:Product) are known; ``inference`` additionally
runs RDFS or OWL-RL entailment before validating.

Example:
    >>> from rdflib import Dataset, Literal, URIRef
    >>> from rdflib.namespace import RDF, RDFS
    >>> from kg.vocab import KG
    >>> ds = Dataset()
    >>> g = ds.graph(URIRef("https://w3id.org/kg-news/id/graph/entities"))
    >>> c = URIRef("https://w3id.org/kg-news/id/company/cambricon")
    >>> _ = g.add((c, RDF.type, KG.Company)).add((c, RDFS.label, Literal("寒武纪", lang="zh")))
    >>> validate(ds).conforms
    True
    >>> _ = g.add((c, RDF.type, KG.Site))  # a second core type
    >>> [v.focus_node == c for v in validate(ds).violations]
    [True]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pyshacl
from rdflib import BNode, ConjunctiveGraph, Dataset, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg.errors import InputError
from kg.resources import resource_path
from kg.safexml import parse_rdf

INFERENCE_MODES = (None, "rdfs", "owlrl")

# File suffix → rdflib parser name.
_FORMATS = {
    ".trig": "trig",
    ".nq": "nquads",
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}

DataInput = Union[Graph, str, Path]


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result.

    ``path`` is the predicate IRI, ``"^<iri>"`` for an inverse path, or ``None`` for a
    node-level constraint; ``value`` is the offending value when the engine reports one.

    >>> Violation(URIRef("urn:x"), None, "bad", "Violation", URIRef("urn:s")).severity
    'Violation'
    """

    focus_node: Node
    path: URIRef | str | None
    message: str
    severity: str  # "Violation", "Warning" or "Info"
    shape: Node
    value: Node | None = None

    def __str__(self) -> str:
        where = f" {self.path}" if self.path is not None else ""
        return f"[{self.severity}] {self.focus_node}{where}: {self.message}"


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`: ``conforms``, the parsed ``violations`` and pyshacl's ``text``.

    >>> ValidationReport(conforms=True).violations
    []
    """

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    text: str = ""


def validate(
    data: DataInput, *, inference: str | None = None, shapes: DataInput | None = None
) -> ValidationReport:
    """Validate ``data`` (a Graph/Dataset, an RDF file, or an output folder) against the shapes.

    ``inference`` is ``None``, ``"rdfs"`` or ``"owlrl"``; ``shapes`` defaults to
    ``ontology/shapes.ttl``. Raises :class:`kg.errors.InputError` when ``data`` cannot be read.

    >>> validate(Graph()).conforms
    True
    """
    if inference not in INFERENCE_MODES:
        raise ValueError(f"inference must be one of {INFERENCE_MODES}, not {inference!r}")
    union = union_graph(data)
    # The ontology goes into the data graph: sh:class follows rdfs:subClassOf found there.
    union += union_graph(resource_path("ontology", "kg.ttl"))
    shapes_graph = union_graph(resource_path("ontology", "shapes.ttl") if shapes is None else shapes)
    conforms, results, text = pyshacl.validate(
        union,
        shacl_graph=shapes_graph,
        inference=inference or "none",
        inplace=True,  # `union` is our private copy, no need for pyshacl to clone it
    )
    return ValidationReport(conforms=bool(conforms), violations=_violations(results), text=text)


def union_graph(data: DataInput) -> Graph:
    """A new Graph holding every triple of every graph in ``data`` (graph names dropped).

    >>> len(union_graph(Graph()))
    0
    """
    source = data if isinstance(data, Graph) else _load(Path(data))
    union = Graph()
    # Dataset/ConjunctiveGraph.triples() may see only the default graph; quads() sees all.
    triples = (q[:3] for q in source.quads()) if isinstance(source, ConjunctiveGraph) else source
    for triple in triples:
        union.add(triple)
    return union


def _load(path: Path) -> Dataset:
    """Parse an RDF file, or ``graph.trig`` inside an output folder, into a Dataset."""
    if path.is_dir():
        path = path / "graph.trig"
    if not path.is_file():
        raise InputError(f"no such RDF file: {path}")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown RDF format for {path} (expected one of {', '.join(_FORMATS)})")
    ds = Dataset()
    try:
        parse_rdf(ds, path, fmt)
    except Exception as exc:  # rdflib raises many unrelated types on bad syntax
        raise InputError(f"cannot parse {path} as {fmt}: {exc}") from exc
    return ds


def _violations(results: Graph) -> list[Violation]:
    """Turn pyshacl's results graph into sorted :class:`Violation` records."""
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        found.append(
            Violation(
                focus_node=results.value(result, SH.focusNode),
                path=_path(results, results.value(result, SH.resultPath)),
                message=_message(results, result),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=results.value(result, SH.sourceShape),
                value=results.value(result, SH.value),
            )
        )
    return sorted(found, key=lambda v: (str(v.focus_node), str(v.path), v.message))


def _path(results: Graph, path: Node | None) -> URIRef | str | None:
    """A predicate IRI as is; an inverse path as ``^<iri>``; other complex paths as N3."""
    if isinstance(path, BNode):
        inverse = results.value(path, SH.inversePath)
        return f"^<{inverse}>" if inverse is not None else path.n3()
    return path


def _message(results: Graph, result: Node) -> str:
    """The English sh:resultMessage if there is one, else any."""
    messages = list(results.objects(result, SH.resultMessage))
    english = [m for m in messages if getattr(m, "language", None) == "en"]
    return str((english or messages or [""])[0])
