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
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    ``sync=False`` skips the fsync, for the many small cache files a build writes and syncs
    together before the manifest that names them (see :meth:`kg.cache.BuildCache.save`).
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
        return _split_header(data)[0]

    @classmethod
    def from_bytes(cls, data) -> "Fragment":
        """The fragment in ``data`` (bytes or an mmap); its parts are views of it, not copies."""
        meta, pos = _split_header(data)
        view = memoryview(data)
        parts = {}
        for name, n in zip(cls._PARTS, meta["lengths"]):
            parts[name] = view[pos:pos + n]
            pos += n
        if pos != len(data):
            raise ValueError("truncated graph fragment")
        return cls(**parts, quads=meta["quads"], triples=meta["triples"], digest=meta.get("digest", ""))


def _split_header(data) -> tuple[dict, int]:
    """A fragment's header and where its body starts."""
    end = data.find(b"\n")
    if end < 0:
        raise ValueError("not a graph fragment: no header")
    return json.loads(bytes(data[:end])), end + 1


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
    """What :func:`write_graph_files` wrote: quads in graph.nq, distinct triples in graph.ttl,
    and where each fragment's bytes are (``layout``, for the next build to copy them)."""

    quads: int = 0
    triples: int = 0
    #: ``{"files": {name: [size, mtime_ns, inode]}, "sections": {digest: [offset, length] × 4}}``
    layout: dict[str, Any] = field(default_factory=dict)
    copied: int = 0  # bytes copied from the previous graph files instead of written anew


_PARTS_WRITTEN = ("nquads", "trig", "turtle", "jsonld")  # the parts of a fragment each file holds, in order
_NAMES = {"trig": "graph.trig", "nquads": "graph.nq", "turtle": "graph.ttl", "jsonld": "graph.jsonld"}


def _stat_key(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class _Output:
    """One graph file being written: bytes appended, or ranges copied from the previous file.

    Consecutive ranges of the old file are copied in one ``copy_file_range`` call (in the
    kernel: no bytes pass through Python), so rewriting a 1.6 GB file where 1% changed costs
    little more than the changed part.
    """

    def __init__(self, path: Path, old: Path | None) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.tmp = Path(tmp)
        self.fh = os.fdopen(fd, "wb", buffering=1 << 20)
        self.src = open(old, "rb") if old is not None else None  # noqa: SIM115 (closed in close())
        self.pos = 0
        self.pending: list[int] | None = None  # [offset in the old file, length] not yet copied
        self.copied = 0

    def write(self, data) -> None:
        if self.pending:
            self._copy_pending()
        self.fh.write(data)
        self.pos += len(data)

    def copy(self, offset: int, length: int) -> None:
        if self.pending and self.pending[0] + self.pending[1] == offset:
            self.pending[1] += length
        else:
            if self.pending:
                self._copy_pending()
            self.pending = [offset, length]
        self.pos += length

    def _copy_pending(self) -> None:
        offset, length = self.pending
        self.pending = None
        self.copied += length
        self.fh.flush()
        src, dst = self.src.fileno(), self.fh.fileno()
        while length:
            try:
                n = os.copy_file_range(src, dst, length, offset)
            except (AttributeError, OSError):  # not on this system or file system: copy by hand
                n = 0
            if n == 0:
                chunk = os.pread(src, min(length, 1 << 24), offset)
                if not chunk:
                    raise OSError(f"{self.src.name} is shorter than the last build left it")
                self.fh.write(chunk)
                self.fh.flush()
                n = len(chunk)
            offset += n
            length -= n

    def finish(self) -> None:
        if self.pending:
            self._copy_pending()
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()
        if self.src is not None:
            self.src.close()


#: the graph files a build can write, by the name users give them (``kg build --formats``)
GRAPH_FORMATS = {"trig": "trig", "nq": "nquads", "ttl": "turtle", "jsonld": "jsonld"}


def graph_formats(names: Iterable[str] | None) -> tuple[str, ...]:
    """The internal format keys for user format names (None: all four); graph.trig always.

    >>> graph_formats(["nq"])
    ('trig', 'nquads')
    """
    if names is None:
        return tuple(_NAMES)
    names = {n.strip().lower() for n in names if n.strip()} - {"none"}
    unknown = sorted(names - set(GRAPH_FORMATS))
    if unknown:
        raise InputError(f"unknown graph format {', '.join(unknown)}: choose from {', '.join(GRAPH_FORMATS)} "
                         f"(or none)")
    chosen = {"trig"} | {GRAPH_FORMATS[n] for n in names}
    return tuple(fmt for fmt in _NAMES if fmt in chosen)


def write_graph_files(fragments: Iterable[Fragment] | list[Quad], out_dir: Path, *,
                      previous: dict[str, Any] | None = None,
                      formats: Iterable[str] | None = None) -> tuple[dict[str, Path], WriteCounts]:
    """Write graph.trig, graph.nq, graph.ttl (union) and graph.jsonld to ``out_dir`` in one pass.

    ``fragments`` come one per named graph, in the order the files list them (or give plain
    quads, grouped here by graph). Each file is written to a temporary file and renamed into
    place, so a reader or a crash sees either the old or the new file, never a mix. The files
    are not fsynced: they are derived from the build cache and made again if lost, and
    flushing gigabytes would dominate an incremental build.

    ``previous`` is the ``layout`` of the last build's :class:`WriteCounts`: a fragment whose
    bytes are already in the current files (same digest, files untouched since) is copied from
    there by the kernel instead of being written from the fragment.

    In graph.ttl the triples that several graphs may state (``Fragment.shared``) come once each,
    after the document blocks.

    ``formats`` (keys of :data:`FORMATS`, from :func:`graph_formats`) limits the files written;
    graph.trig is always written, and a graph file not chosen is deleted, so none is ever stale.
    """
    if isinstance(fragments, list) and (not fragments or not isinstance(fragments[0], Fragment)):
        fragments = fragments_of_quads(fragments)
    remove_stale_temporaries(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = previous or {}
    chosen = set(formats) | {"trig"} if formats is not None else set(_NAMES)
    names = {fmt: name for fmt, name in _NAMES.items() if fmt in chosen}
    old_files, old_sections = previous.get("files", {}), previous.get("sections", {})
    reusable = {}  # a file the last build wrote and nobody touched since: its sections can be copied
    for fmt, name in names.items():
        stat = _stat_key(out_dir / name)
        reusable[fmt] = stat is not None and old_files.get(name) == stat
    outs: dict[str, _Output] = {}
    counts = WriteCounts()
    sections: dict[str, list[int]] = {}
    shared_lines: list[bytes] = []
    seen: set[bytes] = set()  # digests of the shared triples already in graph.ttl
    try:
        for fmt, name in names.items():
            outs[fmt] = _Output(out_dir / name, out_dir / name if reusable[fmt] else None)
        header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes().items()).encode()
        outs["trig"].write(header)
        if "turtle" in outs:
            outs["turtle"].write(header)
        if "jsonld" in outs:
            outs["jsonld"].write(b"[")
        first_json = True
        for frag in fragments:
            counts.quads += frag.quads
            counts.triples += frag.triples
            # a JSON-LD section starts with the comma that separates it from the one before,
            # so that runs of unchanged sections are one range of the old file
            comma = b"," if frag.jsonld and not first_json else b""
            first_json = first_json and not frag.jsonld
            old = old_sections.get(frag.digest) if frag.digest else None
            where: list[int] = []
            for i, fmt in enumerate(_PARTS_WRITTEN):
                if fmt not in outs:
                    where += [0, 0]
                    continue
                out, part = outs[fmt], getattr(frag, fmt)
                sep = comma if fmt == "jsonld" else b""
                n = len(sep) + len(part)
                where += [out.pos, n]
                if old is not None and reusable[fmt] and old[2 * i + 1] == n:
                    out.copy(old[2 * i], n)
                else:
                    if sep:
                        out.write(sep)
                    out.write(part)
            if frag.digest:
                sections[frag.digest] = where
            for line in bytes(frag.shared).splitlines(keepends=True):
                digest = hashlib.blake2b(line, digest_size=16).digest()
                if digest not in seen:
                    seen.add(digest)
                    shared_lines.append(line)
        counts.triples += len(shared_lines)
        if "turtle" in outs:
            outs["turtle"].write(b"".join(shared_lines))
        if "jsonld" in outs:
            outs["jsonld"].write(b"]")
        written = {}
        for fmt, out in outs.items():
            out.finish()
            counts.copied += out.copied
            out.fh.close()
            os.chmod(out.tmp, 0o666 & ~_umask())
        # the old files stay open across the renames, so freeing their gigabytes happens when
        # they are closed, in a thread, while the build goes on (a rename over a big file
        # frees it there and then, for seconds)
        old_handles = []
        for fmt, name in _NAMES.items():
            out = outs.get(fmt)
            if out is not None and out.src is not None:
                old_handles.append(out.src)
                out.src = None
            else:
                try:
                    old_handles.append(open(out_dir / name, "rb"))  # noqa: SIM115 (closed by the thread)
                except OSError:
                    pass  # no old file
            if out is None:  # not chosen: never leave a stale one behind
                (out_dir / name).unlink(missing_ok=True)
            else:
                os.replace(out.tmp, out_dir / name)
                written[fmt] = out_dir / name
        if old_handles:
            threading.Thread(target=_close_all, args=(old_handles,), name="kg-free-old-graph-files").start()
        counts.layout = {"files": {name: _stat_key(out_dir / name) for name in names.values()},
                         "sections": sections}
        return written, counts
    finally:
        for out in outs.values():
            out.close()
            out.tmp.unlink(missing_ok=True)


def _close_all(handles: list) -> None:
    for fh in handles:
        fh.close()


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


def write_store(source: Path | list[Quad] | Iterable[bytes], out_dir: Path) -> Path:
    """Replace the on-disk Oxigraph store in ``out_dir/store`` with ``source``: an N-Quads file,
    quads, or pieces of N-Quads (each whole lines), loaded in chunks of about
    :data:`LOAD_CHUNK_BYTES`.

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
    elif isinstance(source, list):
        store.bulk_extend(to_ox_quads(source))
    else:
        for chunk in _joined(source, LOAD_CHUNK_BYTES):
            store.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)
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


def _joined(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``pieces`` joined into chunks of at least ``size`` bytes (the last may be smaller)."""
    buf: list[bytes] = []
    n = 0
    for piece in pieces:
        buf.append(piece)
        n += len(piece)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


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
    """Change ``store``: drop the graphs ``drop`` (IRIs), load each ``(graph IRI, N-Quads)`` of
    ``insert`` in place of that graph, then delete and add single quads.

    All the data is parsed before anything is changed, so broken data changes nothing. The
    removals go in as one SPARQL Update (``DROP``, ``DELETE DATA``: a few lines, written by
    pyoxigraph's own term serialiser), the additions through the bulk loader, several times
    faster than the same quads as ``INSERT DATA`` text but not transactional: a build applies
    this to a copy of its store and swaps the copy in, so readers never see a partial change.
    Returns the number of quads written (added, and deleted one by one).
    """
    inserted: list[Quad] = []
    graphs = [*drop]
    for graph, nquads in insert:
        graphs.append(graph)
        inserted.extend(ox.parse(bytes(nquads), format=ox.RdfFormat.N_QUADS))
    inserted.extend(add_quads)
    ops = [f"DROP SILENT GRAPH {ox.NamedNode(graph)}" for graph in graphs]
    by_graph: dict[str, list[str]] = {}
    removed = 0
    for q in remove_quads:
        removed += 1
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    for graph, lines in by_graph.items():
        ops.append(f"DELETE DATA {{ GRAPH {graph} {{\n" + "\n".join(lines) + "\n} }")
    if ops:
        store.update(" ;\n".join(ops))
    if inserted:
        store.bulk_extend(inserted)
    return len(inserted) + removed


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
