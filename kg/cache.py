"""The build cache behind incremental builds and flat memory.

A build folder keeps, under ``cache/``:

* ``<doc_id>.json``: the document and what was extracted from it;
* ``graphs/<doc_id>.frag``: its named graph, serialised in every output format
  (:class:`kg.store.Fragment`), mapped with the entity keys recorded in the manifest;
* and ``manifest.json`` beside ``cache/`` (JSON Lines: a header, then a line per document):
  per document its content hash, the names of its entities (:class:`kg.resolve.Summary`, all
  that resolution needs), report figures, the keys and digest of its graph fragment; in the
  header, which fragment the Oxigraph store holds and where each fragment's bytes sit in the
  graph files (so the next build copies them instead of writing them again).

A later build re-runs the NLP stage only for documents whose bytes changed, maps a document again
only when its entities resolve to other keys, and writes the store graph by graph. A cache entry
is valid for one pipeline fingerprint (extraction) and one mapping fingerprint (RDF); every file
read back is checked against the manifest, so files left by a killed build are never trusted.

Example:
    >>> from kg.model import Document, Extraction
    >>> x = Extraction(doc=Document(doc_id="d", path="d.txt", text="寒武纪", content_hash="0"))
    >>> extraction_from_dict(extraction_to_dict(x)).doc.text
    '寒武纪'
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .model import DocEntity, Document, Extraction, Figure, Mention, Relation
from .resources import resource_path
from .resolve import Summary
from .store import Fragment, atomic_write

CACHE_DIR = "cache"
GRAPHS_DIR = "graphs"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 3
#: modules whose code decides what is extracted: a change to them invalidates the cache
_NLP_MODULES = ("components.py", "patterns.py", "extract.py", "relations.py", "figures.py", "ingest.py", "model.py")
#: modules whose code decides the RDF of a document: a change to them invalidates the fragments
_MAPPING_MODULES = ("mapping.py", "iri.py", "vocab.py", "store.py", "resolve.py")
CUSTOMER_PREDICATES = frozenset({"hasCustomer", "supplierOf"})


def _hash_files(files) -> hashlib._Hash:
    h = hashlib.sha256()
    for path in files:
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """A hash of everything that decides extraction: code, pipeline config and data files."""
    package = Path(__file__).resolve().parent
    files = [package / m for m in _NLP_MODULES]
    files += sorted(resource_path("data").rglob("*.tsv")) + sorted(resource_path("data").rglob("*.cfg"))
    return _hash_files(files).hexdigest()[:16]


def mapping_fingerprint() -> str:
    """A hash of everything that decides a document's RDF besides its extraction and keys."""
    import pyoxigraph

    from .iri import base_iri

    h = _hash_files([Path(__file__).resolve().parent / m for m in _MAPPING_MODULES])
    h.update(base_iri().encode())
    h.update(pyoxigraph.__version__.encode())  # the serialisers' output is part of the fragment
    return h.hexdigest()[:16]


def extraction_to_dict(x: Extraction) -> dict[str, Any]:
    data = asdict(x)
    for ent in data["entities"]:
        ent["aliases"] = sorted(ent["aliases"])
    return data


def extraction_from_dict(data: dict[str, Any]) -> Extraction:
    doc = Document(**{**data["doc"], "paragraphs": [tuple(p) for p in data["doc"]["paragraphs"]]})
    entities = []
    for e in data["entities"]:
        mentions = [Mention(**m) for m in e["mentions"]]
        entities.append(DocEntity(**{**e, "mentions": mentions, "aliases": set(e["aliases"])}))
    return Extraction(
        doc=doc,
        sentences=[tuple(s) for s in data["sentences"]],
        entities=entities,
        relations=[Relation(**r) for r in data["relations"]],
        figures=[Figure(**f) for f in data["figures"]],
    )


@dataclass
class DocRecord:
    """What a build keeps in memory of one document: names and figures, no text or offsets."""

    doc_id: str
    path: str
    content_hash: str
    entities: list[Summary]
    chars: int = 0
    relations: int = 0
    figures: int = 0
    predicates: dict[str, int] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)  # local ids of hasCustomer/supplierOf objects
    warnings: list[str] = field(default_factory=list)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # the keys its fragment was mapped with
    digest: str = ""  # of its fragment
    quads: int = 0
    #: its line in the manifest it was read from; any change to the record clears it, so an
    #: unchanged record is written back as it was read (serialising 10,000 records is slow)
    raw: str = field(default="", compare=False, repr=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "raw":
            object.__setattr__(self, "raw", "")
        object.__setattr__(self, name, value)

    @classmethod
    def of(cls, x: Extraction) -> "DocRecord":
        return cls(
            doc_id=x.doc.doc_id, path=x.doc.path, content_hash=x.doc.content_hash,
            entities=[Summary.of(e) for e in x.entities], chars=len(x.doc.text),
            relations=len(x.relations), figures=len(x.figures),
            predicates=dict(Counter(r.predicate for r in x.relations)),
            customers=[r.object for r in x.relations if r.predicate in CUSTOMER_PREDICATES],
            warnings=list(x.doc.warnings),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "content_hash": self.content_hash, "entities": [e.to_list() for e in self.entities],
            "chars": self.chars, "relations": self.relations, "figures": self.figures,
            "predicates": self.predicates, "customers": self.customers, "warnings": self.warnings,
            "keys": {k: list(v) for k, v in self.keys.items()}, "digest": self.digest, "quads": self.quads,
        }

    @classmethod
    def from_dict(cls, doc_id: str, data: dict[str, Any]) -> "DocRecord":
        return cls(
            doc_id=doc_id, path=data["path"], content_hash=data["content_hash"],
            entities=[Summary.from_list(e) for e in data["entities"]], chars=data["chars"],
            relations=data["relations"], figures=data["figures"], predicates=data["predicates"],
            customers=data["customers"], warnings=data["warnings"],
            keys={k: tuple(v) for k, v in data["keys"].items()}, digest=data["digest"], quads=data["quads"],
        )


class BuildCache:
    """The cache of a build folder: extractions, graph fragments and the manifest.

    With ``reuse=False`` the previous build's entries are ignored (a full build) but the cache is
    still written, so the next build can be incremental.
    """

    def __init__(self, out_dir: Path, *, reuse: bool = True) -> None:
        self.out_dir = Path(out_dir)
        self.dir = self.out_dir / CACHE_DIR
        self.graphs = self.dir / GRAPHS_DIR
        self.fingerprint = pipeline_fingerprint()
        self.mapping = mapping_fingerprint()
        self._written: list[Path] = []  # cache files this build wrote, synced before the manifest
        self._raw: dict[str, str] = {}  # doc_id -> its line in the manifest
        head, documents = _read_manifest(self.out_dir / MANIFEST) if reuse else ({}, {})
        #: what the store in ``out_dir/store`` holds: {doc_id: fragment digest}, or None if unknown
        self.store_state: dict[str, str] | None = head.get("store")
        #: where each fragment sits in the graph files (see :func:`kg.store.write_graph_files`)
        self.layout: dict[str, Any] | None = head.get("layout")
        self.previous: dict[str, dict[str, Any]] = {}  # doc_id -> manifest entry of the last build
        if head.get("fingerprint") == self.fingerprint:
            self.previous = {doc_id: entry for doc_id, (entry, _) in documents.items()}
            self._raw = {doc_id: line for doc_id, (_, line) in documents.items()}
        self._fragments_valid = head.get("mapping") == self.mapping
        if not self._fragments_valid:
            self.store_state = None  # the store holds graphs mapped by other code: load it anew

    # -- documents ------------------------------------------------------------------------

    def known(self, doc_id: str) -> bool:
        """Whether the last build had a document with this id."""
        return doc_id in self.previous

    def record(self, doc_id: str, content_hash: str) -> DocRecord | None:
        """The last build's record of ``doc_id`` if its bytes are unchanged."""
        entry = self.previous.get(doc_id)
        if not entry or entry.get("content_hash") != content_hash:
            return None
        try:
            rec = DocRecord.from_dict(doc_id, entry)
        except (KeyError, TypeError, ValueError):
            return None
        rec.raw = self._raw.get(doc_id, "")
        if not self._fragments_valid:
            rec.keys, rec.digest = {}, ""  # map it again
        return rec

    def extraction(self, doc_id: str, content_hash: str) -> Extraction | None:
        """The extraction stored for ``doc_id``, if it is the one of these bytes."""
        try:
            data = json.loads((self.dir / f"{doc_id}.json").read_text(encoding="utf-8"))
            x = extraction_from_dict(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return x if x.doc.content_hash == content_hash else None  # never a killed build's leftover

    def extractions(self) -> list[Extraction]:
        """The last build's extractions, by doc id, each with its document's current path."""
        out = []
        for doc_id, entry in sorted(self.previous.items()):
            x = self.extraction(doc_id, entry.get("content_hash", ""))
            if x is not None:
                x.doc.path = entry.get("path", x.doc.path)
                out.append(x)
        return out

    def put_extraction(self, x: Extraction) -> None:
        payload = json.dumps(extraction_to_dict(x), ensure_ascii=False, sort_keys=True)
        path = self.dir / f"{x.doc.doc_id}.json"
        atomic_write(path, payload.encode("utf-8"), sync=False)
        self._written.append(path)

    # -- graph fragments ------------------------------------------------------------------

    def put_fragment(self, rec: DocRecord, keys: dict[str, tuple[str, str]], fragment: bytes) -> None:
        """Store the graph fragment of ``rec`` mapped with ``keys``."""
        path = self.graphs / f"{rec.doc_id}.frag"
        atomic_write(path, fragment, sync=False)
        self._written.append(path)
        header = Fragment.header(fragment)
        rec.keys, rec.digest, rec.quads = dict(keys), header["digest"], header["quads"]

    def fragment(self, rec: DocRecord) -> Fragment | None:
        """The stored fragment of ``rec``, or None when it is missing or not the recorded one."""
        if not rec.digest:
            return None
        try:
            with open(self.graphs / f"{rec.doc_id}.frag", "rb") as fh:
                # mapped, not read: a build that copies this graph from the last graph files
                # touches only its header and shared triples
                data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # missing, unreadable or empty
            return None
        try:
            frag = Fragment.from_bytes(data)
        except ValueError:
            return None
        # fragments are written whole (by rename), so the digest in the header names the bytes:
        # a killed build's leftover carries its own
        return frag if frag.digest == rec.digest else None

    def unstored(self, records: dict[str, DocRecord]) -> list[str]:
        """The doc ids whose graph the store does not hold as it is now (all, if unknown)."""
        held = self.store_state
        return [d for d in sorted(records) if held is None or held.get(d) != records[d].digest]

    # -- saving ---------------------------------------------------------------------------

    def save(self, records: dict[str, DocRecord], store_state: dict[str, str] | None,
             layout: dict[str, Any] | None = None) -> None:
        """Write the manifest for ``records`` and delete the files of documents no longer there.

        The manifest is JSON Lines: a header (fingerprints, the store's state, the graph files'
        ``layout``), then one ``[doc_id, record]`` line per document, sorted.
        """
        head = {"version": MANIFEST_VERSION, "fingerprint": self.fingerprint, "mapping": self.mapping,
                "store": store_state, "layout": layout}
        lines = [json.dumps(head, sort_keys=True)]
        for d in sorted(records):
            rec = records[d]
            lines.append(rec.raw or json.dumps([d, rec.to_dict()], ensure_ascii=False, sort_keys=True))
        self._sync_written()  # the cache files reach the disk before the manifest that names them
        atomic_write(self.out_dir / MANIFEST, ("\n".join(lines) + "\n").encode("utf-8"))
        for folder, suffix in ((self.dir, ".json"), (self.graphs, ".frag")):
            if folder.is_dir():
                for path in folder.glob(f"*{suffix}"):
                    if path.name[: -len(suffix)] not in records:
                        path.unlink(missing_ok=True)
                for path in folder.glob(".*.tmp"):  # left by a killed build
                    path.unlink(missing_ok=True)

    def _sync_written(self) -> None:
        if len(self._written) > SYNC_EACH_MAX and hasattr(os, "sync"):
            os.sync()
        else:
            for path in self._written:
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue  # replaced or removed since: whatever is there now is checked when read
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        self._written.clear()


#: up to this many cache files written, a build fsyncs each; beyond, it syncs the file system
SYNC_EACH_MAX = 2000


def _read_manifest(path: Path) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Any], str]]]:
    """The header and ``{doc_id: (entry, line)}`` of a manifest; empty if missing or damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}, {}
    lines = text.split("\n")
    try:
        head = json.loads(lines[0])
        if not isinstance(head, dict) or head.get("version") != MANIFEST_VERSION:
            return {}, {}
        documents = {}
        for line in lines[1:]:
            if line:
                doc_id, entry = json.loads(line)
                documents[doc_id] = (entry, line)
    except (ValueError, TypeError):
        return {}, {}  # a damaged manifest only costs a full rebuild
    return head, documents
