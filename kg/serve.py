"""Serve a built graph: a read-only SPARQL 1.1 endpoint, a web explorer and a reconciliation API.

``create_app(graph_or_path)`` returns a Starlette (ASGI) app; ``serve(path, host, port)`` runs it
with uvicorn. Routes:

* ``/sparql``: the SPARQL 1.1 Protocol (GET ``query=``, POST form, POST ``application/sparql-query``).
  SELECT/ASK as JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle, N-Triples or JSON-LD, chosen
  by the ``Accept`` header or a ``format`` parameter. The default graph is the union of all
  graphs (as in :meth:`KnowledgeGraph.query`) unless ``default-graph-uri`` is given.
* ``/``, ``/search``, ``/id/…`` (entities, documents, any resource), ``/graph``, ``/queries``:
  the explorer. ``/api/suggest`` and ``/api/graph`` feed its search box and graph view.
* ``/reconcile``: the W3C Reconciliation Service API that OpenRefine speaks.

Safety of ``/sparql``:

* Read-only: updates (``update=``, ``application/sparql-update``, INSERT/DELETE/LOAD/CLEAR/…) get
  403, and the store is opened read-only anyway.
* ``SERVICE`` (federated query) gets 403 before the query reaches the engine: a lexical scan of
  the keyword tokens (after SPARQL's ``\\uXXXX`` escapes; strings, IRIs, prefixed names, variables
  and comments are skipped, so ``"SERVICE"`` in a literal is fine), then a walk of rdflib's parse
  tree in the worker.
* Every query runs in a worker process (:class:`QueryPool`) that is killed at the deadline, so the
  time limit bounds everything: parsing, evaluation, sorting, aggregation and serialisation.
  The row limit caps the rows (or triples) returned; results are cut lazily, so a query whose
  first rows come quickly stops early. What is not bounded: the memory a worker uses before its
  deadline.
* A query longer than ``max_query_bytes`` gets 413; a malformed one 400 with the parser's message;
  one nested deeper than :data:`MAX_NESTING` 400 (deep nesting overflows the engine's stack). A
  query that crashes a worker anyway gets 500; the server lives on and starts a new worker.
* Workers are shared fairly between clients (round robin per client address, each client at
  most ``per_client`` workers, a bounded queue and queue wait, 503 with ``Retry-After`` beyond),
  and requests waiting for one use their own threads: a flood of slow queries from one client
  neither starves other clients nor blocks the explorer pages. See docs/SECURITY-service.md.

Safety of the pages: autoescaped templates, a Content-Security-Policy without inline script,
``nosniff``, links from the data only when they are http(s) URLs, and no IRI is ever fetched.

Example:
    >>> app = create_app("out/")                        # doctest: +SKIP
    >>> serve("out/", host="127.0.0.1", port=8000)      # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import json
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, KGError, NotFoundError, QueryError
from .normalize import norm_key, strip_legal_suffix
from .mapping import SPARQL_PREFIXES

WEB = Path(__file__).resolve().parent / "web"
WORKER_SCRIPT = WEB / "sparql_worker.py"
VENDOR_GRAPH_JS = WEB / "static" / "vendor" / "cytoscape.min.js"
KG_NS = "https://w3id.org/kg-news/ontology#"
CORE_KINDS = ("Company", "Product", "Site")

DEFAULT_TIMEOUT = 10.0
DEFAULT_ROW_LIMIT = 10_000
DEFAULT_MAX_QUERY_BYTES = 1_000_000
DEFAULT_MAX_QUEUED = 16
QUERY_THREADS = 128  # threads that may wait for or talk to SPARQL workers at once
MAX_NESTING = 64

RESULT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples", "jsonld": "application/ld+json"}
_FORMAT_ALIASES = {
    "json": ("json", "jsonld"), "application/json": ("json", "jsonld"), "srj": ("json", None),
    "application/sparql-results+json": ("json", None), "xml": ("xml", None), "srx": ("xml", None),
    "application/sparql-results+xml": ("xml", None), "application/xml": ("xml", None), "text/xml": ("xml", None),
    "csv": ("csv", None), "text/csv": ("csv", None), "tsv": ("tsv", None),
    "text/tab-separated-values": ("tsv", None), "turtle": (None, "turtle"), "ttl": (None, "turtle"),
    "text/turtle": (None, "turtle"), "application/x-turtle": (None, "turtle"), "ntriples": (None, "ntriples"),
    "nt": (None, "ntriples"), "n-triples": (None, "ntriples"), "application/n-triples": (None, "ntriples"),
    "text/plain": (None, "ntriples"), "jsonld": (None, "jsonld"), "json-ld": (None, "jsonld"),
    "application/ld+json": (None, "jsonld"),
}


class Refused(KGError):
    """A request the endpoint will not run; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- lexical checks -----------------------------------------------------------------------------

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w.:%-]|\\.)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


def keywords(sparql: str) -> list[str]:
    """The bare words of a SPARQL text (keywords, function names), upper-cased, in order.

    Codepoint escapes are decoded first, as the SPARQL grammar requires; strings, IRIs,
    prefixed names, variables and comments are skipped.

    >>> keywords('SELECT * { ?s ?p "SERVICE" } # SERVICE')
    ['SELECT']
    """
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    return [m.group("word").upper() for m in _TOKEN.finditer(text) if m.lastgroup == "word"]


def nesting(sparql: str) -> int:
    """How deeply a SPARQL text nests: brackets ``{ ( [`` (outside strings, IRIs and comments)
    plus the longest run of ``!`` (each one is a level of the expression tree too).

    >>> nesting('SELECT * { ?s ?p ?o FILTER((!!BOUND(?o))) }')
    5
    """
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
    depth = deepest = bangs = 0
    for m in _TOKEN.finditer(text):
        char = m.group("other") if m.lastgroup == "other" else None
        if char is None:
            bangs = 0
            continue
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        if char == "!":
            bangs += 1
        elif not char.isspace():
            bangs = 0
        deepest = max(deepest, depth + bangs)
    return deepest


def check_query(sparql: str) -> None:
    """Raise :class:`Refused` for an update or a SERVICE clause (403) or a query nested deeper
    than :data:`MAX_NESTING` (400, it could overflow the engine's stack); otherwise return.

    >>> check_query("SELECT * { ?s ?p 'SERVICE' }")
    >>> check_query("SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    kg.serve.Refused: SERVICE (federated query) is disabled on this endpoint; query the local graph only
    """
    words = keywords(sparql)
    body = [w for w in words if w not in {"BASE", "PREFIX"}]
    if body and body[0] in _UPDATE_WORDS:
        raise Refused(403, f"this endpoint is read-only: SPARQL updates ({body[0]}) are refused")
    if "SERVICE" in words:
        raise Refused(403, "SERVICE (federated query) is disabled on this endpoint; query the local graph only")
    depth = nesting(sparql)
    if depth > MAX_NESTING:
        raise Refused(400, f"the query nests {depth} levels deep (brackets and negations); this endpoint "
                           f"accepts at most {MAX_NESTING}: flatten it")


# -- the worker pool ----------------------------------------------------------------------------

@dataclass(eq=False)
class _Worker:
    proc: subprocess.Popen
    fd: int

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a killed process always ends
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


_PENDING = object()


@dataclass(eq=False)
class _Ticket:
    """A request waiting for a worker; ``slot`` is set (to a worker or None) when one is granted."""

    client: str
    slot: Any = _PENDING


class QueryPool:
    """Run SPARQL queries in worker processes with a deadline each (see the module docstring).

    ``source`` is a build folder or graph file path, or N-Quads bytes. Workers start on first use.

    Workers are handed out fairly: each client (its address) has its own queue, served round
    robin, and may hold at most ``per_client`` workers at once (default: all but one, so one
    client flooding the endpoint with slow queries cannot take every worker). A request waits at
    most ``queue_timeout`` seconds for a worker (503 after), and a client may have at most
    ``max_queued`` requests waiting or running (503 at once beyond).

    Example:
        >>> pool = QueryPool(Path("out"), timeout=5)                # doctest: +SKIP
        >>> pool.run({"query": "ASK { ?s ?p ?o }"})["body"]        # doctest: +SKIP
        b'{"head":{},"boolean":true}'
    """

    def __init__(self, source: Path | bytes, *, workers: int = 2, timeout: float = DEFAULT_TIMEOUT,
                 row_limit: int = DEFAULT_ROW_LIMIT, prefixes: dict[str, str] | None = None,
                 startup_timeout: float = 120.0, per_client: int | None = None,
                 queue_timeout: float | None = None, max_queued: int = DEFAULT_MAX_QUEUED) -> None:
        self.timeout = float(timeout)
        self.row_limit = int(row_limit)
        self.startup_timeout = startup_timeout
        self.workers = max(1, int(workers))
        self.per_client = max(1, int(per_client) if per_client else self.workers - 1)
        self.queue_timeout = float(queue_timeout if queue_timeout is not None else timeout)
        self.max_queued = max(1, int(max_queued))
        self._init: dict[str, Any] = {"prefixes": prefixes or {}}
        if isinstance(source, (bytes, bytearray)):
            self._init["nquads"] = bytes(source)
        elif (Path(source) / "store").is_dir():
            self._init["store"] = str(Path(source) / "store")
        elif Path(source).is_dir():
            self._init["file"] = str(Path(source) / "graph.trig")
        else:
            self._init["file"] = str(source)
        self._free: list[_Worker | None] = [None] * self.workers  # None: a slot whose worker is not started
        self._waiting: dict[str, deque[_Ticket]] = {}  # insertion order = round-robin order
        self._running: dict[str, int] = defaultdict(int)
        self._queued: dict[str, int] = defaultdict(int)  # waiting + running, per client
        self._cond = threading.Condition()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    # scheduling
    def _dispatch(self) -> None:
        """Hand free slots to waiting tickets, round robin over clients (call with the lock held)."""
        granted = False
        while self._free and self._waiting:
            for client in list(self._waiting):
                if self._running[client] < self.per_client:
                    break
            else:
                break  # every waiting client already holds its share
            tickets = self._waiting.pop(client)
            ticket = tickets.popleft()
            if tickets:
                self._waiting[client] = tickets  # re-inserted last: the next client goes first
            ticket.slot = self._free.pop()
            self._running[client] += 1
            granted = True
        if granted:
            self._cond.notify_all()

    def _acquire(self, client: str) -> _Worker | None:
        with self._cond:
            if self._closed:
                raise Refused(503, "the SPARQL endpoint is shutting down")
            if self._queued[client] >= self.max_queued:
                raise Refused(503, f"you have {self._queued[client]} queries waiting or running, the most this "
                                   f"endpoint allows per client; wait for their answers before sending more")
            ticket = _Ticket(client)
            self._queued[client] += 1
            self._waiting.setdefault(client, deque()).append(ticket)
            self._dispatch()
            end = time.monotonic() + self.queue_timeout
            while ticket.slot is _PENDING:
                left = end - time.monotonic()
                if left <= 0 or self._closed:
                    tickets = self._waiting.get(client)
                    if tickets is not None and ticket in tickets:
                        tickets.remove(ticket)
                        if not tickets:
                            del self._waiting[client]
                    self._forget(client)
                    raise Refused(503, f"all query workers are busy (waited {self.queue_timeout:g} s); "
                                       f"try again in a few seconds")
                self._cond.wait(left)
            return ticket.slot

    def _forget(self, client: str) -> None:
        self._queued[client] -= 1
        if self._queued[client] <= 0:
            del self._queued[client]
            self._running.pop(client, None)

    def _release(self, client: str, worker: _Worker | None) -> None:
        with self._cond:
            self._free.append(worker)
            self._running[client] -= 1
            self._forget(client)
            self._dispatch()

    # workers

    def _start(self) -> _Worker:
        proc = subprocess.Popen([sys.executable, str(WORKER_SCRIPT)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=None, close_fds=True)
        worker = _Worker(proc, proc.stdout.fileno())
        with self._lock:
            self._all.add(worker)
        try:
            self._send(worker, {"init": self._init})
            reply = self._receive(worker, time.monotonic() + self.startup_timeout)
        except (OSError, TimeoutError) as exc:
            self._discard(worker)
            raise QueryError(f"the SPARQL worker did not start: {exc}") from None
        if not reply.get("ok"):
            self._discard(worker)
            raise QueryError(reply.get("message", "the SPARQL worker did not start"))
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    @staticmethod
    def _send(worker: _Worker, obj: dict) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        worker.proc.stdin.write(struct.pack(">I", len(data)) + data)
        worker.proc.stdin.flush()

    @staticmethod
    def _read_exact(fd: int, size: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("deadline passed")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError("deadline passed")
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise OSError("the SPARQL worker exited")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, worker: _Worker, deadline: float) -> dict:
        (size,) = struct.unpack(">I", self._read_exact(worker.fd, 4, deadline))
        return pickle.loads(self._read_exact(worker.fd, size, deadline))

    def run(self, request: dict, client: str = "") -> dict:
        """Run one request (see ``kg/web/sparql_worker.py``) for ``client`` (an address); blocks up
        to the queue timeout plus the query timeout.

        Returns the worker's reply; raises :class:`Refused` (503) when the query passed its
        deadline or no worker was free in time, (500) when the worker crashed.
        """
        worker = self._acquire(client)
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._discard(worker)
                worker = None
                worker = self._start()
            deadline = time.monotonic() + self.timeout  # starting a worker is not the query's time
            self._send(worker, {"row_limit": self.row_limit, **request})
            reply = self._receive(worker, deadline)
        except TimeoutError:
            self._discard(worker)
            worker = None
            raise Refused(503, f"query stopped: it ran longer than this endpoint's time limit of "
                               f"{self.timeout:g} s; add LIMIT or more selective patterns") from None
        except OSError:
            if worker is not None:
                self._discard(worker)
            worker = None
            # a query the engine cannot handle (e.g. nested too deeply for its stack) kills the worker
            raise Refused(500, "the SPARQL worker crashed while running this query (very deeply nested or "
                               "very long queries can do that); simplify the query. A new worker is started "
                               "for the next one") from None
        finally:
            self._release(client, worker)
        return reply

    def close(self) -> None:
        """Stop all workers."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


# -- content negotiation ------------------------------------------------------------------------

def negotiate(accept: str | None, fmt: str | None) -> tuple[str, str]:
    """The (results format, graph format) for an ``Accept`` header or a ``format`` parameter.

    >>> negotiate("text/csv", None)
    ('csv', 'turtle')
    >>> negotiate(None, "nt")
    ('json', 'ntriples')
    """
    if fmt:
        key = fmt.strip().lower()
        if key not in _FORMAT_ALIASES:
            known = ", ".join(sorted(k for k in _FORMAT_ALIASES if "/" not in k))
            raise Refused(400, f"unknown format {fmt!r}; use one of {known} or a media type")
        res, gra = _FORMAT_ALIASES[key]
        return res or "json", gra or "turtle"
    ranked = []
    for i, part in enumerate((accept or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in pieces[1:]:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if pieces[0] and q > 0:
            ranked.append((-q, i, pieces[0].lower()))
    results = graphs = None
    for _, _, media in sorted(ranked):
        res, gra = _FORMAT_ALIASES.get(media, (None, None))
        results = results or res
        graphs = graphs or gra
    return results or "json", graphs or "turtle"


# -- names: suggestions and reconciliation ------------------------------------------------------

_NAMES_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
SELECT ?e ?kind ?name (LANG(?name) AS ?lang) ?preferred WHERE {
  ?e a ?kind . VALUES ?kind { kg:Company kg:Product kg:Site }
  { ?e rdfs:label ?name BIND(true AS ?preferred) } UNION { ?e skos:altLabel ?name BIND(false AS ?preferred) }
}
"""


@dataclass
class Candidate:
    """A reconciliation or suggestion candidate."""

    iri: str
    name: str
    kind: str
    score: float
    match: bool = False
    aliases: list[str] = field(default_factory=list)


class NameIndex:
    """Every name and alias of the graph's entities, normalised, for prefix and fuzzy search.

    Example:
        >>> index = NameIndex.from_graph(graph)          # doctest: +SKIP
        >>> index.reconcile("Cambricon")[0].name          # doctest: +SKIP
        '寒武纪'
    """

    def __init__(self, rows: list[tuple[str, str, str, str, bool]]) -> None:
        self.by_key: dict[str, set[str]] = defaultdict(set)
        self.kind: dict[str, str] = {}
        self.names: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
        for iri, kind, name, lang, preferred in rows:
            self.kind[iri] = kind
            self.names[iri].append((name, lang, preferred))
            for key in {norm_key(name), norm_key(strip_legal_suffix(name))}:
                if key:
                    self.by_key[key].add(iri)
        self.keys = sorted(self.by_key)
        self.grams: dict[str, set[str]] = defaultdict(set)
        for key in self.keys:
            for gram in _grams(key):
                self.grams[gram].add(key)

    @classmethod
    def from_graph(cls, graph) -> "NameIndex":
        rows = graph.query(_NAMES_QUERY)
        return cls([(r["e"], r["kind"].rsplit("#", 1)[-1], r["name"], r["lang"] or "", bool(r["preferred"]))
                    for r in rows])

    def label(self, iri: str) -> str:
        """The display label: Chinese label first, then any label, then an alias."""
        names = self.names.get(iri, [])
        for want in (lambda n: n[2] and n[1] == "zh", lambda n: n[2] and n[1] in ("", "en"), lambda n: n[2], lambda n: True):
            hits = sorted(n[0] for n in names if want(n))
            if hits:
                return hits[0]
        return iri.rsplit("/", 1)[-1]

    def aliases(self, iri: str) -> list[str]:
        label = self.label(iri)
        return sorted({n[0] for n in self.names.get(iri, []) if n[0] != label})

    def _candidate(self, iri: str, score: float, match: bool = False) -> Candidate:
        return Candidate(iri, self.label(iri), self.kind[iri], round(score, 1), match, self.aliases(iri))

    def suggest(self, prefix: str, *, kind: str | None = None, limit: int = 10) -> list[Candidate]:
        """Entities whose name or alias starts with (then contains) ``prefix``."""
        key = norm_key(prefix)
        if not key:
            return []
        scored: dict[str, float] = {}
        start = bisect.bisect_left(self.keys, key)
        for k in self.keys[start:start + 500]:
            if not k.startswith(key):
                break
            for iri in self.by_key[k]:
                scored[iri] = max(scored.get(iri, 0), 100.0 if k == key else 90.0 - min(len(k) - len(key), 40))
        if len(scored) < limit:
            for k in self._near(key, 300):
                if key in k:
                    for iri in self.by_key[k]:
                        scored.setdefault(iri, 40.0 - min(len(k) - len(key), 30))
        hits = [(s, self.label(i), i) for i, s in scored.items() if kind is None or self.kind[i] == kind]
        return [self._candidate(i, s) for s, _, i in sorted(hits, key=lambda h: (-h[0], h[1], h[2]))[:limit]]

    def _near(self, key: str, n: int) -> list[str]:
        counts: dict[str, int] = defaultdict(int)
        for gram in _grams(key):
            for k in self.grams.get(gram, ()):
                counts[k] += 1
        return sorted(counts, key=lambda k: (-counts[k], len(k), k))[:n]

    def reconcile(self, query: str, *, kind: str | None = None, limit: int = 5) -> list[Candidate]:
        """Scored candidates for ``query``: 100 and ``match`` only for an exact normalised name or
        alias (and only when one entity has it); fuzzy matches score below 100."""
        key, bare = norm_key(query), norm_key(strip_legal_suffix(query))
        if not key:
            return []
        ok = (lambda iri: kind is None or self.kind[iri] == kind)
        exact = {i for k in {key, bare} for i in self.by_key.get(k, ()) if ok(i)}
        scored = {i: 100.0 for i in exact}
        for k in self._near(bare or key, 300):
            ratio = difflib.SequenceMatcher(None, bare or key, k).ratio()
            short, long_ = sorted((len(bare or key), len(k)))
            if (bare or key) in k or k in (bare or key):
                ratio = max(ratio, 0.5 + 0.4 * short / max(long_, 1))
            score = min(95.0, 100 * ratio)
            if score < 40:
                continue
            for iri in self.by_key[k]:
                if ok(iri) and iri not in exact:
                    scored[iri] = max(scored.get(iri, 0), score)
        unique = len(exact) == 1
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1], self.label(kv[0]), kv[0]))[:limit]
        return [self._candidate(i, s, match=unique and i in exact) for i, s in ranked]


def _grams(key: str) -> set[str]:
    return {key[i:i + 2] for i in range(len(key) - 1)} or {key}


# -- the explorer's queries ---------------------------------------------------------------------

_PREFIXES = SPARQL_PREFIXES  # one list of prefixes: kg.mapping.PREFIXES
Q_RESOURCE = _PREFIXES + "SELECT ?s ?p ?o (LANG(?o) AS ?lang) (isIRI(?o) AS ?iri) WHERE { ?s ?p ?o } ORDER BY ?p ?o LIMIT 500"
Q_RELATIONS = _PREFIXES + """SELECT ?e ?dir ?p ?other (COUNT(DISTINCT ?doc) AS ?docs) WHERE {
  { ?e ?p ?other BIND("out" AS ?dir) } UNION { ?other ?p ?e BIND("in" AS ?dir) }
  ?other a ?kind . VALUES ?kind { kg:Company kg:Product kg:Site }
  FILTER(STRSTARTS(STR(?p), STR(kg:)) && ?p != kg:hasFigure)
  OPTIONAL { { ?ev rdf:subject ?e ; rdf:predicate ?p ; rdf:object ?other }
             UNION { ?ev rdf:subject ?other ; rdf:predicate ?p ; rdf:object ?e }
             ?ev prov:wasDerivedFrom ?doc }
} GROUP BY ?e ?dir ?p ?other ORDER BY ?dir ?p DESC(?docs) LIMIT 500"""
Q_FIGURES = _PREFIXES + """SELECT ?e ?f ?kind ?value ?unit ?period ?surface ?doc WHERE {
  ?e kg:hasFigure ?f .
  OPTIONAL { ?f kg:figureKind ?kind } OPTIONAL { ?f schema:value ?value } OPTIONAL { ?f schema:unitText ?unit }
  OPTIONAL { ?f kg:period ?period } OPTIONAL { ?f kg:surface ?surface }
  OPTIONAL { ?ev rdf:subject ?e ; rdf:predicate kg:hasFigure ; rdf:object ?f ; prov:wasDerivedFrom ?doc }
} ORDER BY ?kind ?period LIMIT 200"""
Q_EVIDENCE = _PREFIXES + """SELECT ?e ?s ?p ?o ?sentence ?doc ?title ?date ?rule WHERE {
  { ?ev rdf:subject ?e } UNION { ?ev rdf:object ?e }
  ?ev rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?doc ; kg:sentence ?sentence .
  OPTIONAL { ?ev kg:rule ?rule }
  OPTIONAL { ?doc schema:headline ?title } OPTIONAL { ?doc schema:datePublished ?date }
} ORDER BY DESC(?date) ?doc ?sentence LIMIT 300"""
Q_MENTIONED_IN = _PREFIXES + """SELECT ?e ?doc ?title ?date WHERE {
  ?doc schema:mentions ?e . OPTIONAL { ?doc schema:headline ?title } OPTIONAL { ?doc schema:datePublished ?date }
} ORDER BY DESC(?date) ?doc LIMIT 100"""
Q_DOC_MENTIONS = _PREFIXES + """SELECT ?d ?ent ?surface WHERE {
  ?d schema:mentions ?ent .
  OPTIONAL { ?ev rdf:subject ?d ; rdf:predicate schema:mentions ; rdf:object ?ent ; kg:surface ?surface }
}"""
Q_CO_MENTIONS = _PREFIXES + """SELECT ?e ?doc ?other WHERE {
  ?doc schema:mentions ?e , ?other . FILTER(?other != ?e)
} LIMIT 2000"""
Q_TOP = _PREFIXES + """SELECT ?e ?kind (COUNT(DISTINCT ?d) AS ?n) WHERE {
  ?e a ?kind . VALUES ?kind { kg:Company kg:Product kg:Site } OPTIONAL { ?d schema:mentions ?e }
} GROUP BY ?e ?kind ORDER BY DESC(?n) ?e LIMIT 90"""
Q_DOCS = _PREFIXES + """SELECT ?d ?title ?date WHERE {
  ?d a kg:NewsArticle . OPTIONAL { ?d schema:headline ?title } OPTIONAL { ?d schema:datePublished ?date }
} ORDER BY DESC(?date) ?d LIMIT 30"""
Q_COUNTS = _PREFIXES + """SELECT ?kind (COUNT(DISTINCT ?e) AS ?n) WHERE {
  { ?e a ?kind . VALUES ?kind { kg:Company kg:Product kg:Site kg:NewsArticle } }
} GROUP BY ?kind"""


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", iri)[-1] or iri


def _iri(value: str):
    import pyoxigraph as ox

    return ox.NamedNode(value)


class Explorer:
    """The data behind the explorer pages: plain dicts built with SPARQL on the main store."""

    def __init__(self, graph) -> None:
        from .iri import base_iri

        self.graph = graph
        self.base = base_iri()
        self._names: NameIndex | None = None
        self._lock = threading.Lock()

    @property
    def names(self) -> NameIndex:
        with self._lock:
            if self._names is None:
                self._names = NameIndex.from_graph(self.graph)
            return self._names

    def q(self, sparql: str, **params) -> list[dict]:
        return self.graph.query(sparql, {k: _iri(v) for k, v in params.items()})

    def link(self, iri: str) -> str:
        """The explorer URL of an IRI: ``/id/…`` for ours, ``/resource?iri=…`` for others."""
        if iri.startswith(self.base) and "#" not in iri:
            return "/id/" + urllib.parse.quote(iri[len(self.base):], safe="/")
        return "/resource?iri=" + urllib.parse.quote(iri, safe="")

    def types(self, iri: str) -> list[str]:
        rows = self.q(_PREFIXES + "SELECT DISTINCT ?s ?t WHERE { ?s a ?t } ORDER BY ?t", s=iri)
        return [r["t"] for r in rows]

    def entity(self, iri: str) -> dict:
        names = self.names
        if iri not in names.kind:
            raise NotFoundError(f"no entity <{iri}> in this graph")
        rows = self.q(Q_RESOURCE, s=iri)
        props = defaultdict(list)
        for r in rows:
            props[local_name(r["p"])].append((r["o"], r["lang"]))
        relations = {"out": [], "in": []}
        for r in self.q(Q_RELATIONS, e=iri):
            relations[r["dir"]].append({"predicate": local_name(r["p"]), "iri": r["other"],
                                        "label": names.label(r["other"]), "kind": names.kind.get(r["other"], ""),
                                        "docs": r["docs"]})
        figures = self.q(Q_FIGURES, e=iri)
        evidence = [dict(r, predicate=local_name(r["p"]), subject_label=names.label(r["s"]) if r["s"] in names.kind else None,
                         object_label=names.label(r["o"]) if r["o"] in names.kind else None)
                    for r in self.q(Q_EVIDENCE, e=iri)]
        return {
            "iri": iri, "label": names.label(iri), "kind": names.kind[iri],
            "types": [local_name(t) for t in self.types(iri)],
            "labels": sorted(f"{o}" + (f" @{lang}" if lang else "") for o, lang in props.get("label", [])),
            "aliases": sorted(o for o, _ in props.get("altLabel", [])),
            "same_as": sorted(o for o, _ in props.get("sameAs", []) if web_url(o)),
            "relations": relations, "figures": figures, "evidence": evidence,
            "documents": self.q(Q_MENTIONED_IN, e=iri),
        }

    def document(self, iri: str) -> dict:
        rows = self.q(Q_RESOURCE, s=iri)
        if not rows:
            raise NotFoundError(f"no document <{iri}> in this graph")
        props = defaultdict(list)
        for r in rows:
            props[local_name(r["p"])].append(r["o"])
        text = (props.get("text") or [""])[0]
        names = self.names
        surfaces: dict[str, str] = {}
        entities = {}
        for r in self.q(Q_DOC_MENTIONS, d=iri):
            ent = r["ent"]
            if ent not in names.kind:
                continue
            entities[ent] = {"iri": ent, "label": names.label(ent), "kind": names.kind[ent]}
            for name in [r["surface"], *[n[0] for n in names.names.get(ent, [])]]:
                if name and len(name) > 1 and name not in surfaces:
                    surfaces[name] = ent
        return {
            "iri": iri, "title": (props.get("headline") or [local_name(iri)])[0],
            "date": (props.get("datePublished") or [""])[0], "author": (props.get("author") or [""])[0],
            "url": web_url((props.get("url") or [""])[0]), "source": (props.get("sourcePath") or [""])[0],
            "keywords": sorted(props.get("keywords", [])),
            "segments": highlight(text, surfaces, names.kind),
            "entities": sorted(entities.values(), key=lambda e: (CORE_KINDS.index(e["kind"]), e["label"])),
        }

    def neighbourhood(self, iri: str, *, max_nodes: int = 60) -> dict:
        """Nodes and edges around an entity: its relations, the documents that mention it and
        the entities mentioned with it (for the graph view)."""
        names = self.names
        if iri not in names.kind:
            raise NotFoundError(f"no entity <{iri}> in this graph")
        nodes = {iri: {"id": iri, "label": names.label(iri), "kind": names.kind[iri], "center": True}}
        edges = []

        def add(node_iri: str, label: str, kind: str) -> bool:
            if node_iri not in nodes:
                if len(nodes) >= max_nodes:
                    return False
                nodes[node_iri] = {"id": node_iri, "label": label, "kind": kind}
            return True

        for r in self.q(Q_RELATIONS, e=iri):
            other = r["other"]
            if add(other, names.label(other), names.kind.get(other, "")):
                nodes[other]["related"] = True
                s, o = (iri, other) if r["dir"] == "out" else (other, iri)
                edges.append({"source": s, "target": o, "label": local_name(r["p"]), "relation": True})
        docs = {r["doc"]: r for r in self.q(Q_MENTIONED_IN, e=iri)[:10]}
        for doc, r in docs.items():
            if add(doc, (r.get("title") or local_name(doc))[:24], "Document"):
                edges.append({"source": doc, "target": iri, "label": "mentions", "relation": False})
        for r in self.q(Q_CO_MENTIONS, e=iri):
            if r["doc"] in docs and r["other"] in names.kind and add(r["other"], names.label(r["other"]), names.kind[r["other"]]):
                edges.append({"source": r["doc"], "target": r["other"], "label": "mentions", "relation": False})
        for node in nodes.values():
            node["url"] = self.link(node["id"])
        return {"nodes": list(nodes.values()), "edges": edges}


def highlight(text: str, surfaces: dict[str, str], kinds: dict[str, str]) -> list[dict]:
    """Split ``text`` into segments, marking every occurrence of a surface form (longest first).

    >>> [s["text"] for s in highlight("寒武纪与招商银行", {"招商银行": "x"}, {"x": "Company"})]
    ['寒武纪与', '招商银行']
    """
    taken = [None] * len(text)
    for surface in sorted(surfaces, key=len, reverse=True):
        for m in re.finditer(re.escape(surface), text):
            if all(t is None for t in taken[m.start():m.end()]):
                for i in range(m.start(), m.end()):
                    taken[i] = (m.start(), surfaces[surface])
    segments: list[dict] = []
    i = 0
    while i < len(text):
        mark = taken[i]
        j = i
        while j < len(text) and taken[j] == mark:
            j += 1
        segments.append({"text": text[i:j], "iri": mark[1] if mark else None,
                         "kind": kinds.get(mark[1], "") if mark else ""})
        i = j
    return segments


# -- the app ------------------------------------------------------------------------------------

def _open(graph_or_path):
    from .graph import KnowledgeGraph

    if isinstance(graph_or_path, KnowledgeGraph):
        return graph_or_path
    return KnowledgeGraph.open(graph_or_path)


def _pool_source(graph) -> Path | bytes:
    """Where the workers read the graph from: the build folder when it has one, else N-Quads."""
    import pyoxigraph as ox

    path = getattr(graph, "path", None)
    if path is not None and Path(path).exists() and ((Path(path) / "store").is_dir() or Path(path).is_file()
                                                      or (Path(path) / "graph.trig").exists()):
        return Path(path)
    return graph.store.dump(format=ox.RdfFormat.N_QUADS)


def create_app(graph_or_path, *, timeout: float = DEFAULT_TIMEOUT, row_limit: int = DEFAULT_ROW_LIMIT,
               max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES, workers: int = 2, per_client: int | None = None,
               queue_timeout: float | None = None, max_queued: int = DEFAULT_MAX_QUEUED):
    """The ASGI app serving ``graph_or_path`` (a :class:`KnowledgeGraph`, build folder or graph file).

    ``timeout`` (seconds) and ``row_limit`` bound each SPARQL query; ``max_query_bytes`` bounds
    the query text (413 beyond); ``workers`` query processes run at once; ``per_client``,
    ``queue_timeout`` and ``max_queued`` share them fairly (see :class:`QueryPool`).

    Example:
        >>> from starlette.testclient import TestClient         # doctest: +SKIP
        >>> TestClient(create_app("out/")).get("/sparql", params={"query": "ASK {?s ?p ?o}"}).json()  # doctest: +SKIP
        {'head': {}, 'boolean': True}
    """
    import jinja2
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from .store import prefixes

    graph = _open(graph_or_path)
    pool = QueryPool(_pool_source(graph), workers=workers, timeout=timeout, row_limit=row_limit, prefixes=prefixes(),
                     per_client=per_client, queue_timeout=queue_timeout, max_queued=max_queued)
    explorer = Explorer(graph)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(WEB / "templates")),
                             autoescape=jinja2.select_autoescape(default=True, default_for_string=True))
    env.globals.update(link=explorer.link, local_name=local_name, vendor_ok=VENDOR_GRAPH_JS.exists)
    handlers = _Handlers(graph, pool, explorer, env, max_query_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            pool.close()

    routes = [
        Route("/", handlers.home), Route("/search", handlers.search), Route("/api/suggest", handlers.suggest),
        Route("/api/graph", handlers.graph_json), Route("/graph", handlers.graph_page),
        Route("/id/{rest:path}", handlers.resource_by_path), Route("/resource", handlers.resource_by_iri),
        Route("/queries", handlers.queries), Route("/queries/{name}", handlers.run_named),
        Route("/sparql", handlers.sparql, methods=["GET", "POST"]),
        Route("/reconcile", handlers.reconcile, methods=["GET", "POST"]),
        Route("/reconcile/preview", handlers.reconcile_preview),
        Route("/reconcile/suggest/entity", handlers.reconcile_suggest),
        Route("/reconcile/suggest/type", handlers.reconcile_suggest_type),
        Mount("/static", app=StaticFiles(directory=str(WEB / "static")), name="static"),
    ]
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"]),
                  Middleware(_SecurityHeaders)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: handlers.not_found, 500: handlers.server_error})
    app.state.pool = pool
    app.state.graph = graph
    return app


# Pages use only their own scripts and styles (no inline script): a label that slipped past
# escaping still could not run. Frames are allowed, as OpenRefine shows /reconcile/preview in one.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'")


class _SecurityHeaders:
    """ASGI middleware: ``nosniff`` on every response, a Content-Security-Policy on HTML pages."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                if ctype.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, with_headers)


def web_url(value: str) -> str:
    """``value`` when it is an http(s) URL, else ``""``: links from the data never run script.

    >>> web_url("https://www.ithome.com/0/1.htm"), web_url("javascript:alert(1)")
    ('https://www.ithome.com/0/1.htm', '')
    """
    value = (value or "").strip()
    return value if re.match(r"https?://[^\s<>\"']+$", value, re.IGNORECASE) else ""


class _Handlers:
    """The route handlers; sync ones run in Starlette's thread pool."""

    def __init__(self, graph, pool: QueryPool, explorer: Explorer, env, max_query_bytes: int) -> None:
        self.graph, self.pool, self.explorer, self.env = graph, pool, explorer, env
        self.max_query_bytes = max_query_bytes
        self._query_threads = None

    async def _in_query_thread(self, func, *args):
        """Run ``func(*args)`` in a thread of the query handlers' own limiter: requests waiting for a
        SPARQL worker must not use up the thread pool that serves the explorer pages."""
        import anyio

        if self._query_threads is None:
            self._query_threads = anyio.CapacityLimiter(QUERY_THREADS)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._query_threads)

    # helpers
    def render(self, name: str, status: int = 200, **context):
        from starlette.responses import HTMLResponse

        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status,
                            media_type="text/html; charset=utf-8")

    def error_page(self, status: int, message: str):
        return self.render("error.html", status=status, status_code=status, message=message)

    async def not_found(self, request, exc):
        from starlette.responses import PlainTextResponse

        detail = getattr(exc, "detail", "not found")
        if "text/html" in request.headers.get("accept", ""):
            return self.error_page(404, f"{request.url.path}: {detail}")
        return PlainTextResponse(f"{detail}", status_code=404)

    async def server_error(self, request, exc):
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(f"internal error: {type(exc).__name__}", status_code=500)

    # explorer
    def home(self, request):
        counts = {r["kind"].rsplit("#", 1)[-1]: r["n"] for r in self.graph.query(Q_COUNTS)}
        names = self.explorer.names
        top = defaultdict(list)
        for r in self.graph.query(Q_TOP):
            top[r["kind"].rsplit("#", 1)[-1]].append({"iri": r["e"], "label": names.label(r["e"]), "docs": r["n"]})
        return self.render("home.html", counts=counts, top=top, kinds=CORE_KINDS, docs=self.graph.query(Q_DOCS),
                           triples=len(self.graph))

    def search(self, request):
        from starlette.responses import RedirectResponse

        q = request.query_params.get("q", "").strip()
        hits = self.explorer.names.reconcile(q, limit=30) if q else []
        more = [c for c in self.explorer.names.suggest(q, limit=30) if c.iri not in {h.iri for h in hits}] if q else []
        if hits and hits[0].match and request.query_params.get("go", "1") == "1":
            return RedirectResponse(self.explorer.link(hits[0].iri), status_code=303)
        return self.render("search.html", q=q, hits=hits + more)

    def suggest(self, request):
        from starlette.responses import JSONResponse

        q = request.query_params.get("q", "")
        kind = request.query_params.get("type") or None
        hits = self.explorer.names.suggest(q, kind=kind, limit=_int(request.query_params.get("limit"), 10, 50))
        return JSONResponse([{"iri": c.iri, "name": c.name,
                              "kind": c.kind, "aliases": c.aliases, "url": self.explorer.link(c.iri)} for c in hits])

    def _iri_from_path(self, rest: str) -> str:
        return self.explorer.base + rest

    def resource_by_path(self, request):
        return self._resource(self._iri_from_path(request.path_params["rest"]))

    def resource_by_iri(self, request):
        iri = request.query_params.get("iri", "")
        if not iri:
            return self.error_page(400, "give the resource IRI as ?iri=…")
        return self._resource(iri)

    def _resource(self, iri: str):
        try:
            _iri(iri)
        except ValueError:
            return self.error_page(404, f"{iri!r} is not a valid IRI, so nothing in this graph can be about it")
        try:
            if iri in self.explorer.names.kind:
                return self.render("entity.html", e=self.explorer.entity(iri))
            types = self.explorer.types(iri)
            if f"{KG_NS}NewsArticle" in types:
                return self.render("document.html", d=self.explorer.document(iri))
            rows = self.graph.query(Q_RESOURCE, {"s": _iri(iri)})
        except NotFoundError as exc:
            return self.error_page(404, str(exc))
        if not rows:
            return self.error_page(404, f"nothing is known about <{iri}> in this graph")
        return self.render("resource.html", iri=iri, rows=rows, types=[local_name(t) for t in types])

    def graph_page(self, request):
        iri = request.query_params.get("iri", "")
        if iri not in self.explorer.names.kind:
            return self.error_page(404, f"no entity <{iri}> in this graph; search for one on the home page")
        return self.render("graph.html", iri=iri, label=self.explorer.names.label(iri),
                           vendor_ok=VENDOR_GRAPH_JS.exists())

    def graph_json(self, request):
        from starlette.responses import JSONResponse

        try:
            data = self.explorer.neighbourhood(request.query_params.get("iri", ""))
        except NotFoundError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return JSONResponse(data)

    async def queries(self, request):
        return await self._in_query_thread(self._queries, request)

    def _queries(self, request):
        from .queries import list_queries

        sparql = request.query_params.get("sparql", "")
        return self.render("queries.html", queries=list_queries(), sparql=sparql,
                           result=self._run_free(sparql, _client(request)))

    def _run_free(self, sparql: str, client: str = "") -> dict | None:
        if not sparql.strip():
            return None
        try:
            if len(sparql.encode("utf-8")) > self.max_query_bytes:
                raise Refused(413, f"the query is longer than {self.max_query_bytes} bytes")
            check_query(sparql)
            return self._table(self.pool.run({"query": sparql, "results_format": "json", "graph_format": "ntriples"},
                                             client))
        except Refused as exc:
            return {"error": str(exc)}

    @staticmethod
    def _table(reply: dict) -> dict:
        if not reply.get("ok"):
            return {"error": reply.get("message", "query failed")}
        if reply["kind"] == "boolean":
            return {"columns": ["result"], "rows": [[{"value": str(json.loads(reply["body"])["boolean"]).lower()}]],
                    "truncated": False}
        if reply["kind"] == "graph":
            lines = reply["body"].decode("utf-8").splitlines()
            return {"columns": ["triple"], "rows": [[{"value": line}] for line in lines], "truncated": reply["truncated"]}
        data = json.loads(reply["body"])
        columns = data["head"]["vars"]
        rows = [[b.get(c, {"value": ""}) for c in columns] for b in data["results"]["bindings"]]
        return {"columns": columns, "rows": rows, "truncated": reply["truncated"]}

    async def run_named(self, request):
        return await self._in_query_thread(self._run_named, request)

    def _run_named(self, request):
        from .queries import get_query

        try:
            q = get_query(request.path_params["name"])
        except QueryError as exc:
            return self.error_page(404, str(exc))
        if q.path.suffix != ".rq" or q.path.parent.name != "queries":
            return self.error_page(404, "unknown query")
        values = {p: request.query_params.get(p, "") for p in q.parameters}
        result, resolved = None, {}
        if all(values.values()) and (values or request.query_params.get("run")):
            subs = {}
            for name, value in values.items():
                subs[name], resolved[name] = self._bind(q.param(name), value)
            try:
                result = self._table(self.pool.run({"query": q.sparql, "results_format": "json",
                                                    "graph_format": "ntriples", "substitutions": subs},
                                                   _client(request)))
            except Refused as exc:
                result = {"error": str(exc)}
        return self.render("query.html", q=q, values=values, result=result, resolved=resolved)

    def _bind(self, param, value: str) -> tuple[tuple, str | None]:
        """A parameter as a substitution, typed as the query header says (entity names resolved,
        predicates and classes expanded); what cannot be resolved is bound as a plain string."""
        import pyoxigraph as ox

        from .queries import bind_value

        try:
            term = bind_value(self.graph, param, value)
        except (NotFoundError, QueryError):
            term = ox.Literal(value)
        if isinstance(term, ox.NamedNode):
            return ("iri", term.value), term.value
        return ("literal", value, None, None), None

    # SPARQL protocol
    async def _body(self, request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_query_bytes:
            await self._drain(request)
            raise Refused(413, f"the request body is {declared} bytes; this endpoint accepts queries of at most "
                               f"{self.max_query_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_query_bytes:
                await self._drain(request)
                raise Refused(413, f"the request body is longer than {self.max_query_bytes} bytes, "
                                   f"the most this endpoint accepts")
        return bytes(body)

    @staticmethod
    async def _drain(request, cap: int = 64 << 20) -> None:
        # read (and drop) what the client is still sending, so it gets our answer, not a reset
        seen = 0
        try:
            async for chunk in request.stream():
                seen += len(chunk)
                if seen > cap:
                    break
        except Exception:
            pass

    async def sparql(self, request):
        from starlette.responses import PlainTextResponse, Response

        try:
            params: dict[str, list[str]] = defaultdict(list)
            for k, v in request.query_params.multi_items():
                params[k].append(v)
            query = None
            if request.method == "POST":
                ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
                body = await self._body(request)
                if ctype == "application/x-www-form-urlencoded":
                    try:
                        form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
                    except UnicodeDecodeError:
                        raise Refused(400, "the form body is not UTF-8") from None
                    for k, vs in form.items():
                        params[k].extend(vs)
                elif ctype == "application/sparql-query":
                    try:
                        query = body.decode("utf-8")
                    except UnicodeDecodeError:
                        raise Refused(400, "the query is not UTF-8") from None
                elif ctype == "application/sparql-update":
                    raise Refused(403, "this endpoint is read-only: SPARQL updates are refused")
                else:
                    raise Refused(415, f"unsupported content type {ctype or '(none)'}: POST a form "
                                       "(application/x-www-form-urlencoded) or application/sparql-query")
            if "update" in params:
                raise Refused(403, "this endpoint is read-only: SPARQL updates (update=) are refused")
            if query is None:
                queries = params.get("query", [])
                if len(queries) > 1:
                    raise Refused(400, "give exactly one query= parameter")
                if not queries:
                    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                        return self.render("queries.html", queries=_list_queries(), sparql="", result=None)
                    raise Refused(400, "missing query: send ?query=… (GET), a form with query=… or an "
                                       "application/sparql-query body (POST)")
                query = queries[0]
            if len(query.encode("utf-8")) > self.max_query_bytes:
                raise Refused(413, f"the query is longer than {self.max_query_bytes} bytes, the most this endpoint accepts")
            check_query(query)
            results_format, graph_format = negotiate(request.headers.get("accept"), (params.get("format") or [None])[0])
            reply = await self._in_query_thread(self.pool.run, {
                "query": query, "results_format": results_format, "graph_format": graph_format,
                "default_graph": params.get("default-graph-uri", []), "named_graphs": params.get("named-graph-uri", []),
            }, _client(request))
        except Refused as exc:
            return _refusal(exc)
        if not reply.get("ok"):
            return PlainTextResponse(reply.get("message", "query failed"), status_code=reply.get("status", 400))
        if reply["kind"] == "graph":
            media = GRAPH_TYPES[reply["format"]]
        else:
            media = RESULT_TYPES[reply["format"]]
        headers = {"X-KG-Rows": str(reply["rows"]), "X-KG-Truncated": "true" if reply["truncated"] else "false",
                   "Vary": "Accept"}
        return Response(reply["body"], media_type=f"{media}; charset=utf-8", headers=headers)

    # reconciliation
    def _root(self, request) -> str:
        return str(request.base_url).rstrip("/")

    def _id(self, iri: str) -> str:
        base = self.explorer.base
        return iri[len(base):] if iri.startswith(base) else iri

    def _from_id(self, ident: str) -> str:
        return ident if ident.startswith(("http://", "https://")) else self.explorer.base + ident

    def _jsonp(self, request, data):
        from starlette.responses import JSONResponse, Response

        callback = request.query_params.get("callback")
        if callback and re.fullmatch(r"[A-Za-z_$][\w$.]{0,63}", callback):
            body = f"{callback}({json.dumps(data, ensure_ascii=False)})"
            return Response(body, media_type="application/javascript; charset=utf-8")
        return JSONResponse(data)

    def manifest(self, request) -> dict:
        root = self._root(request)
        return {
            "versions": ["0.1", "0.2"],
            "name": "kg: companies, products and sites from Chinese tech news",
            "identifierSpace": self.explorer.base,
            "schemaSpace": KG_NS,
            "defaultTypes": [{"id": k, "name": k} for k in CORE_KINDS],
            "view": {"url": root + "/id/{{id}}"},
            "preview": {"url": root + "/reconcile/preview?id={{id}}", "width": 430, "height": 300},
            "suggest": {
                "entity": {"service_url": root, "service_path": "/reconcile/suggest/entity"},
                "type": {"service_url": root, "service_path": "/reconcile/suggest/type"},
            },
        }

    async def reconcile(self, request):
        from starlette.concurrency import run_in_threadpool

        raw = request.query_params.get("queries")
        if raw is None and request.method == "POST":
            try:
                body = await self._body(request)
            except Refused as exc:
                from starlette.responses import PlainTextResponse

                return PlainTextResponse(str(exc), status_code=exc.status)
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            raw = (form.get("queries") or [None])[0]
        if raw is None:
            return self._jsonp(request, self.manifest(request))
        try:
            batch = json.loads(raw)
            if not isinstance(batch, dict):
                raise ValueError("expected an object {\"q0\": {\"query\": …}, …}")
        except ValueError as exc:
            from starlette.responses import JSONResponse

            return JSONResponse({"error": f"queries= is not a JSON object of queries: {exc}"}, status_code=400)
        return self._jsonp(request, await run_in_threadpool(self._reconcile_batch, batch))

    def _reconcile_batch(self, batch: dict) -> dict:
        out = {}
        for key, spec in batch.items():
            if isinstance(spec, str):
                spec = {"query": spec}
            kind = spec.get("type")
            if isinstance(kind, list):
                kind = kind[0] if kind else None
            if isinstance(kind, dict):
                kind = kind.get("id")
            if kind:
                kind = local_name(str(kind))
                kind = kind if kind in CORE_KINDS else "__none__"
            limit = _int(spec.get("limit"), 5, 100)
            hits = self.explorer.names.reconcile(str(spec.get("query", "")), kind=kind, limit=limit)
            out[key] = {"result": [{"id": self._id(c.iri), "name": c.name, "type": [{"id": c.kind, "name": c.kind}],
                                    "score": c.score, "match": c.match} for c in hits]}
        return out

    def reconcile_preview(self, request):
        iri = self._from_id(request.query_params.get("id", ""))
        names = self.explorer.names
        if iri not in names.kind:
            return self.error_page(404, f"no entity {request.query_params.get('id', '')!r}")
        docs = self.explorer.q(Q_MENTIONED_IN, e=iri)
        return self.render("preview.html", iri=iri, label=names.label(iri), kind=names.kind[iri],
                           aliases=names.aliases(iri), docs=docs[:3], total=len(docs))

    def reconcile_suggest(self, request):
        prefix = request.query_params.get("prefix", "")
        hits = self.explorer.names.suggest(prefix, limit=_int(request.query_params.get("limit"), 10, 50))
        return self._jsonp(request, {"result": [
            {"id": self._id(c.iri), "name": c.name, "description": ", ".join(c.aliases[:3]),
             "notable": [{"id": c.kind, "name": c.kind}]} for c in hits]})

    def reconcile_suggest_type(self, request):
        prefix = request.query_params.get("prefix", "").lower()
        return self._jsonp(request, {"result": [{"id": k, "name": k} for k in CORE_KINDS if k.lower().startswith(prefix)]})


def _client(request) -> str:
    """The key fair scheduling uses for a client: its address (a proxy in front makes it one client)."""
    return request.client.host if request.client else ""


def _refusal(exc: Refused):
    from starlette.responses import PlainTextResponse

    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return PlainTextResponse(str(exc), status_code=exc.status, headers=headers)


def _list_queries():
    from .queries import list_queries

    return list_queries()


def _int(value, default: int, most: int) -> int:
    try:
        return max(1, min(int(value), most))
    except (TypeError, ValueError):
        return default


@contextlib.contextmanager
def background(app, host: str = "127.0.0.1", port: int = 0, *, start_timeout: float = 30.0):
    """Run ``app`` with uvicorn in a background thread; yield its base URL, stop it on exit.

    ``port=0`` picks a free port. For tests and notebooks.

    Example:
        >>> with background(create_app("out/")) as url:      # doctest: +SKIP
        ...     print(url)
        http://127.0.0.1:40123
    """
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise KGError(f"the server did not start on {host}:{sock.getsockname()[1]}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def serve(path, host: str = "127.0.0.1", port: int = 8000, *, timeout: float = DEFAULT_TIMEOUT,
          row_limit: int = DEFAULT_ROW_LIMIT, max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES, workers: int = 2,
          log_level: str = "info", per_client: int | None = None, queue_timeout: float | None = None,
          max_queued: int = DEFAULT_MAX_QUEUED) -> None:
    """Serve the graph in ``path`` with uvicorn until interrupted.

    Example:
        >>> serve("out/", host="127.0.0.1", port=8000)   # doctest: +SKIP
    """
    import uvicorn

    if not Path(path).exists():
        raise InputError(f"{path} does not exist: build a graph first with `kg build --out {path}`")
    app = create_app(path, timeout=timeout, row_limit=row_limit, max_query_bytes=max_query_bytes, workers=workers,
                     per_client=per_client, queue_timeout=queue_timeout, max_queued=max_queued)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__ = ["background", "Candidate", "NameIndex", "QueryPool", "Refused", "check_query", "create_app", "highlight",
           "keywords", "negotiate", "serve"]
