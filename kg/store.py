"""Serialise the graph (TriG, N-Quads, Turtle, JSON-LD) and keep it in an Oxigraph store.

Files are written atomically (a temporary file in the same folder, then a rename), so a crash
never leaves a half-written graph behind. Serialisation goes through pyoxigraph, which is orders
of magnitude faster than rdflib's serialisers on large graphs.

Example:
    >>> from rdflib import URIRef, Literal
    >>> q = [(URIRef("http://e/s"), URIRef("http://e/p"), Literal("o"), URIRef("http://e/g"))]
    >>> b"<http://e/s> <http://e/p> \\"o\\" <http://e/g> ." in serialize(q, "nquads")
    True
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .errors import InputError
from .mapping import PREFIXES, Quad

FORMATS = {
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
OUTPUT_FILES = {"graph.trig": "trig", "graph.nq": "nquads", "graph.ttl": "turtle", "graph.jsonld": "jsonld"}


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_ox(term: Node):
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an Oxigraph term")


def from_ox(term) -> Node:
    """A pyoxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)  # rdflib keeps plain and xsd:string literals apart
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    if isinstance(term, ox.DefaultGraph):
        return None
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def to_ox_quads(quads: Iterable) -> list[ox.Quad]:
    """Oxigraph quads from Oxigraph quads (kept) or rdflib ``(s, p, o, g)`` tuples (converted)."""
    return [q if isinstance(q, ox.Quad) else ox.Quad(to_ox(q[0]), to_ox(q[1]), to_ox(q[2]), to_ox(q[3]))
            for q in quads]


def from_ox_quad(q: ox.Quad) -> tuple:
    """An Oxigraph quad as an rdflib ``(s, p, o, g)`` tuple."""
    return from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), from_ox(q.graph_name)


def prefixes() -> dict[str, str]:
    # Resource IRIs stay written in full: their local parts contain '/' or start with digits,
    # which older Turtle parsers (raptor2 2.0.15) reject in prefixed names.
    return dict(PREFIXES)


def serialize(quads: Iterable[Quad], fmt: str) -> bytes:
    """Serialise quads as ``trig``, ``nquads``, ``jsonld`` or, as the union of all graphs,
    ``turtle`` / ``ntriples``. The order of ``quads`` is kept, so sorted input gives stable output."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ox_quads = to_ox_quads(quads)
    rdf_format = FORMATS[fmt]
    if not rdf_format.supports_datasets:
        triples = list(dict.fromkeys(q.triple for q in ox_quads))  # the union: each triple once
        return ox.serialize(triples, format=rdf_format, prefixes=prefixes() if fmt == "turtle" else None)
    return ox.serialize(ox_quads, format=rdf_format, prefixes=prefixes() if fmt == "trig" else None)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(out_dir: Path) -> None:
    """Delete the temporary files a killed build left in ``out_dir`` (``.graph.trig.x1y2.tmp``)."""
    for name in (*OUTPUT_FILES, "graph.gexf", "report.json", "manifest.json"):
        for tmp in out_dir.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def write_graph_files(quads: list[Quad], out_dir: Path) -> dict[str, Path]:
    """Write graph.trig, graph.nq, graph.ttl (union) and graph.jsonld to ``out_dir``."""
    remove_stale_temporaries(out_dir)
    written = {}
    for name, fmt in OUTPUT_FILES.items():
        atomic_write(out_dir / name, serialize(quads, fmt))
        written[fmt] = out_dir / name
    return written


def write_store(quads: list[Quad], out_dir: Path) -> Path:
    """Replace the on-disk Oxigraph store in ``out_dir/store`` with ``quads``.

    The new store is loaded beside the old one and swapped in by renames, so readers never see
    a half-loaded store.
    """
    final = out_dir / "store"
    tmp = out_dir / ".store.tmp"
    old = out_dir / ".store.old"
    for p in (tmp, old):
        if p.exists():
            shutil.rmtree(p)
    store = ox.Store(str(tmp))
    store.bulk_extend(to_ox_quads(quads))
    store.flush()
    del store
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)
    return final


def open_store(out_dir: Path, *, read_only: bool = True) -> ox.Store:
    """The Oxigraph store of a build folder; falls back to loading ``graph.trig`` in memory."""
    path = out_dir / "store"
    if path.is_dir():
        try:
            return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise InputError(f"cannot open the store in {path}: {exc}") from None
    trig = out_dir / "graph.trig" if out_dir.is_dir() else out_dir
    if not trig.exists():
        raise InputError(f"no graph in {out_dir}: run `kg build --out {out_dir}` first")
    store = ox.Store()
    try:
        store.bulk_load(path=str(trig), format=ox.RdfFormat.from_extension(trig.suffix.lstrip(".")) or ox.RdfFormat.TRIG)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"cannot parse {trig}: {exc}") from None
    return store
