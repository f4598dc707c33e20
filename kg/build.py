"""Build a knowledge graph from files and folders: ingest, extract, resolve, map, write.

Example:
    >>> import kg
    >>> graph = kg.build(["seeds/"])            # doctest: +SKIP
    >>> graph.lookup("寒武纪").label             # doctest: +SKIP
    '寒武纪'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .extract import extract
from .ingest import FileReport, IngestReport
from .mapping import Quad, build_quads, document_quads, entity_quads
from .model import Extraction
from .parallel import DEFAULT_BATCH
from .resolve import Resolution, resolve

DEFAULT_CORPUS = "seeds"


@dataclass
class BuildReport:
    """What a build read, produced and wrote; saved as ``report.json``."""

    files: list[FileReport] = field(default_factory=list)
    documents: int = 0
    entities_by_type: dict[str, int] = field(default_factory=dict)
    customers: int = 0
    relations: int = 0
    relations_by_predicate: dict[str, int] = field(default_factory=dict)
    figures: int = 0
    triples: int = 0
    quads: int = 0
    seconds: float = 0.0
    merges: list[dict] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    validation: dict[str, Any] | None = None
    changes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "skipped"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {
                "files": len(self.files),
                "ok": sum(f.status == "ok" for f in self.files),
                "skipped": len(self.skipped),
                "failed": len(self.failed),
                "documents": self.documents,
                "entities": sum(self.entities_by_type.values()),
                "entities_by_type": dict(sorted(self.entities_by_type.items())),
                "customers": self.customers,
                "relations": self.relations,
                "relations_by_predicate": dict(sorted(self.relations_by_predicate.items())),
                "figures": self.figures,
                "triples": self.triples,
                "quads": self.quads,
                "seconds": round(self.seconds, 3),
                "added": len(self.changes.get("added", [])),
                "changed": len(self.changes.get("changed", [])),
                "unchanged": len(self.changes.get("unchanged", [])),
                "removed": len(self.changes.get("removed", [])),
            },
            "changes": self.changes,
            "files": [f.to_dict() for f in self.files],
            "merges": self.merges,
            "outputs": self.outputs,
            "validation": self.validation,
        }


def _now() -> str:
    # SOURCE_DATE_EPOCH makes builds reproducible byte for byte (reproducible-builds.org)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_extraction(
    report: IngestReport, progress: Callable[[str], None] | None = None, cache=None
) -> tuple[list[Extraction], dict[str, list[str]]]:
    """Extract every ingested document, reusing cached extractions of unchanged ones.

    A failure is recorded on its file, not raised. Returns the extractions and the doc ids
    that were ``added``, ``changed``, ``unchanged`` and ``removed`` relative to the cache.
    """
    by_doc = {f.doc_id: f for f in report.files if f.doc_id}
    out = []
    changes: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": [], "removed": []}
    known = dict(cache.documents) if cache is not None else {}
    for document in report.documents:
        cached = cache.get(document) if cache is not None else None
        if cached is not None:
            out.append(cached)
            changes["unchanged"].append(document.doc_id)
        else:
            try:
                out.append(extract(document))
                changes["changed" if document.doc_id in known else "added"].append(document.doc_id)
            except Exception as exc:  # one broken document must not stop the build
                rec = by_doc[document.doc_id]
                rec.status, rec.reason = "failed", f"extraction failed: {type(exc).__name__}: {exc}"
        if progress:
            progress(document.path)
    changes["removed"] = sorted(set(known) - {d.doc_id for d in report.documents})
    return out, changes


def extract_corpus(
    paths: Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
    cache=None,
    workers: int = 1,
    dask: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[FileReport], list[Extraction], dict[str, list[str]]]:
    """Ingest and extract ``paths`` in batches, here, in ``workers`` processes or on ``dask``.

    Files are read by whoever extracts them (see :mod:`kg.parallel`), so neither the texts being
    processed nor their spaCy Docs pile up in this process. Unchanged documents come from
    ``cache``. Returns a report per path (in the order :func:`kg.ingest.ingest` gives), the
    extractions and the doc ids ``added``, ``changed``, ``unchanged`` and ``removed``.

    >>> files, xs, changes = extract_corpus(["seeds/"], workers=2)   # doctest: +SKIP
    """
    import hashlib
    from types import SimpleNamespace

    from .ingest import assign_doc_ids, list_inputs, read_bytes
    from .parallel import Executor, batched

    files, candidates = list_inputs(paths, strict=strict)
    ids = assign_doc_ids(candidates)
    records = {str(p): FileReport(str(p), "ok", doc_id=ids[p]) for p in candidates}
    files.extend(records.values())
    known = dict(cache.documents) if cache is not None else {}
    found: dict[str, Extraction] = {}  # by path
    fresh: set[str] = set()
    read: set[str] = set()  # doc ids of files that could be read

    def todo():
        for p in candidates:
            doc_id = ids[p]
            if doc_id in known:  # only hash files the cache may know
                try:
                    digest = hashlib.sha256(read_bytes(p)).hexdigest()
                except (OSError, InputError):
                    digest = None  # the worker reports why it cannot be read
                hit = cache.get(SimpleNamespace(doc_id=doc_id, content_hash=digest, path=str(p))) if digest else None
                if hit is not None:
                    found[str(p)] = hit
                    read.add(doc_id)
                    records[str(p)].warnings = list(hit.doc.warnings)
                    if progress:
                        progress(str(p))
                    continue
            yield (str(p), doc_id)

    with Executor(workers=workers, dask=dask) as executor:
        for outcomes in executor.map(batched(todo(), batch_size)):
            for o in outcomes:
                rec = records[o.path]
                if o.read_failed:
                    if strict:
                        raise InputError(f"{o.path}: {o.reason}")
                    rec.status, rec.reason, rec.doc_id = "failed", o.reason, None
                else:
                    read.add(o.doc_id)
                    rec.warnings = list(o.warnings)
                    if o.ok:
                        found[o.path] = o.extraction
                        fresh.add(o.path)
                    else:
                        rec.status, rec.reason = "failed", o.reason
                if progress:
                    progress(o.path)

    extractions: list[Extraction] = []
    changes: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": [], "removed": []}
    for p in candidates:
        x = found.get(str(p))
        if x is None:
            continue
        extractions.append(x)
        if str(p) not in fresh:
            changes["unchanged"].append(x.doc.doc_id)
        else:
            changes["changed" if x.doc.doc_id in known else "added"].append(x.doc.doc_id)
    changes["removed"] = sorted(set(known) - read)
    return files, extractions, changes


def assemble(extractions: list[Extraction], *, started: str, version: str) -> tuple[list[Quad], Resolution]:
    """All quads of a build: document graphs, entities graph and build record."""
    resolution = resolve({x.doc.doc_id: x.entities for x in extractions})
    quads: list[Quad] = []
    for x in sorted(extractions, key=lambda x: x.doc.doc_id):
        quads.extend(document_quads(x, resolution))
    quads.extend(entity_quads(resolution.entities[k] for k in sorted(resolution.entities)))
    inputs = {x.doc.path: x.doc.content_hash for x in extractions}
    quads.extend(build_quads(version=version, started=started, ended=_now(), inputs=inputs))
    return quads, resolution


def build(
    paths: Iterable[str | os.PathLike[str]] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    strict: bool = False,
    validate: bool = False,
    incremental: bool = True,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    dask: str | None = None,
    batch_size: int = DEFAULT_BATCH,
):
    """Build a :class:`~kg.graph.KnowledgeGraph` from ``paths`` (default: ``seeds/``).

    With ``out``, also write graph.trig, graph.nq, graph.ttl, graph.jsonld, graph.gexf,
    report.json and the Oxigraph store there. With ``incremental`` (the default), documents
    whose bytes did not change since the last build into ``out`` are not processed again.
    ``workers`` > 1 extracts in that many processes, ``dask`` (``tcp://host:8786``) on a Dask
    cluster; either way the graph is the same as a single-process build's.
    """
    from . import __version__
    from .graph import KnowledgeGraph

    t0 = time.perf_counter()
    started = _now()
    paths = list(paths) if paths else [DEFAULT_CORPUS]
    cache = None
    if out is not None and incremental:
        from .cache import ExtractionCache

        cache = ExtractionCache(Path(out))
    files, extractions, changes = extract_corpus(paths, strict=strict, cache=cache, workers=workers, dask=dask,
                                                 batch_size=batch_size, progress=progress)
    if strict and any(f.status == "failed" for f in files):
        bad = next(f for f in files if f.status == "failed")
        raise InputError(f"{bad.path}: {bad.reason}")
    quads, resolution = assemble(extractions, started=started, version=__version__)

    report = BuildReport(files=files, documents=len(extractions), changes=changes)
    by_doc = {f.doc_id: f for f in report.files if f.doc_id}
    quads_by_graph = Counter(q.graph_name.value for q in quads)
    from .mapping import graph_iri

    for x in extractions:
        rec = by_doc[x.doc.doc_id]
        rec.entities = len(x.entities)
        rec.relations = len(x.relations)
        rec.triples = quads_by_graph[str(graph_iri(x.doc.doc_id))]
    report.entities_by_type = dict(Counter(e.kind for e in resolution.entities.values()))
    customer_keys = {
        resolution.key_of(x.doc.doc_id, r.object)
        for x in extractions for r in x.relations if r.predicate in {"hasCustomer", "supplierOf"}
    }
    report.customers = len(customer_keys)
    report.relations = sum(len(x.relations) for x in extractions)
    report.relations_by_predicate = dict(Counter(r.predicate for x in extractions for r in x.relations))
    report.figures = sum(len(x.figures) for x in extractions)
    report.quads = len(quads)
    report.triples = count_triples(quads)
    report.merges = resolution.merges

    graph = KnowledgeGraph.from_quads(quads, report=report, extractions=extractions)
    if validate:
        from .validate import validate as shacl_validate

        result = shacl_validate(graph.dataset)
        report.validation = {"conforms": result.conforms, "violations": len(result.violations),
                             "messages": [str(v) for v in result.violations[:50]]}
    if out is not None:
        graph.save(out)
        if cache is not None:
            cache.update(extractions)
    report.seconds = time.perf_counter() - t0
    if out is not None and graph.report is not None:
        write_report(report, Path(out) / "report.json")
    return graph


def count_triples(quads) -> int:
    """Distinct triples over all graphs (the size of graph.ttl)."""
    return len({q.triple for q in quads})


def write_report(report: BuildReport, path: Path) -> None:
    from .store import atomic_write

    atomic_write(path, json.dumps(report.to_dict(), ensure_ascii=False, indent=2).encode("utf-8"))
