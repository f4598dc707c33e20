"""``kg serve`` under load and under attack: many clients, hostile queries, traversal and XSS.

Well-behaved requests must keep getting correct, fast answers while hostile ones are stopped
by the time limit, the nesting limit or a worker crash (never the server). Clients that must
count as different clients connect from different loopback addresses (127.0.0.2, 127.0.0.3):
the endpoint shares its workers fairly per client address.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.graph import KnowledgeGraph
from kg.queries import bind_params, list_queries
from kg.serve import QueryPool, Refused, background, create_app, nesting

ID = "https://w3id.org/kg-news/id/"
KGO = "https://w3id.org/kg-news/ontology#"
CAMBRICON = ID + "company/cambricon"
LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
SELECT ?e ?label WHERE { ?e a kg:Company ; rdfs:label ?label } ORDER BY ?e ?label"""
CARTESIAN = """SELECT (COUNT(*) AS ?n) WHERE {
  ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 . ?e ?p5 ?o5
  FILTER(STR(?o1) = CONCAT(STR(?o5), "never"))
}"""
TIMEOUT = 3.0
GOOD_LATENCY = 1.5  # seconds: the bound on a well-behaved query while the endpoint is attacked


@pytest.fixture(scope="module")
def app_url(seed_build):
    graph, out = seed_build
    app = create_app(out, timeout=TIMEOUT, row_limit=1000, workers=2)
    with background(app) as url:
        yield graph, url, app


@pytest.fixture
def served(app_url):
    return app_url[:2]


def client(url: str, address: str = "127.0.0.1", timeout: float = 60) -> httpx.Client:
    """An HTTP client connecting from ``address`` (any 127.x.y.z is loopback on Linux)."""
    return httpx.Client(base_url=url, timeout=timeout, transport=httpx.HTTPTransport(local_address=address))


def sparql_rows(resp: httpx.Response) -> list[dict]:
    assert resp.status_code == 200, resp.text[:300]
    return json.loads(resp.text)["results"]["bindings"]


def library_requests(graph) -> list[tuple[str, str, dict, int]]:
    """Each library query with its example parameters, as (name, SPARQL text, page params, rows).

    Parameters are appended as a trailing VALUES clause (the SPARQL protocol has no parameters);
    the expected row count is what the library itself answers for the same text.
    """
    out = []
    for q in list_queries():
        params = dict(re.findall(r"--param (\w+)=(\S+)", q.example))
        terms = bind_params(graph, q, params)
        names = sorted(terms)
        values = f"\nVALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(str(terms[n]) for n in names)}) }}"
        text = q.sparql + values
        out.append((q.name, text, params, len(graph.query(text))))
    return out


# -- the fair scheduler (no server) ---------------------------------------------------------------

def test_service_load_pool_shares_workers_fairly():
    """A client holding its share waits; another client is served at once; the queue is bounded."""
    pool = QueryPool(b"", workers=2, per_client=1, queue_timeout=0.3, max_queued=3)
    first = pool._acquire("a")  # a holds one worker (its share)
    got: dict = {}
    waiter = threading.Thread(target=lambda: got.setdefault("a2", pool._acquire("a")))
    waiter.start()
    time.sleep(0.1)
    assert "a2" not in got  # a's second query waits although a worker is free ...
    pool._acquire("b")  # ... that b gets at once
    pool._release("a", first)
    waiter.join(2)
    assert "a2" in got  # a's freed worker goes to a's waiting query
    t0 = time.monotonic()
    with pytest.raises(Refused) as info:  # both workers taken: c waits queue_timeout, then 503
        pool._acquire("c")
    assert info.value.status == 503 and "busy" in str(info.value) and time.monotonic() - t0 >= 0.3
    refused: list[Refused] = []

    def wait_in_vain() -> None:
        try:
            pool._acquire("a")
        except Refused as exc:
            refused.append(exc)

    waiters = [threading.Thread(target=wait_in_vain) for _ in range(2)]
    for t in waiters:
        t.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    with pytest.raises(Refused) as info:  # a has 3 waiting or running, the most allowed: refused at once
        pool._acquire("a")
    assert info.value.status == 503 and "3 queries waiting or running" in str(info.value)
    assert time.monotonic() - t0 < 0.1
    for t in waiters:
        t.join(2)
    assert [r.status for r in refused] == [503, 503]
    assert dict(pool._queued) == {"a": 1, "b": 1} and not pool._waiting  # the waiters left no trace
    pool.close()


@pytest.mark.parametrize("query, depth", [
    ("SELECT * { ?s ?p ?o }", 1),
    ("SELECT * { { ?s ?p ?o } UNION { ?s ?p ?o } }", 2),
    ('SELECT * { ?s ?p "{{{{(((" FILTER(!!!BOUND(?o)) }', 5),
    ("SELECT * " + "{" * 500 + "}" * 500, 500),
])
def test_service_load_nesting(query, depth):
    assert nesting(query) == depth


# -- load -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_service_load_mixed_clients(served):
    """8 concurrent clients for at most 60 s / 5,000 requests: every answer 2xx and right, p99 < 2 s."""
    graph, url = served
    library = library_requests(graph)
    assert all(rows > 0 for name, _, _, rows in library if name in {"entity_card", "customers_of", "figures_of"})
    names = {r["e"]: r["name"] for r in graph.query(
        "SELECT ?e ?name WHERE { ?e a <https://w3id.org/kg-news/ontology#Company> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(LANG(?name) = 'zh') }")}
    assert names[CAMBRICON] == "寒武纪"

    def request(c: httpx.Client, i: int) -> None:
        kind = i % 8
        name, text, params, rows = library[i % len(library)]
        if kind == 0:
            assert len(sparql_rows(c.get("/sparql", params={"query": text}))) == rows, name
        elif kind == 1:
            resp = c.post("/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query"})
            assert len(sparql_rows(resp)) == rows, name
        elif kind == 2:
            resp = c.post("/sparql", data={"query": text}, headers={"Accept": "text/csv"})
            assert resp.status_code == 200 and len(resp.text.splitlines()) == rows + 1, name
        elif kind == 3:
            resp = c.get(f"/queries/{name}", params={**params, "run": "1"})
            assert resp.status_code == 200 and 'id="query-error"' not in resp.text, (name, resp.text[-500:])
        elif kind == 4:
            resp = c.get("/id/company/cambricon")
            assert resp.status_code == 200 and "寒武纪" in resp.text and "MLU370" in resp.text
        elif kind == 5:
            resp = c.get("/api/suggest", params={"q": "招商"})
            assert resp.status_code == 200 and resp.json()[0]["name"] == "招商银行"
        elif kind == 6:
            batch = {"q0": {"query": "Cambricon", "type": "Company"}, "q1": {"query": "招商银行"}}
            resp = c.post("/reconcile", data={"queries": json.dumps(batch, ensure_ascii=False)})
            result = resp.json()
            assert resp.status_code == 200 and result["q0"]["result"][0]["id"] == "company/cambricon"
            assert result["q1"]["result"][0]["match"] is True
        else:
            resp = c.get("/search", params={"q": "寒武", "go": "0"})
            assert resp.status_code == 200 and "寒武纪" in resp.text

    total, duration, threads = 5000, 60.0, 8
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()

    def run_client() -> None:
        with client(url) as c:
            while time.monotonic() - started < duration and not errors:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.monotonic()
                try:
                    request(c, i)
                except Exception as exc:  # collected, so every thread stops and the test reports it
                    errors.append(f"request {i}: {type(exc).__name__}: {str(exc)[:300]}")
                    return
                with lock:
                    latencies.append(time.monotonic() - t0)

    with ThreadPoolExecutor(threads) as ex:
        for f in [ex.submit(run_client) for _ in range(threads)]:
            f.result()
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    q = statistics.quantiles(latencies, n=100)
    p50, p95, p99 = q[49], q[94], q[98]
    print(f"\nload: {len(latencies)} requests in {elapsed:.1f} s = {len(latencies) / elapsed:.1f} req/s, "
          f"{threads} clients; latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert len(latencies) >= 500  # it really ran under load
    assert p99 < 2.0


# -- hostile queries ------------------------------------------------------------------------------

HOSTILE = {
    "nested-groups": ("SELECT * WHERE " + "{" * 500 + " ?s ?p ?o " + "}" * 500, {400}),
    "nested-optionals": ("SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 500 + "}" * 500 + "}", {400}),
    "nested-parens": ("SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }", {400}),
    "negations": ("SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 20000 + "BOUND(?o)) }", {400}),
    # flat, but deep in the engine's algebra: it overflows the worker's stack (500) or runs out of time
    "long-join": ("SELECT * WHERE { " + " ".join(f"?s ?p ?o{i} ." for i in range(10000)) + " } LIMIT 1", {500, 503}),
    "optional-chain": ("SELECT * WHERE { ?s ?p ?o " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 2000) + " }", {503}),
    "cartesian": (CARTESIAN, {503}),
    # Rust's regex engine is linear-time: this one is answered (or stopped) within the limit
    "regex": ('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o BIND(CONCAT(STR(?o), "' + "a" * 5000 + '!") AS ?x) '
              'FILTER regex(?x, "(a+)+$") }', {200, 503}),
}


def attack_while_serving(url: str, hostile: list[str], good_address: str = "127.0.0.2"):
    """Send the hostile queries at once (from 127.0.0.1) and, until they are all answered, a
    well-behaved query in a loop (from ``good_address``). Returns (hostile results, good latencies)."""
    results: list = [None] * len(hostile)

    def attack(i: int, query: str) -> None:
        with client(url) as c:
            t0 = time.monotonic()
            resp = c.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
            results[i] = (resp.status_code, time.monotonic() - t0, resp.text[:200])

    attackers = [threading.Thread(target=attack, args=(i, q)) for i, q in enumerate(hostile)]
    for t in attackers:
        t.start()
    latencies = []
    with client(url, good_address) as good:
        time.sleep(0.2)  # let the attack take the workers first
        while any(t.is_alive() for t in attackers) or len(latencies) < 3:
            t0 = time.monotonic()
            rows = sparql_rows(good.get("/sparql", params={"query": LABELS}))
            latencies.append(time.monotonic() - t0)
            assert (CAMBRICON, "寒武纪") in {(r["e"]["value"], r["label"]["value"]) for r in rows}
    for t in attackers:
        t.join()
    return results, latencies


@pytest.mark.parametrize("name", list(HOSTILE))
def test_service_load_hostile_query_stopped_others_served(served, name):
    _, url = served
    query, statuses = HOSTILE[name]
    (result,), latencies = attack_while_serving(url, [query])
    status, elapsed, body = result
    assert status in statuses, body
    assert elapsed < TIMEOUT + 2.5, f"{name} took {elapsed:.1f} s"
    if status == 400:
        assert "nests" in body and "at most 64" in body
    if status == 500:
        assert "worker crashed" in body
    assert max(latencies) < GOOD_LATENCY, f"a well-behaved query took {max(latencies):.2f} s during {name}"
    with client(url) as c:  # and the attacker's next query is served normally
        assert sparql_rows(c.get("/sparql", params={"query": LABELS}))


def test_service_load_flood_does_not_starve_others(served):
    """More slow queries than workers, from one client: the others still get fast answers, and
    the explorer pages (served by the main process) are not held up by the waiting queries."""
    _, url = served
    pages: list[float] = []
    stop = threading.Event()

    def browse() -> None:
        with client(url, "127.0.0.3") as c:
            while not stop.is_set():
                t0 = time.monotonic()
                resp = c.get("/id/company/cambricon")
                assert resp.status_code == 200 and "寒武纪" in resp.text
                pages.append(time.monotonic() - t0)

    browser = threading.Thread(target=browse)
    browser.start()
    try:
        results, latencies = attack_while_serving(url, [CARTESIAN] * 20)
    finally:
        stop.set()
        browser.join()
    statuses = sorted(r[0] for r in results)
    assert set(statuses) == {503}, statuses  # stopped by the time limit, the queue wait or the queue size
    assert max(r[1] for r in results) < 2 * TIMEOUT + 3  # a queued query waits at most one more time limit
    assert sum("waiting or running" in r[2] for r in results) >= 20 - 16  # max_queued = 16 per client
    assert max(latencies) < GOOD_LATENCY, latencies
    assert pages and max(pages) < GOOD_LATENCY, pages


def test_service_load_busy_answer_says_when_to_retry(served):
    _, url = served
    with client(url) as c:
        resp = c.get("/sparql", params={"query": CARTESIAN})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "time limit of 3 s" in resp.text


@pytest.mark.parametrize("path, params", [
    ("/resource", {"iri": "not an iri"}),
    ("/resource", {"iri": "http://e/<script>"}),
    ("/id/a b<c>", None),
])
def test_service_load_invalid_iri_is_404_not_500(served, path, params):
    _, url = served
    with client(url) as c:
        resp = c.get(path, params=params)
    assert resp.status_code == 404
    assert "not a valid IRI" in resp.text and "<script>" not in resp.text


@pytest.mark.parametrize("params", [
    {"query": "ASK { ?s ?p ?o }", "default-graph-uri": "not an iri"},
    {"query": "ASK { ?s ?p ?o }", "named-graph-uri": "http://e/<x>"},
])
def test_service_load_invalid_graph_iri_is_400_and_worker_lives(app_url, params):
    _, url, app = app_url
    with client(url) as c:
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        before = {w.proc.pid for w in app.state.pool._all}
        resp = c.get("/sparql", params=params)
        assert resp.status_code == 400 and "bad graph IRI" in resp.text
        assert c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
        assert before and {w.proc.pid for w in app.state.pool._all} == before  # no worker died


def test_service_load_parameter_page_with_bad_iri(served):
    _, url = served
    with client(url) as c:
        resp = c.get("/queries/entity_card", params={"entity": "http://bad iri/<x>"})
    assert resp.status_code == 200 and "<x>" not in resp.text
    assert "results" in resp.text  # bound as a string: no rows, but no crash


# -- static files ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web_copy(tmp_path_factory, seed_build):
    """The app served from a copy of kg/web whose static folder holds symlinks out of it."""
    import kg.serve

    root = tmp_path_factory.mktemp("web")
    shutil.copytree(kg.serve.WEB / "templates", root / "templates")
    (root / "static").mkdir()
    (root / "static" / "style.css").write_text("body { color: black }")
    secret = root / "secret.txt"
    secret.write_text("TOP-SECRET")
    os.symlink(secret, root / "static" / "leak.txt")
    os.symlink("/etc", root / "static" / "etc")
    os.symlink(root, root / "static" / "up")
    original = kg.serve.WEB
    kg.serve.WEB = root
    try:
        app = create_app(seed_build[1], timeout=TIMEOUT)
    finally:
        kg.serve.WEB = original
    with background(app) as url:
        yield url


def raw_get(url: str, path: str) -> tuple[int, str]:
    """GET ``path`` exactly as written (no client-side normalisation or re-encoding)."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, body


@pytest.mark.parametrize("path", [
    "/static/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/static/%252e%252e%252f%252e%252e%252fsecret.txt",
    "/static/..\\..\\..\\..\\etc\\passwd",
    "/static/%5c..%5c..%5csecret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/leak.txt",
    "/static/etc/passwd",
    "/static/up/secret.txt",
    "/static/%2e%2e/secret.txt",
])
def test_service_load_static_files_do_not_escape(web_copy, path):
    status, body = raw_get(web_copy, path)
    assert status in (400, 404), (status, body[:200])
    assert "root:" not in body and "TOP-SECRET" not in body


def test_service_load_static_copy_still_serves_files(web_copy):
    status, body = raw_get(web_copy, "/static/style.css")
    assert status == 200 and "color: black" in body


# -- XSS: hostile names and URLs in the data ----------------------------------------------------------

XSS = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert('kg')</script>"


@pytest.fixture(scope="module")
def hostile_site():
    """A tiny graph whose company is named with HTML, linked to a document with a javascript: URL."""
    company, doc = URIRef(ID + "company/evil"), URIRef(ID + "doc/evil-post")
    graph_name = URIRef(ID + "graph/evil-post")
    schema = "https://schema.org/"
    quads = [
        (company, RDF.type, URIRef(KGO + "Company")),
        (company, RDFS.label, Literal(f"恶意{XSS}公司", lang="zh")),
        (company, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), Literal(SCRIPT)),
        (company, URIRef("http://www.w3.org/2002/07/owl#sameAs"), URIRef("javascript:alert(2)")),
        (doc, RDF.type, URIRef(KGO + "NewsArticle")),
        (doc, URIRef(schema + "headline"), Literal(f"标题{SCRIPT}")),
        (doc, URIRef(schema + "url"), Literal("javascript:alert(3)")),
        (doc, URIRef(schema + "text"), Literal(f"恶意{XSS}公司发布了新品。")),
        (doc, URIRef(schema + "mentions"), company),
    ]
    graph = KnowledgeGraph.from_quads([(s, p, o, graph_name) for s, p, o in quads])
    with background(create_app(graph, timeout=TIMEOUT)) as url:
        yield url


@pytest.mark.parametrize("path, params", [
    ("/id/company/evil", None),
    ("/id/doc/evil-post", None),
    ("/search", {"q": "恶意", "go": "0"}),
    ("/", None),
    ("/graph", {"iri": ID + "company/evil"}),
    ("/reconcile/preview", {"id": "company/evil"}),
    ("/resource", {"iri": "javascript:alert(4)"}),
    ("/queries/entity_card", {"entity": ID + "company/evil"}),
])
def test_service_load_pages_escape_hostile_data(hostile_site, path, params):
    with client(hostile_site) as c:
        resp = c.get(path, params=params)
    html = resp.text
    assert resp.status_code in (200, 404), html[:300]
    assert "<img" not in html and "<script>alert" not in html  # tags in the data are escaped
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    if path == "/id/company/evil":
        assert "恶意&lt;img src=x onerror=alert(1)&gt;公司" in html  # shown, as text
    if path == "/id/doc/evil-post":
        assert "标题&lt;script&gt;" in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_service_load_json_apis_carry_hostile_names_as_data(hostile_site):
    with client(hostile_site) as c:
        suggest = c.get("/api/suggest", params={"q": "恶意"})
        graph = c.get("/api/graph", params={"iri": ID + "company/evil"})
    assert suggest.headers["Content-Type"].startswith("application/json")
    assert suggest.json()[0]["name"] == f"恶意{XSS}公司"  # JSON is data: the explorer shows it with textContent
    assert graph.json()["nodes"][0]["label"] == f"恶意{XSS}公司"
