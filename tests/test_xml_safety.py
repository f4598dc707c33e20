"""XML (and JSON-LD) that kg reads must not expand entity bombs, read local files or reach the network.

Where kg reads markup: RDF/XML and OWL files in ``kg validate`` (rdflib, through
:mod:`kg.safexml`), JSON-LD files in ``kg validate`` (remote contexts), and HTML posts in
``kg.ingest`` (BeautifulSoup with lxml's HTML parser). A loopback socket records whether any
parse tried to connect; ``/etc/passwd`` is the local file an XXE would leak.
"""

from __future__ import annotations

import inspect
import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from rdflib import Dataset

import kg.validate
from kg.errors import InputError
from kg.ingest import html_paragraphs
from kg.safexml import check_jsonld, check_xml, parse_rdf

KG_DIR = Path(kg.validate.__file__).resolve().parent
RDF_OPEN = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">')
VALIDATE_IS_SAFE = "safexml" in inspect.getsource(kg.validate)
needs_safe_validate = pytest.mark.xfail(
    not VALIDATE_IS_SAFE, run=False, strict=True,
    reason="kg/validate.py does not check files with kg.safexml yet (the call in _load: parse_rdf(ds, path, fmt))")


def rdf_xml(doctype: str, label: str) -> str:
    return (f'<?xml version="1.0"?>\n{doctype}\n{RDF_OPEN}<rdf:Description rdf:about="http://e/x">'
            f"<rdfs:label>{label}</rdfs:label></rdf:Description></rdf:RDF>\n")


def laughs(levels: int, root: str = "rdf:RDF") -> str:
    """The "billion laughs" DTD: each entity is ten of the one before (30 × 10^levels characters)."""
    decls = ['<!ENTITY a0 "lollollollollollollollollollol">']
    decls += [f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">' for i in range(1, levels + 1)]
    return f"<!DOCTYPE {root} [\n" + "\n".join(decls) + "\n]>"


@pytest.fixture
def listener():
    """A loopback HTTP server that records every connection (and answers with an entity/context)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.1)
    hits: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            hits.append(conn.recv(2000))
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"@context": {"name": "http://e/LEAKED"}}')
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", hits
    done.set()
    thread.join(2)
    sock.close()


def labels(ds) -> list[str]:
    return sorted(str(o) for _, _, o, _ in ds.quads((None, None, None, None)))


# -- RDF/XML --------------------------------------------------------------------------------------

def test_xml_safety_rdflib_does_not_read_local_external_entity(tmp_path):
    """rdflib itself leaves a SYSTEM entity unread; kg.safexml refuses the file outright."""
    path = tmp_path / "xxe.rdf"
    path.write_text(rdf_xml('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "a&e;b"))
    ds = Dataset()
    ds.parse(path, format="xml")
    assert labels(ds) == ["ab"]
    with pytest.raises(InputError, match="external entity 'e' \\(file:///etc/passwd\\)"):
        parse_rdf(Dataset(), path, "xml")


@pytest.mark.parametrize("doctype, label", [
    ('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}/general">]>', "&e;"),
    ('<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{url}/parameter"> %p;]>', "x"),
    ('<!DOCTYPE rdf:RDF [<!ENTITY e PUBLIC "-//kg//x" "{url}/public">]>', "&e;"),
    ('<!DOCTYPE rdf:RDF SYSTEM "{url}/dtd">', "x"),
])
def test_xml_safety_no_network_from_rdf_xml(tmp_path, listener, doctype, label):
    url, hits = listener
    path = tmp_path / "net.rdf"
    path.write_text(rdf_xml(doctype.format(url=url), label))
    ds = Dataset()
    ds.parse(path, format="xml")  # rdflib alone: parses, fetches nothing
    try:
        parse_rdf(Dataset(), path, "xml")
    except InputError as exc:  # refused: external entities are not allowed at all
        assert "external" in str(exc)
    time.sleep(0.3)
    assert hits == []
    assert "LEAKED" not in " ".join(labels(ds))


@pytest.mark.parametrize("levels", [3, 5, 9])
def test_xml_safety_entity_bomb_refused_fast(tmp_path, levels):
    path = tmp_path / f"lol{levels}.rdf"
    path.write_text(rdf_xml(laughs(levels), f"&a{levels};"))
    started = time.monotonic()
    with pytest.raises(InputError, match="refers to other entities.*billion laughs"):
        parse_rdf(Dataset(), path, "xml")
    assert time.monotonic() - started < 1.0


def test_xml_safety_flat_entity_flood_refused(tmp_path):
    """No nesting, but one 100 KB entity used 5,000 times: 500 MB of text from 150 KB of file."""
    big = "x" * 100_000
    path = tmp_path / "flood.rdf"
    path.write_text(rdf_xml(f'<!DOCTYPE rdf:RDF [<!ENTITY big "{big}">]>', "&big;" * 5000))
    started = time.monotonic()
    with pytest.raises(InputError, match="expands to more than"):
        parse_rdf(Dataset(), path, "xml")
    assert time.monotonic() - started < 2.0


def test_xml_safety_owl_namespace_entities_still_parse(tmp_path):
    """Protégé-style OWL: internal entities that abbreviate namespaces are fine."""
    doctype = ('<!DOCTYPE rdf:RDF [\n<!ENTITY kg "https://w3id.org/kg-news/ontology#">\n'
               '<!ENTITY rdfs "http://www.w3.org/2000/01/rdf-schema#">\n]>')
    text = (f'<?xml version="1.0"?>\n{doctype}\n{RDF_OPEN}'
            '<rdf:Description rdf:about="&kg;Chip"><rdfs:subClassOf rdf:resource="&kg;Product"/>'
            '<rdfs:label xml:lang="en">chip &amp; board</rdfs:label></rdf:Description></rdf:RDF>')
    path = tmp_path / "ontology.owl"
    path.write_text(text)
    ds = Dataset()
    parse_rdf(ds, path, "xml")
    triples = {(str(s), str(p), str(o)) for s, p, o, _ in ds.quads((None, None, None, None))}
    assert ("https://w3id.org/kg-news/ontology#Chip", "http://www.w3.org/2000/01/rdf-schema#subClassOf",
            "https://w3id.org/kg-news/ontology#Product") in triples
    assert ("https://w3id.org/kg-news/ontology#Chip", "http://www.w3.org/2000/01/rdf-schema#label",
            "chip & board") in triples


@pytest.mark.parametrize("data, message", [
    (b"<r>&undeclared;</r>", "not well-formed XML"),
    (b"<r><unclosed></r>", "not well-formed XML"),
    (b'<!DOCTYPE r [<!ENTITY e "a &amp; b">]><r>&e;</r>', None),
    (b'<!DOCTYPE r [<!ENTITY e "&#169; 2022">]><r a="&e;">&e;</r>', None),
    (b'<!DOCTYPE r [<!ENTITY % p "&#60;!ENTITY e \'x\'>"> %p;]><r>&e;</r>', None),
])
def test_xml_safety_check_xml_cases(data, message):
    if message is None:
        check_xml(data)
    else:
        with pytest.raises(InputError, match=message):
            check_xml(data)


@needs_safe_validate
def test_xml_safety_validate_refuses_entity_bomb(tmp_path):
    path = tmp_path / "lol.rdf"
    path.write_text(rdf_xml(laughs(9), "&a9;"))
    started = time.monotonic()
    with pytest.raises(InputError, match="billion laughs"):
        kg.validate.validate(path)
    assert time.monotonic() - started < 5


# -- JSON-LD --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda url: {"@context": f"{url}/ctx.jsonld", "@id": "http://e/x", "name": "n"},
    lambda url: {"@context": [{"ex": "http://e/"}, f"{url}/ctx.jsonld"], "@id": "http://e/x", "name": "n"},
    lambda url: {"@graph": [{"@context": f"{url}/inner.jsonld", "@id": "http://e/y", "name": "n"}]},
    lambda url: {"@context": {"@import": f"{url}/import.jsonld"}, "@id": "http://e/x", "name": "n"},
])
def test_xml_safety_jsonld_remote_context_refused_without_fetch(tmp_path, listener, make):
    url, hits = listener
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps(make(url)))
    with pytest.raises(InputError, match="remote @context|@import"):
        parse_rdf(Dataset(), path, "json-ld")
    time.sleep(0.3)
    assert hits == []


def test_xml_safety_jsonld_inline_context_parses(tmp_path):
    path = tmp_path / "inline.jsonld"
    path.write_text(json.dumps({"@context": {"name": "http://www.w3.org/2000/01/rdf-schema#label"},
                                "@id": "http://e/x", "name": "寒武纪"}))
    ds = Dataset()
    parse_rdf(ds, path, "json-ld")
    assert labels(ds) == ["寒武纪"]
    check_jsonld(path.read_bytes())


@needs_safe_validate
def test_xml_safety_validate_does_not_fetch_jsonld_context(tmp_path, listener):
    url, hits = listener
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": f"{url}/ctx.jsonld", "@id": "http://e/x", "name": "n"}))
    with pytest.raises(InputError, match="remote @context"):
        kg.validate.validate(path)
    time.sleep(0.3)
    assert hits == []


# -- HTML posts (kg.ingest: BeautifulSoup + lxml's HTML parser) ------------------------------------

@pytest.mark.parametrize("system", ["file:///etc/passwd", "{url}/entity"])
def test_xml_safety_html_post_does_not_resolve_external_entities(listener, system):
    url, hits = listener
    html = (f'<!DOCTYPE x [<!ENTITY e SYSTEM "{system.format(url=url)}">]>'
            "<html><body><p>寒武纪 before &e; after</p></body></html>")
    text = "\n".join(html_paragraphs(html))
    assert "寒武纪 before &e; after" in text  # the reference stays literal text
    assert "root:" not in text and "LEAKED" not in text
    time.sleep(0.3)
    assert hits == []


def test_xml_safety_html_post_entity_bomb_stays_small():
    html = laughs(9, "html") + "<html><body><p>寒武纪 &a9; 招商银行</p></body></html>"
    started = time.monotonic()
    text = "\n".join(html_paragraphs(html))
    assert time.monotonic() - started < 1.0
    assert "寒武纪 &a9; 招商银行" in text and "lol" * 20 not in text
    assert len(text) < len(html)


# -- every XML parser in kg is a hardened one -----------------------------------------------------

UNSAFE_PARSERS = re.compile(
    r"etree\.(?:fromstring|parse|XML|iterparse)\(|XMLParser\(|minidom|xml\.sax|xml\.dom|ElementTree|"
    r"expat\.ParserCreate|BeautifulSoup\([^)]*[\"'](?:xml|lxml-xml)[\"']")


def test_xml_safety_kg_parses_xml_only_through_safexml():
    """Any XML parse in kg must be in kg/safexml.py or use lxml with resolve_entities=False."""
    offenders = []
    for path in sorted(KG_DIR.rglob("*.py")):
        if path.name == "safexml.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNSAFE_PARSERS.search(line) and "resolve_entities=False" not in line:
                offenders.append(f"{path.relative_to(KG_DIR)}:{number}: {line.strip()}")
    assert offenders == []


def test_xml_safety_gexf_export_parses_with_hardened_parser(seed_build):
    """kg writes GEXF (never reads it); what it writes has no DTD and reads back with entities off."""
    from lxml import etree

    _, out = seed_build
    data = (out / "graph.gexf").read_bytes()
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(data, parser)
    ns = {"g": root.nsmap[None]}
    assert "寒武纪" in {n.get("label") for n in root.iterfind(".//g:node", ns)}
