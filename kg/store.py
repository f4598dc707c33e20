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

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    ``sync=False`` skips the fsync, for the many small cache files a build writes before one
    ``os.sync`` and the manifest that names them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
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


@dataclass
class Fragment:
    """One named graph serialised in every output format, ready to be concatenated.

    A build keeps a fragment per document graph (in its cache), so writing the graph files is
    joining bytes: only documents that changed are mapped and serialised again.

    >>> q = ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"), ox.NamedNode("http://e/g"))
    >>> f = make_fragment([q])
    >>> Fragment.from_bytes(f.to_bytes()) == f
    True
    """

    nquads: bytes
    trig: bytes  # the graph block, without prefix declarations
    turtle: bytes  # the triples no other graph can state, without prefix declarations
    jsonld: bytes  # the graph object, without the enclosing array
    shared: bytes  # N-Triples that other graphs may state too: written once in graph.ttl
    quads: int
    triples: int  # in ``turtle``
    #: identifies these bytes: a hash of them, written in the header by :meth:`to_bytes`
    digest: str = field(default="", compare=False)

    _PARTS = ("nquads", "trig", "turtle", "jsonld", "shared")

    def to_bytes(self) -> bytes:
        parts = [bytes(getattr(self, name)) for name in self._PARTS]
        body = b"".join(parts)
        header = json.dumps({"quads": self.quads, "triples": self.triples, "lengths": [len(p) for p in parts],
                             "digest": hashlib.blake2b(body, digest_size=16).hexdigest()})
        return header.encode() + b"\n" + body

    @staticmethod
    def header(data: bytes) -> dict:
        """The header of a fragment's bytes: counts, part lengths and digest."""
        return json.loads(bytes(data[:data.index(b"\n")]))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Fragment":
        """The fragment in ``data``; its parts are views of ``data``, not copies."""
        meta = cls.header(data)
        view = memoryview(data)
        parts, pos = {}, data.index(b"\n") + 1
        for name, n in zip(cls._PARTS, meta["lengths"]):
            parts[name] = view[pos:pos + n]
            pos += n
        if pos != len(data):
            raise ValueError("truncated graph fragment")
        return cls(**parts, quads=meta["quads"], triples=meta["triples"], digest=meta.get("digest", ""))


def _without_prefixes(data: bytes) -> bytes:
    """Serialised TriG/Turtle without its leading ``@prefix`` lines (the file has them once)."""
    pos = 0
    while data.startswith(b"@prefix ", pos):
        pos = data.index(b"\n", pos) + 1
    return data[pos:]


def document_fragment(extraction, keys) -> Fragment:
    """The fragment of one document's named graph, its entities given ``keys`` (see
    :func:`kg.mapping.document_quads`)."""
    from .mapping import document_quads, is_local

    doc_id = extraction.doc.doc_id
    return make_fragment(document_quads(extraction, keys), lambda q: is_local(q, doc_id))


def make_fragment(quads: list[Quad], local: Callable[[Quad], bool] | None = None) -> Fragment:
    """Serialise the quads of one named graph. ``local(quad)`` tells the triples no other graph
    can state (default: all); the others go to ``shared`` and are deduplicated in graph.ttl."""
    quads = to_ox_quads(quads)
    local_triples = [q.triple for q in quads if local is None or local(q)]
    shared = [q.triple for q in quads if local is not None and not local(q)]
    jsonld = ox.serialize(quads, format=ox.RdfFormat.JSON_LD).strip()
    if not (jsonld.startswith(b"[") and jsonld.endswith(b"]")):
        raise ValueError("unexpected JSON-LD from pyoxigraph: not an array")
    return Fragment(
        nquads=ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
        trig=_without_prefixes(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes())),
        turtle=_without_prefixes(ox.serialize(local_triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes())),
        jsonld=jsonld[1:-1],
        shared=ox.serialize(shared, format=ox.RdfFormat.N_TRIPLES),
        quads=len(quads),
        triples=len(local_triples),
    )


@dataclass
class WriteCounts:
    """What :func:`write_graph_files` wrote: quads in graph.nq, distinct triples in graph.ttl."""

    quads: int = 0
    triples: int = 0


def write_graph_files(fragments: Iterable[Fragment] | list[Quad], out_dir: Path) -> tuple[dict[str, Path], WriteCounts]:
    """Write graph.trig, graph.nq, graph.ttl (union) and graph.jsonld to ``out_dir`` in one pass.

    ``fragments`` come one per named graph, in the order the files list them (or give plain
    quads, grouped here by graph). Each file is written to a temporary file and renamed into
    place, so a crash leaves either the old or the new file, never a mix.
    """
    if isinstance(fragments, list) and (not fragments or not isinstance(fragments[0], Fragment)):
        fragments = fragments_of_quads(fragments)
    remove_stale_temporaries(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {"trig": "graph.trig", "nquads": "graph.nq", "turtle": "graph.ttl", "jsonld": "graph.jsonld"}
    temps: dict[str, Path] = {}
    handles = {}
    counts = WriteCounts()
    seen: set[bytes] = set()  # digests of the shared triples already in graph.ttl
    try:
        for fmt, name in names.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            temps[fmt] = Path(tmp)
            handles[fmt] = os.fdopen(fd, "wb", buffering=1 << 20)
        header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes().items()).encode()
        handles["trig"].write(header)
        handles["turtle"].write(header)
        handles["jsonld"].write(b"[")
        first_json = True
        for frag in fragments:
            handles["nquads"].write(frag.nquads)
            handles["trig"].write(frag.trig)
            handles["turtle"].write(frag.turtle)
            counts.quads += frag.quads
            counts.triples += frag.triples
            for line in bytes(frag.shared).splitlines(keepends=True):
                digest = hashlib.blake2b(line, digest_size=16).digest()
                if digest not in seen:
                    seen.add(digest)
                    handles["turtle"].write(line)
                    counts.triples += 1
            if frag.jsonld:
                if not first_json:
                    handles["jsonld"].write(b",")
                handles["jsonld"].write(frag.jsonld)
                first_json = False
        handles["jsonld"].write(b"]")
        for fh in handles.values():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        written = {}
        for fmt, name in names.items():
            os.chmod(temps[fmt], 0o666 & ~_umask())
            os.replace(temps[fmt], out_dir / name)
            written[fmt] = out_dir / name
        return written, counts
    finally:
        for fh in handles.values():
            fh.close()
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def fragments_of_quads(quads: Iterable[Quad]) -> list[Fragment]:
    """One fragment per named graph of ``quads`` (graphs in order of first appearance).

    A triple stated in several graphs is marked shared, so graph.ttl lists it once.
    """
    by_graph: dict = {}
    graphs_of: dict = {}
    for q in to_ox_quads(quads):
        by_graph.setdefault(q.graph_name, {})[q] = None
        graphs_of.setdefault(q.triple, set()).add(q.graph_name)
    return [make_fragment(list(qs), lambda q: len(graphs_of[q.triple]) == 1) for qs in by_graph.values()]


def write_store(source: Path | list[Quad], out_dir: Path) -> Path:
    """Replace the on-disk Oxigraph store in ``out_dir/store`` with ``source`` (an N-Quads file
    or quads).

    The new store is loaded beside the old one and swapped in by renames, so readers never see
    a half-loaded store.
    """
    tmp = out_dir / ".store.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    store = ox.Store(str(tmp))
    if isinstance(source, Path):
        for chunk in _nquads_chunks(source, LOAD_CHUNK_BYTES):
            store.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)
    else:
        store.bulk_extend(to_ox_quads(source))
    store.flush()
    del store
    return swap_store(tmp, out_dir)


#: bytes of N-Quads per bulk load: Oxigraph's bulk loader holds a whole load in memory (about
#: 0.85 KB per quad), so a big graph is loaded in pieces of about 200,000 quads
LOAD_CHUNK_BYTES = 40 << 20


def _nquads_chunks(path: Path, size: int) -> Iterator[bytes]:
    """``path`` in pieces of about ``size`` bytes, each ending at the end of a line."""
    with open(path, "rb") as fh:
        rest = b""
        while block := fh.read(size):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
        if rest:
            yield rest


def swap_store(tmp: Path, out_dir: Path) -> Path:
    """Put the store in ``tmp`` in place of ``out_dir/store`` by renames; returns its path."""
    final, old = out_dir / "store", out_dir / ".store.old"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)
    return final


def update_store(store: ox.Store, *, drop: Iterable[str] = (), insert: Iterable[tuple[str, bytes]] = (),
                 remove_quads: Iterable[Quad] = (), add_quads: Iterable[Quad] = ()) -> int:
    """Change ``store`` in one transaction: drop the graphs ``drop`` (IRIs), then load each
    ``(graph IRI, N-Quads)`` of ``insert`` in place of that graph, then delete and add single
    quads. Either all of it is applied or nothing is. Returns the number of quads written.

    The quads go through pyoxigraph's own N-Triples writer into SPARQL Update ``DROP``,
    ``DELETE DATA`` and ``INSERT DATA`` operations: data, not query parameters.
    """
    ops: list[str] = []
    written = 0

    def data(verb: str, quads: Iterable[Quad]) -> None:
        nonlocal written
        by_graph: dict[str, list[str]] = {}
        for q in quads:
            by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
        for graph, lines in by_graph.items():
            ops.append(f"{verb} DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }")
            written += len(lines)

    for graph in drop:
        ops.append(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")
    inserted = []
    for graph, nquads in insert:
        ops.append(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")
        inserted.extend(ox.parse(bytes(nquads), format=ox.RdfFormat.N_QUADS))
    data("DELETE", remove_quads)
    data("INSERT", [*inserted, *add_quads])
    if ops:
        store.update(" ;\n".join(ops))
    return written


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
