"""Pushing a build into a SPARQL 1.1 server and querying it: a stub server, and a real Virtuoso."""

from __future__ import annotations

import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg.errors import ConfigError, QueryError
from kg.push import bind_values, push, remote_query, update_text, values_clause
from kg.queries import bind_params, get_query
from tests.conftest import require_tool

CAMBRICON = "https://w3id.org/kg-news/id/company/cambricon"


# -- binding parameters: term serialisation, never text formatting -------------------------------------


@pytest.mark.parametrize("value,term", [
    ("寒武纪", '"寒武纪"'),
    ('x" } ; DROP ALL ; SELECT * { "', '"x\\" } ; DROP ALL ; SELECT * { \\""'),
    ("a\\b\nc", '"a\\\\b\\nc"'),
    (CAMBRICON, f"<{CAMBRICON}>"),
    (3, '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    (ox.Literal("思元", language="zh"), '"思元"@zh'),
    (None, "UNDEF"),
])
def test_push_values_clause_serialises_terms(value, term):
    assert values_clause({"v": value}) == f"VALUES (?v) {{ ({term}) }}"


def test_push_values_clause_rejects_bad_variable_names():
    with pytest.raises(QueryError, match="not a SPARQL variable"):
        values_clause({"x) } DROP ALL": "a"})


@pytest.mark.parametrize("query,expected", [
    ("SELECT ?l WHERE { ?c ?p ?l }", "SELECT ?l WHERE { VALUES (?c) { (<urn:x>) } ?c ?p ?l }"),
    ("PREFIX e: <http://e/{x}#>\n# a comment { with a brace\nSELECT * { ?c ?p \"{\" }",
     "PREFIX e: <http://e/{x}#>\n# a comment { with a brace\nSELECT * { VALUES (?c) { (<urn:x>) } ?c ?p \"{\" }"),
    ("ASK { ?c a ?t }", "ASK { VALUES (?c) { (<urn:x>) } ?c a ?t }"),
])
def test_push_bind_values_opens_the_where_group(query, expected):
    assert bind_values(query, {"c": "urn:x"}) == expected


def test_push_bind_values_refuses_construct():
    with pytest.raises(QueryError, match="SELECT or ASK"):
        bind_values("CONSTRUCT { ?c ?p ?o } WHERE { ?c ?p ?o }", {"c": "urn:x"})


def test_push_update_text_chunks_inserts(monkeypatch):
    monkeypatch.setattr("kg.push.INSERT_CHUNK", 2)
    triples = [ox.Triple(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(str(i))) for i in range(5)]
    text = update_text("urn:g", triples)
    assert text.startswith("DROP SILENT GRAPH <urn:g> ;\nINSERT DATA { GRAPH <urn:g> {")
    assert text.count("INSERT DATA") == 3 and text.count("<urn:s> <urn:p>") == 5


# -- a stub Graph Store / SPARQL server ----------------------------------------------------------------


class _Stub(BaseHTTPRequestHandler):
    """Records requests; asks for Basic auth when the server has credentials set."""

    def log_message(self, *args):  # keep test output clean
        pass

    def _authorised(self) -> bool:
        want = self.server.credentials
        if want and self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="stub"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def _answer(self, status: int, body: bytes = b"", ctype: str = "application/sparql-results+json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if not self._authorised():
            return
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        graph = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["graph"][0]
        self.server.log.append(("PUT", graph, body, self.headers["Content-Type"]))
        self._answer(201)

    def do_DELETE(self):
        if not self._authorised():
            return
        graph = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["graph"][0]
        self.server.log.append(("DELETE", graph, "", ""))
        self._answer(200)

    def do_GET(self):  # the graph listing push uses for pruning
        if not self._authorised():
            return
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["query"][0]
        self.server.log.append(("GET", "", query, ""))
        rows = ",".join(f'{{"g": {{"type": "uri", "value": "{g}"}}}}' for g in self.server.remote_graphs)
        self._answer(200, f'{{"head": {{"vars": ["g"]}}, "results": {{"bindings": [{rows}]}}}}'.encode())


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.log, server.credentials = [], None
    server.remote_graphs = ["https://w3id.org/kg-news/id/graph/gone-document"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_push_gsp_puts_each_graph_and_prunes(stub, seed_build):
    import base64

    server, base = stub
    server.credentials = "Basic " + base64.b64encode(b"kg:secret").decode()
    graph, out = seed_build
    report = push(out, f"{base}/sparql", graph_store=f"{base}/store", auth=("kg", "secret"))
    puts = {g: body for method, g, body, _ in server.log if method == "PUT"}
    assert report.method == "gsp" and report.graphs == len(puts) == 3
    assert "https://w3id.org/kg-news/id/graph/entities" in puts
    # each PUT body is exactly that graph's triples, parseable as Turtle
    ents = [q.triple for q in ox.parse(puts["https://w3id.org/kg-news/id/graph/entities"].encode(), format=ox.RdfFormat.TURTLE)]
    local = graph.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/kg-news/id/graph/entities> { ?s ?p ?o } }")
    assert len(ents) == local[0]["n"] and report.triples == len(graph)
    assert ox.Triple(ox.NamedNode(CAMBRICON), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                     ox.Literal("寒武纪", language="zh")) in ents
    assert report.dropped == ["https://w3id.org/kg-news/id/graph/gone-document"]
    assert ("DELETE", "https://w3id.org/kg-news/id/graph/gone-document", "", "") in server.log


def test_push_wrong_password_is_a_config_error(stub, seed_build):
    server, base = stub
    server.credentials = "Basic nope"
    with pytest.raises(ConfigError, match="HTTP 401"):
        push(seed_build[1], f"{base}/sparql", graph_store=f"{base}/store", auth=("kg", "wrong"))


def test_push_unreachable_endpoint_is_a_config_error(seed_build):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ConfigError, match="cannot reach"):
        remote_query(f"http://127.0.0.1:{port}/sparql", "ASK {}")


# -- a real Virtuoso ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 4
ServerThreads = 4
EnabledDavVSP = 0
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A private Virtuoso on 127.0.0.1 (fresh database, random dba password), stopped afterwards."""
    exe = require_tool("virtuoso-t", "the SPARQL push test loads the graph into Virtuoso")
    isql = require_tool("isql-vt", "the SPARQL push test sets the Virtuoso dba password")
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = _free_port(), _free_port()
    (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(d=folder, sql=sql_port, http=http_port))
    log = open(folder / "stdout.log", "wb")
    proc = subprocess.Popen([exe, "-f", "-c", str(folder / "virtuoso.ini")], cwd=folder, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if remote_query(f"{base}/sparql", "ASK { }", timeout=5) is True:
                    break
            except ConfigError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Virtuoso did not start:\n" + (folder / "stdout.log").read_text(errors="replace")[-2000:])
            time.sleep(0.5)
        password = "kg" + secrets.token_hex(8)  # letters and digits: isql takes it as one token
        subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec=set password dba {password};"],
                       check=True, capture_output=True, timeout=60)
        yield {"base": base, "auth": ("dba", password)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _graph_triples(endpoint: str, graph: str) -> list[tuple]:
    rows = remote_query(endpoint, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph})
    return sorted((r["s"], r["p"], str(r["o"])) for r in rows)


CASES = [
    ("customers_of", {"company": "寒武纪"}),
    ("relations_of", {"entity": "寒武纪"}),
    ("figures_of", {"entity": "寒武纪"}),
    ("timeline", {"entity": "寒武纪"}),
    ("products_of", {"company": "寒武纪"}),
]


@pytest.mark.slow
def test_push_virtuoso_queries_match_local(virtuoso, seed_build):
    graph, out = seed_build
    sparql, auth = f"{virtuoso['base']}/sparql", virtuoso["auth"]
    report = push(out, f"{virtuoso['base']}/sparql-auth", auth=auth)  # SPARQL Update, Digest auth
    assert report.method == "update" and report.graphs == 3 and report.triples == len(graph)
    for name, params in CASES:
        q = get_query(name)
        bound = bind_params(graph, q, params)
        local = graph.query(q.sparql, bound)
        remote = remote_query(sparql, q.sparql, bound)
        assert local, name
        assert sorted(map(repr, remote)) == sorted(map(repr, local)), name
    customers = {r["customerLabel"] for r in remote_query(sparql, get_query("customers_of").sparql,
                                                          {"company": CAMBRICON})}
    assert "招商银行" in customers
    # the document graph holds exactly the local document graph's triples
    doc_graph = next(g.value for g in graph.store.named_graphs() if "/graph/2022" in g.value)
    local_rows = graph.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": doc_graph})
    assert _graph_triples(sparql, doc_graph) == sorted((r["s"], r["p"], str(r["o"])) for r in local_rows)


@pytest.mark.slow
def test_push_virtuoso_replaces_graphs_on_repush(virtuoso, tmp_path):
    sparql, auth = f"{virtuoso['base']}/sparql", virtuoso["auth"]
    store = f"{virtuoso['base']}/sparql-graph-crud-auth"
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    (corpus / "push-a.txt").write_text("宁德时代向特斯拉供货。", encoding="utf-8")
    (corpus / "push-b.txt").write_text("比亚迪向丰田供应电池。", encoding="utf-8")
    kg.build([corpus], out=out)
    first = push(out, sparql.replace("/sparql", "/sparql-auth"), graph_store=store, auth=auth)  # GSP PUT
    graph_a = "https://w3id.org/kg-news/id/graph/push-a"
    before = _graph_triples(sparql, graph_a)
    assert first.method == "gsp" and any(o == "特斯拉" for _, _, o in before)

    (corpus / "push-a.txt").write_text("宁德时代向蔚来供货。", encoding="utf-8")
    (corpus / "push-b.txt").unlink()
    local = kg.build([corpus], out=out)
    second = push(out, sparql.replace("/sparql", "/sparql-auth"), graph_store=store, auth=auth)
    after = _graph_triples(sparql, graph_a)
    local_a = sorted((r["s"], r["p"], str(r["o"])) for r in local.query(
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph_a}))
    assert after == local_a  # replaced, not merged: no 特斯拉, no duplicates
    assert not any(o == "特斯拉" for _, _, o in after) and any(o == "蔚来" for _, _, o in after)
    assert "https://w3id.org/kg-news/id/graph/push-b" in second.dropped
    assert _graph_triples(sparql, "https://w3id.org/kg-news/id/graph/push-b") == []
    # the SPARQL Update path replaces too: push once more that way, nothing changes
    push(out, sparql.replace("/sparql", "/sparql-auth"), auth=auth, method="update")
    assert _graph_triples(sparql, graph_a) == local_a


@pytest.mark.slow
def test_push_cli_pushes_and_reports(virtuoso, seed_build, monkeypatch):
    from click.testing import CliRunner

    from kg.cli import main

    monkeypatch.setenv("KG_SPARQL_PASSWORD", virtuoso["auth"][1])
    result = CliRunner().invoke(main, ["push", str(seed_build[1]), "--endpoint", f"{virtuoso['base']}/sparql-auth",
                                       "--user", "dba", "--method", "update"])
    assert result.exit_code == 0, result.output
    assert "pushed 3 graphs" in result.output
    bad = CliRunner().invoke(main, ["push", str(seed_build[1]), "--endpoint", f"{virtuoso['base']}/sparql-auth",
                                    "--user", "dba", "--password", "wrong"])
    assert bad.exit_code == 2 and "401" in bad.output


@pytest.mark.slow
def test_push_cli_query_against_the_endpoint(virtuoso, seed_build):
    """`kg query --endpoint` runs the library query remotely and finds the same customers."""
    import json

    from click.testing import CliRunner

    from kg.cli import main

    push(seed_build[1], f"{virtuoso['base']}/sparql-auth", auth=virtuoso["auth"], method="update")
    result = CliRunner().invoke(main, ["query", "customers_of", "-p", "company=寒武纪", "--format", "json",
                                       "--endpoint", f"{virtuoso['base']}/sparql"])
    assert result.exit_code == 0, result.output
    remote = {row["customerLabel"] for row in json.loads(result.output)}
    assert {"招商银行", "阿里巴巴"} <= remote
