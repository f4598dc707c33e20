"""Streamed extraction: in this process, in a pool of worker processes, or on a Dask cluster.

The build hands out ``(path, doc_id)`` pairs in batches; whoever runs a batch reads the files,
runs the spaCy pipeline (loaded once per worker process) and sends back one :class:`Outcome`
per file: the :class:`~kg.model.Extraction` (plain dataclasses) or why it failed. spaCy Docs
never leave the worker, and only a few batches are in flight at a time, so the memory of the
parent grows with the extractions only, not with the text being processed.

Example:
    >>> batches = [[("seeds/a.md", "a")], [("seeds/b.md", "b")]]
    >>> with Executor(workers=2) as run:                 # doctest: +SKIP
    ...     for outcomes in run.map(batches):
    ...         print([o.doc_id for o in outcomes])
    ['a']
    ['b']
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .errors import ConfigError, InputError
from .model import Extraction

#: documents per batch: large enough to amortise the round trip, small enough to keep memory flat
DEFAULT_BATCH = 64
#: batches in flight per worker: one being processed, one queued so no worker waits
IN_FLIGHT_PER_WORKER = 2

Item = tuple[str, str]  # (path, doc_id)


@dataclass
class Outcome:
    """What became of one input file: its extraction, or why there is none."""

    path: str
    doc_id: str
    extraction: Extraction | None = None
    keys: dict[str, tuple[str, str]] | None = None  # entity keys from the document's own names
    fragment: bytes | None = None  # its named graph mapped with ``keys`` (kg.store.Fragment)
    reason: str = ""  # set when the file failed
    read_failed: bool = False  # the file could not be read at all (no document)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.extraction is not None


def process_batch(items: list[Item], config: str | None = None) -> list[Outcome]:
    """Read, extract and map each ``(path, doc_id)``; a failure is recorded, never raised.

    The document's graph is mapped here too, with the keys its entities get from their own names
    (:func:`kg.resolve.local_keys`), so the RDF work runs in parallel; the build maps a document
    again only when corpus-wide resolution gives one of its entities another key.

    >>> [o.read_failed for o in process_batch([("/no/such/file.md", "x")])]
    [True]
    """
    from .extract import extract
    from .ingest import read_document
    from .resolve import local_keys
    from .store import document_fragment

    out = []
    nlp = None
    for path, doc_id in items:
        try:
            document = read_document(path, doc_id=doc_id)
        except InputError as exc:
            out.append(Outcome(path, doc_id, reason=str(exc), read_failed=True))
            continue
        try:
            if nlp is None:
                from .nlp import load_pipeline

                nlp = load_pipeline(config)  # cached: once per process
            x = extract(document, nlp)
            keys = local_keys(x.entities)
            fragment = document_fragment(x, keys).to_bytes()
            out.append(Outcome(path, doc_id, x, keys, fragment, warnings=list(document.warnings)))
        except Exception as exc:  # one broken document must not stop the build
            out.append(Outcome(path, doc_id, reason=f"extraction failed: {type(exc).__name__}: {exc}",
                               warnings=list(document.warnings)))
    return out


def _warm_worker(config: str | None) -> None:
    """Pool initializer: load the pipeline before the first batch arrives."""
    from .nlp import load_pipeline

    load_pipeline(config)


def mp_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (fast, no inherited state), else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods and sys.platform != "darwin" else "spawn")


class Executor:
    """Runs batches in this process (``workers <= 1``), in worker processes, or on Dask.

    Use as a context manager; :meth:`map` yields the outcomes of each batch in input order while
    keeping at most ``IN_FLIGHT_PER_WORKER`` batches per worker queued.
    """

    def __init__(self, workers: int = 1, dask: str | None = None, config: str | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be 1 or more, not {workers}")
        self.workers = workers
        self.dask_address = dask
        self.config = config
        self._pool: ProcessPoolExecutor | None = None
        self._client = None

    def __enter__(self) -> "Executor":
        if self.dask_address:
            self._client = dask_client(self.dask_address)
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def map(self, batches: Iterable[list[Item]]) -> Iterator[list[Outcome]]:
        """The outcomes of each batch, in the order of ``batches``.

        Worker processes start with the second batch: each loads the pipeline, which costs more
        than one batch of work (an incremental build often has one batch or none). On Dask,
        every batch goes to the cluster.
        """
        rest = iter(batches)
        head = [b for b in (next(rest, None), next(rest, None)) if b is not None]
        batches = itertools.chain(head, rest)
        if self._client is None and (len(head) < 2 or self.workers <= 1):
            for batch in batches:
                yield process_batch(batch, self.config)
            return
        if self._client is None and self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp_context(),
                                             initializer=_warm_worker, initargs=(self.config,))
        submit = (self._pool.submit if self._pool is not None
                  else lambda fn, *a: self._client.submit(fn, *a, pure=False))
        pending: deque = deque()
        limit = self.workers * IN_FLIGHT_PER_WORKER
        for batch in batches:
            pending.append(submit(process_batch, batch, self.config))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def dask_client(address: str):
    """A ``dask.distributed`` client connected to the scheduler at ``address``."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ConfigError("--dask needs dask.distributed: pip install 'kg[dask]'") from None
    try:
        return Client(address, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}; "
                          "start one with `dask scheduler` or check the address") from None


def batched(items: Iterable[Item], size: int = DEFAULT_BATCH) -> Iterator[list[Item]]:
    """``items`` in lists of ``size``.

    >>> [len(b) for b in batched([("p", "d")] * 5, 2)]
    [2, 2, 1]
    """
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
