"""The SPARQL endpoint of ``kg serve``: protocol, formats, and the refusals that keep it safe."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest

from kg.serve import Refused, background, check_query, create_app, keywords, negotiate

LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
SELECT ?e ?label WHERE { ?e a kg:Company ; rdfs:label ?label } ORDER BY ?e ?label"""
CARTESIAN = """SELECT (COUNT(*) AS ?n) WHERE {
  ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 . ?e ?p5 ?o5
  FILTER(STR(?o1) = CONCAT(STR(?o5), "never"))
}"""


@pytest.fixture(scope="module")
def endpoint(seed_build):
    """The seed graph served on a free loopback port, with a short query timeout."""
    graph, out = seed_build
    with background(create_app(out, timeout=3, row_limit=50, max_query_bytes=200_000)) as url:
        yield graph, url


def get(url: str, path: str, params: dict | None = None, headers: dict | None = None):
    """(status, headers, body text) of a GET, without raising on HTTP errors."""
    full = url + path + ("?" + urllib.parse.urlencode(params) if params else "")
    req = urllib.request.Request(full, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def post(url: str, path: str, body: bytes, ctype: str, headers: dict | None = None):
    req = urllib.request.Request(url + path, data=body, method="POST",
                                 headers={"Content-Type": ctype, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


# -- lexical checks (no server) -------------------------------------------------------------------

@pytest.mark.parametrize("query, refused", [
    ("SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("select * { service silent <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * { OPTIONAL { SERVICE ?x { ?s ?p ?o } } }", "SERVICE"),
    ("SELECT * { \\u0053ERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * { SERVICE#comment\n<http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),
    ("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }", "read-only"),
    ("DELETE WHERE { ?s ?p ?o }", "read-only"),
    ("LOAD <http://127.0.0.1:1/data.ttl>", "read-only"),
    ("CLEAR ALL", "read-only"),
    ("DROP GRAPH <http://e/g>", "read-only"),
    ("SELECT * { ?s ?p \"SERVICE <http://x/> { }\" }", None),
    ("SELECT * { ?s ?p '''a SERVICE\nb''' }", None),
    ("SELECT ?service { ?service ?p ?o }  # SERVICE in a comment", None),
    ("PREFIX service: <http://e/> SELECT * { ?s service:SERVICE <http://e/SERVICE> }", None),
    ("SELECT * { ?s <http://schema.org/Service> ?o }", None),
])
def test_serve_check_query(query, refused):
    if refused is None:
        check_query(query)
        return
    with pytest.raises(Refused) as info:
        check_query(query)
    assert info.value.status == 403
    assert refused in str(info.value)


def test_serve_keywords_decode_escapes_only_outside_literals():
    assert keywords('SELECT * { ?s ?p "\\u0053ERVICE" }') == ["SELECT"]
    assert keywords("ASK { \\u0053ERVICE <x:y> {} }") == ["ASK", "SERVICE"]


@pytest.mark.parametrize("accept, fmt, expected", [
    (None, None, ("json", "turtle")),
    ("application/sparql-results+xml", None, ("xml", "turtle")),
    ("text/csv;q=0.5, text/tab-separated-values", None, ("tsv", "turtle")),
    ("application/n-triples, application/sparql-results+json;q=0.9", None, ("json", "ntriples")),
    ("text/html,*/*;q=0.8", None, ("json", "turtle")),
    ("text/csv", "xml", ("xml", "turtle")),
    (None, "jsonld", ("json", "jsonld")),
    (None, "application/sparql-results+json", ("json", "turtle")),
])
def test_serve_negotiate(accept, fmt, expected):
    assert negotiate(accept, fmt) == expected


def test_serve_negotiate_unknown_format():
    with pytest.raises(Refused, match="unknown format 'yaml'"):
        negotiate(None, "yaml")


# -- the protocol ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_serve_sparqlwrapper_rows_match_library(endpoint, method):
    from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, SPARQLWrapper

    graph, url = endpoint
    client = SPARQLWrapper(url + "/sparql")
    client.setReturnFormat(JSON)
    client.setQuery(LABELS)
    if method == "GET":
        client.setMethod(GET)
    else:
        client.setMethod(POST)
        if method == "POSTDIRECTLY":
            client.setRequestMethod(POSTDIRECTLY)
    result = client.queryAndConvert()
    got = [(b["e"]["value"], b["label"]["value"], b["label"].get("xml:lang")) for b in result["results"]["bindings"]]
    expected = [(r["e"], r["label"]) for r in graph.query(LABELS)]
    assert [(e, label) for e, label, _ in got] == expected
    assert ("https://w3id.org/kg-news/id/company/cambricon", "寒武纪", "zh") in got
    assert len(got) >= 4


def test_serve_sparqlwrapper_ask_and_construct(endpoint):
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    _, url = endpoint
    client = SPARQLWrapper(url + "/sparql")
    client.setReturnFormat(JSON)
    client.setQuery('ASK { ?e <http://www.w3.org/2000/01/rdf-schema#label> "寒武纪"@zh }')
    assert client.queryAndConvert()["boolean"] is True
    client.setReturnFormat(TURTLE)
    client.setQuery("CONSTRUCT { ?e a ?t } WHERE { ?e a ?t . FILTER(?e = <https://w3id.org/kg-news/id/company/cambricon>) }")
    turtle = client.queryAndConvert()
    triples = [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]
    assert ox.Triple(ox.NamedNode("https://w3id.org/kg-news/id/company/cambricon"),
                     ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     ox.NamedNode("https://w3id.org/kg-news/ontology#Company")) in triples


@pytest.mark.parametrize("fmt, media, parse_as", [
    ("json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("tsv", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ("csv", "text/csv", None),
])
def test_serve_select_formats(endpoint, fmt, media, parse_as):
    graph, url = endpoint
    status, headers, body = get(url, "/sparql", {"query": LABELS, "format": fmt})
    assert status == 200, body
    assert headers["Content-Type"].startswith(media)
    expected = {(r["e"], r["label"]) for r in graph.query(LABELS)}
    if parse_as is None:  # CSV cannot be read back by pyoxigraph: check the plain cells
        lines = body.splitlines()
        assert lines[0] == "e,label"
        assert {tuple(line.split(",", 1)) for line in lines[1:]} == expected
    else:
        rows = {(s["e"].value, s["label"].value) for s in ox.parse_query_results(body.encode(), format=parse_as)}
        assert rows == expected


@pytest.mark.parametrize("accept, parse_as", [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_serve_construct_formats(endpoint, accept, parse_as):
    _, url = endpoint
    query = ("CONSTRUCT { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
             "?e a <https://w3id.org/kg-news/ontology#Company> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }")
    status, headers, body = get(url, "/sparql", {"query": query}, {"Accept": accept})
    assert status == 200, body
    assert headers["Content-Type"].startswith(accept)
    labels = {t.object.value for t in ox.parse(body.encode(), format=parse_as)}
    assert {"寒武纪", "Cambricon", "招商银行"} <= labels


def test_serve_post_form_with_default_graph(endpoint):
    graph, url = endpoint
    form = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                   "default-graph-uri": "https://w3id.org/kg-news/id/graph/entities"}).encode()
    status, _, body = post(url, "/sparql", form, "application/x-www-form-urlencoded")
    assert status == 200, body
    n = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    total = graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    in_entities = graph.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/kg-news/id/graph/entities> { ?s ?p ?o } }")[0]["n"]
    assert n == in_entities and 0 < n < total


def test_serve_row_limit_cuts_and_says_so(endpoint):
    _, url = endpoint
    status, headers, body = get(url, "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == 50
    assert headers["X-KG-Truncated"] == "true" and headers["X-KG-Rows"] == "50"


# -- refusals -------------------------------------------------------------------------------------

@pytest.mark.parametrize("how, status, message", [
    ("query-insert", 403, "read-only"),
    ("update-param", 403, "read-only"),
    ("update-post", 403, "read-only"),
    ("load", 403, "read-only"),
    ("malformed", 400, "malformed SPARQL query: error at 1:"),
    ("missing", 400, "missing query"),
    ("wrong-type", 415, "unsupported content type"),
])
def test_serve_refuses(endpoint, how, status, message):
    _, url = endpoint
    if how == "query-insert":
        got = get(url, "/sparql", {"query": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"})
    elif how == "update-param":
        got = post(url, "/sparql", b"update=CLEAR%20ALL", "application/x-www-form-urlencoded")
    elif how == "update-post":
        got = post(url, "/sparql", b"DROP ALL", "application/sparql-update")
    elif how == "load":
        got = get(url, "/sparql", {"query": "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://e/g>"})
    elif how == "malformed":
        got = get(url, "/sparql", {"query": "SELECT ?s WHERE { ?s ?p "})
    elif how == "missing":
        got = get(url, "/sparql")
    else:
        got = post(url, "/sparql", b"{}", "application/json")
    assert got[0] == status, got[2]
    assert message in got[2]


@pytest.fixture
def sentinel():
    """A loopback socket that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.3)
    yield sock
    sock.close()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ service silent <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
])
def test_serve_refuses_service_before_connecting(endpoint, sentinel, template):
    # the target is a socket of ours on 127.0.0.1, so "no connection attempt" can be checked
    _, url = endpoint
    target = f"http://127.0.0.1:{sentinel.getsockname()[1]}/sparql"
    status, _, body = get(url, "/sparql", {"query": template.format(url=target)})
    assert status == 403
    assert "SERVICE (federated query) is disabled" in body
    with pytest.raises(TimeoutError):
        sentinel.accept()


def test_serve_service_word_in_literal_is_fine(endpoint):
    _, url = endpoint
    status, _, body = get(url, "/sparql", {"query": 'SELECT ?s WHERE { ?s ?p "SERVICE <http://10.0.0.1/sparql>" }'})
    assert status == 200, body
    assert json.loads(body)["results"]["bindings"] == []


def test_serve_timeout_stops_long_query_and_recovers(endpoint):
    graph, url = endpoint
    started = time.monotonic()
    status, _, body = get(url, "/sparql", {"query": CARTESIAN})
    elapsed = time.monotonic() - started
    assert status == 503
    assert "time limit of 3 s" in body
    assert elapsed < 8
    status, _, body = get(url, "/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert status == 200
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(graph)


@pytest.mark.parametrize("ctype", ["application/sparql-query", "application/x-www-form-urlencoded"])
def test_serve_large_query_gets_413(endpoint, ctype):
    _, url = endpoint
    filler = b"#" + b"x" * (10 * 1024 * 1024) + b"\nASK {}"
    body = filler if ctype == "application/sparql-query" else b"query=" + urllib.parse.quote_from_bytes(filler).encode()
    status, _, text = post(url, "/sparql", body, ctype)
    assert status == 413
    assert "at most 200000 bytes" in text


@pytest.mark.parametrize("path", [
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/vendor/..%2f..%2f..%2fserve.py",
    "/static/%2e%2e%2f%2e%2e%2fserve.py",
])
def test_serve_static_files_do_not_traverse(endpoint, path):
    _, url = endpoint
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)  # sent as is: no client-side normalisation
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    assert resp.status in (400, 404)
    assert "root:" not in body and "def create_app" not in body


def test_serve_static_files_are_served(endpoint):
    _, url = endpoint
    status, headers, body = get(url, "/static/vendor/cytoscape.min.js")
    assert status == 200 and "Cytoscape Consortium" in body[:300]


def test_serve_in_memory_graph_without_folder(seed_build):
    """A KnowledgeGraph with no build folder is handed to the workers as N-Quads."""
    from kg.graph import KnowledgeGraph

    graph, _ = seed_build
    memory = KnowledgeGraph.from_quads(graph.quads())
    assert memory.path is None
    with background(create_app(memory, timeout=5)) as url:
        status, _, body = get(url, "/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    assert status == 200
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(graph)


@pytest.mark.slow
def test_serve_cli_runs_uvicorn(seed_build):
    _, out = seed_build
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", str(out), "--host", "127.0.0.1", "--port", str(port),
                             "--timeout", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = get(f"http://127.0.0.1:{port}", "/sparql",
                                      {"query": 'ASK { ?e <http://www.w3.org/2000/01/rdf-schema#label> "寒武纪"@zh }'})
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "kg serve did not start within 60 s"
                time.sleep(0.3)
        assert status == 200 and json.loads(body)["boolean"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_workers_stop_with_the_server(seed_build):
    _, out = seed_build
    app = create_app(out, timeout=5)
    with background(app) as url:
        assert get(url, "/sparql", {"query": "ASK { ?s ?p ?o }"})[0] == 200
        procs = [w.proc for w in app.state.pool._all]
        assert procs and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)


