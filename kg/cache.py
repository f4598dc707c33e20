"""The extraction cache behind incremental builds.

A build folder keeps ``cache/<doc_id>.json`` (the document and what was extracted from it) and
``manifest.json`` (each document's content hash and the pipeline fingerprint). A later build
re-runs the NLP stage only for documents whose bytes changed; resolution and mapping always run
over the whole corpus, so merges stay right after additions and removals.

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
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .model import DocEntity, Document, Extraction, Figure, Mention, Relation
from .resources import resource_path
from .store import atomic_write

CACHE_DIR = "cache"
MANIFEST = "manifest.json"
#: modules whose code decides what is extracted: a change to them invalidates the cache
_NLP_MODULES = ("components.py", "patterns.py", "extract.py", "relations.py", "figures.py", "ingest.py", "model.py")


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """A hash of everything that decides extraction: code, pipeline config and data files."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    files = [package / m for m in _NLP_MODULES]
    files += sorted(resource_path("data").rglob("*.tsv")) + sorted(resource_path("data").rglob("*.cfg"))
    for path in files:
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
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


class ExtractionCache:
    """Cached extractions of a build folder, valid for one pipeline fingerprint."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.dir = self.out_dir / CACHE_DIR
        self.fingerprint = pipeline_fingerprint()
        self.manifest: dict[str, Any] = {}
        path = self.out_dir / MANIFEST
        if path.exists():
            try:
                self.manifest = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.manifest = {}  # a damaged manifest only costs a full rebuild
        if self.manifest.get("fingerprint") != self.fingerprint:
            self.manifest = {"fingerprint": self.fingerprint, "documents": {}}

    @property
    def documents(self) -> dict[str, dict[str, str]]:
        return self.manifest["documents"]

    def get(self, document: Document) -> Extraction | None:
        """The cached extraction of ``document`` when its bytes are unchanged."""
        entry = self.documents.get(document.doc_id)
        if not entry or entry.get("content_hash") != document.content_hash:
            return None
        try:
            data = json.loads((self.dir / f"{document.doc_id}.json").read_text(encoding="utf-8"))
            x = extraction_from_dict(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        x.doc.path = document.path  # the same bytes may have moved
        return x

    def update(self, extractions: list[Extraction]) -> None:
        """Store the extractions of this build and drop the documents no longer there."""
        self.dir.mkdir(parents=True, exist_ok=True)
        keep = {x.doc.doc_id for x in extractions}
        for x in extractions:
            entry = self.documents.get(x.doc.doc_id)
            if entry is None or entry.get("content_hash") != x.doc.content_hash or not (self.dir / f"{x.doc.doc_id}.json").exists():
                payload = json.dumps(extraction_to_dict(x), ensure_ascii=False, sort_keys=True)
                atomic_write(self.dir / f"{x.doc.doc_id}.json", payload.encode("utf-8"))
            self.documents[x.doc.doc_id] = {"path": x.doc.path, "content_hash": x.doc.content_hash}
        for doc_id in sorted(set(self.documents) - keep):
            del self.documents[doc_id]
            (self.dir / f"{doc_id}.json").unlink(missing_ok=True)
        atomic_write(self.out_dir / MANIFEST, json.dumps(self.manifest, ensure_ascii=False, indent=1, sort_keys=True).encode())
