"""NetworkX views of the graph (kg/graphview.py), on a hand-built two-document TriG and the seed."""

from __future__ import annotations

import pytest

from kg.errors import InputError
from kg.graph import KnowledgeGraph
from kg.graphview import EDGE_RESERVED, RESERVED, VIEWS, to_networkx

KGR = "https://w3id.org/kg-news/id/"
CAMBRICON, CMB, TSMC = KGR + "company/cambricon", KGR + "company/china-merchants-bank", KGR + "company/tsmc"
SIYUAN, KUNSHAN = KGR + "product/cambricon-mlu370", KGR + "site/cn-320583"
D1, D2 = KGR + "doc/d1", KGR + "doc/d2"

# Two documents of different dates, following ARCHITECTURE.md ("RDF design"): entity -> (surface).
_ENTITIES = {
    "company/cambricon": ("kg:Company", "寒武纪", "Cambricon", ["中科寒武纪"], "寒武纪"),
    "company/china-merchants-bank": ("kg:Company", "招商银行", "China Merchants Bank", [], "招商银行"),
    "company/tsmc": ("kg:Company", "台积电", "TSMC", [], "台积电"),
    "product/cambricon-mlu370": ("kg:Product , kg:Chip", "思元 370", "MLU370", [], "思元 370"),
    "site/cn-320583": ("kg:Site , kg:AdministrativeArea", "昆山", None, ["江苏昆山"], "昆山"),
}
_DOCS = {
    "d1": ("2022-04-16", "寒武纪发布思元 370",
           ["寒武纪发布思元 370。", "招商银行是寒武纪的客户。", "招商银行测试了寒武纪的芯片。"],
           ["company/cambricon", "company/china-merchants-bank", "product/cambricon-mlu370"],
           # (subject, predicate, object, sentence index, cue)
           [("company/cambricon", "hasCustomer", "company/china-merchants-bank", 1, "客户"),
            ("company/cambricon", "hasCustomer", "company/china-merchants-bank", 2, "测试"),
            ("company/cambricon", "develops", "product/cambricon-mlu370", 0, "发布")]),
    "d2": ("2022-09-01", "台积电代工思元 370",
           ["寒武纪研发的思元 370 由台积电代工。", "寒武纪在昆山建设智能计算中心。"],
           ["company/cambricon", "company/tsmc", "product/cambricon-mlu370", "site/cn-320583"],
           [("company/cambricon", "develops", "product/cambricon-mlu370", 0, "研发"),
            ("company/tsmc", "manufactures", "product/cambricon-mlu370", 0, "代工"),
            ("company/cambricon", "operatesAt", "site/cn-320583", 1, "建设")]),
}


def two_docs_trig() -> str:
    """The TriG of the two-document fixture (offsets computed from the texts)."""
    out = ["@prefix kg: <https://w3id.org/kg-news/ontology#> .",
           f"@prefix kgr: <{KGR}> .",
           "@prefix schema: <https://schema.org/> .",
           "@prefix prov: <http://www.w3.org/ns/prov#> .",
           "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
           "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
           "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .", ""]
    for doc, (date, title, sentences, mentions, relations) in _DOCS.items():
        text = "".join(sentences)
        bounds, pos = [], 0
        for s in sentences:
            bounds.append((pos, pos + len(s)))
            pos += len(s)
        d = f"<{KGR}doc/{doc}>"
        out.append(f"<{KGR}graph/{doc}> {{")
        out.append(f'  {d} a kg:NewsArticle ; schema:headline "{title}"@zh ; '
                   f'schema:datePublished "{date}"^^xsd:date ; schema:author "IT 之家" ; '
                   f'kg:sourcePath "seeds/{doc}.md" ; kg:contentHash "{doc}" ; kg:text "{text}" .')
        n = 0

        def evidence(s, p, o, start, end, extra=""):
            nonlocal n
            n += 1
            ss, se = next(b for b in bounds if b[0] <= start < b[1])
            out.append(f'  <{KGR}evidence/{doc}/{n}> a kg:Evidence ; rdf:subject {s} ; rdf:predicate {p} ; '
                       f'rdf:object {o} ; prov:wasDerivedFrom {d} ; kg:sentence "{text[ss:se]}" ; '
                       f'kg:sentenceStart {ss} ; kg:sentenceEnd {se} ; kg:start {start} ; kg:end {end} ; '
                       f'kg:rule "fixture" ; kg:confidence 0.9 ; '
                       f'prov:atLocation <{KGR}doc/{doc}#char={start},{end}> {extra}.')

        for ent in mentions:
            out.append(f"  {d} schema:mentions <{KGR}{ent}> .")
            surface = _ENTITIES[ent][4]
            start = text.find(surface)
            while start >= 0:
                evidence(d, "schema:mentions", f"<{KGR}{ent}>", start, start + len(surface),
                         f'; kg:surface "{surface}" ')
                start = text.find(surface, start + 1)
        for s, p, o, i, cue in relations:
            out.append(f"  <{KGR}{s}> kg:{p} <{KGR}{o}> .")
            if p == "hasCustomer":
                out.append(f"  <{KGR}{o}> a kg:Customer .")
            start = text.find(cue, bounds[i][0])
            evidence(f"<{KGR}{s}>", f"kg:{p}", f"<{KGR}{o}>", start, start + len(cue))
        out.append("}")
    out.append(f"<{KGR}graph/entities> {{")
    for ent, (types, zh, en, alts, _) in _ENTITIES.items():
        line = f'  <{KGR}{ent}> a {types} ; rdfs:label "{zh}"@zh'
        if en:
            line += f' , "{en}"@en'
        for alt in alts:
            line += f' ; skos:altLabel "{alt}"@zh'
        out.append(line + f' ; kg:key "{ent.split("/")[1]}" .')
    out.append("}")
    out.append(f"<{KGR}graph/build> {{ <{KGR}build/fixture> a prov:Activity . }}")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def two_docs(tmp_path_factory) -> KnowledgeGraph:
    """The two-document fixture opened with KnowledgeGraph.open."""
    path = tmp_path_factory.mktemp("two-docs") / "graph.trig"
    path.write_text(two_docs_trig(), encoding="utf-8")
    return KnowledgeGraph.open(path)


def test_graphview_fixture_is_what_it_says(two_docs):
    rows = two_docs.query("PREFIX kg: <https://w3id.org/kg-news/ontology#> "
                          "SELECT (COUNT(*) AS ?n) WHERE { ?e a kg:Evidence }")
    # d1: 寒武纪 x3, 招商银行 x2, 思元 370 x1 + 3 relations; d2: 寒武纪 x2, 台积电, 思元 370, 昆山 + 3 relations
    assert rows == [{"n": 6 + 3 + 5 + 3}]


def test_graphview_entities_nodes(two_docs):
    G = two_docs.to_networkx(view="entities")
    assert G.is_directed() and G.is_multigraph()
    assert sorted(G.nodes) == sorted([CAMBRICON, CMB, TSMC, SIYUAN, KUNSHAN])
    c = G.nodes[CAMBRICON]
    assert c["label"] == "寒武纪" and c["kind"] == "Company" and c["label_en"] == "Cambricon"
    assert c["aliases"] == "中科寒武纪"
    assert (c["documents"], c["mentions"]) == (2, 5)
    assert (c["first_seen"], c["last_seen"]) == ("2022-04-16", "2022-09-01")
    assert G.nodes[TSMC]["first_seen"] == "2022-09-01"
    assert G.nodes[CMB]["customer"] is True and c["customer"] is False
    assert G.nodes[SIYUAN]["subtype"] == "Chip" and G.nodes[SIYUAN]["kind"] == "Product"
    assert G.nodes[KUNSHAN]["kind"] == "Site" and G.nodes[KUNSHAN]["aliases"] == "江苏昆山"


@pytest.mark.parametrize("s, o, label, weight, documents, first, last", [
    (CAMBRICON, CMB, "hasCustomer", 2, 1, "2022-04-16", "2022-04-16"),
    (CAMBRICON, SIYUAN, "develops", 2, 2, "2022-04-16", "2022-09-01"),
    (TSMC, SIYUAN, "manufactures", 1, 1, "2022-09-01", "2022-09-01"),
    (CAMBRICON, KUNSHAN, "operatesAt", 1, 1, "2022-09-01", "2022-09-01"),
])
def test_graphview_entities_relation_edges(two_docs, s, o, label, weight, documents, first, last):
    G = two_docs.to_networkx(view="entities")
    d = G.edges[s, o, label]
    assert d["label"] == label
    assert d["relation"] == "https://w3id.org/kg-news/ontology#" + label
    assert (d["weight"], d["documents"], d["first_date"], d["last_date"]) == (weight, documents, first, last)


def test_graphview_entities_has_only_asserted_relations(two_docs):
    G = two_docs.to_networkx(view="entities")
    assert G.number_of_edges() == 4
    assert not G.has_edge(CMB, CAMBRICON)  # direction kept


@pytest.mark.parametrize("a, b, weight, documents, sentences", [
    (CAMBRICON, SIYUAN, 4, 2, 2),   # both documents, one sentence in each
    (CAMBRICON, CMB, 3, 1, 2),
    (CMB, SIYUAN, 1, 1, 0),         # same document, never the same sentence
    (TSMC, SIYUAN, 2, 1, 1),
    (KUNSHAN, TSMC, 1, 1, 0),
])
def test_graphview_co_mention_weights(two_docs, a, b, weight, documents, sentences):
    G = two_docs.to_networkx(view="co-mention")
    assert not G.is_directed()
    d = G.edges[a, b]
    assert (d["weight"], d["documents"], d["sentences"]) == (weight, documents, sentences)


def test_graphview_co_mention_pairs(two_docs):
    G = two_docs.to_networkx(view="co-mention")
    assert G.number_of_edges() == 3 + 6 - 1  # d1 pairs + d2 pairs - the pair both share
    assert not G.has_edge(CMB, TSMC)  # never in the same document
    assert G.edges[CAMBRICON, TSMC]["first_date"] == "2022-09-01"


def test_graphview_bipartite(two_docs):
    G = two_docs.to_networkx(view="bipartite")
    docs = {n for n, d in G.nodes(data=True) if d["kind"] == "Document"}
    assert docs == {D1, D2}
    assert dict(G.nodes[D1]) == {"label": "寒武纪发布思元 370", "kind": "Document", "bipartite": 0,
                                   "date": "2022-04-16", "source_path": "seeds/d1.md"}
    assert G.nodes[CAMBRICON]["bipartite"] == 1
    assert set(G[D2]) == {CAMBRICON, TSMC, SIYUAN, KUNSHAN}
    assert G.edges[D1, CAMBRICON]["weight"] == 3  # three mention spans
    assert G.number_of_edges() == 3 + 4


@pytest.mark.parametrize("view", VIEWS)
def test_graphview_attributes_are_plain_and_not_reserved(two_docs, view):
    G = two_docs.to_networkx(view=view)
    assert len(G) and G.number_of_edges()
    for _, d in G.nodes(data=True):
        assert not (set(d) & RESERVED) - {"label"}
        assert all(type(v) in (str, int, float, bool) for v in d.values()), d
    for *_, d in G.edges(data=True):
        assert not (set(d) & EDGE_RESERVED) - {"label", "weight"}
        assert all(type(v) in (str, int, float, bool) for v in d.values()), d


def test_graphview_unknown_view_is_an_input_error(two_docs):
    with pytest.raises(InputError, match="co-mention"):
        to_networkx(two_docs, view="nope")


def test_graphview_seed_nodes(seed_build):
    graph, _ = seed_build
    G = graph.to_networkx()
    kinds = {d["kind"] for _, d in G.nodes(data=True)}
    assert kinds == {"Company", "Product", "Site"}
    c = G.nodes[CAMBRICON]
    assert c["label"] == "寒武纪" and c["first_seen"] == "2022-04-16" and c["mentions"] > 1
    B = graph.to_networkx(view="bipartite")
    doc = next(n for n, d in B.nodes(data=True) if d["kind"] == "Document")
    assert B.nodes[doc]["date"] == "2022-04-16" and "寒武纪" in B.nodes[doc]["label"]
    assert set(B[doc]) == {n for n, d in G.nodes(data=True) if d["documents"]}  # the one seed document


_NO_EVIDENCE_TRIG = f"""@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{KGR}graph/d1> {{
  <{D1}> a kg:NewsArticle ; schema:datePublished "2022-04-16"^^xsd:date ;
      schema:mentions <{CAMBRICON}> , <{CMB}> , <{SIYUAN}> .
  <{CAMBRICON}> kg:hasCustomer <{CMB}> .
  <{CMB}> a kg:Customer .
}}
<{KGR}graph/d2> {{ <{D2}> a kg:NewsArticle ; schema:mentions <{CAMBRICON}> , <{CMB}> . }}
<{KGR}graph/entities> {{
  <{CAMBRICON}> a kg:Company ; rdfs:label "寒武纪"@zh .
  <{CMB}> a kg:Company ; rdfs:label "招商银行"@zh .
  <{SIYUAN}> a kg:Product , kg:Chip ; rdfs:label "思元 370"@zh .
}}
"""


@pytest.fixture(scope="module")
def no_evidence(tmp_path_factory) -> KnowledgeGraph:
    """Hand-built: no evidence nodes at all, and one document without a date."""
    path = tmp_path_factory.mktemp("no-evidence") / "graph.trig"
    path.write_text(_NO_EVIDENCE_TRIG, encoding="utf-8")
    return KnowledgeGraph.open(path)


def test_graphview_without_evidence_nodes(no_evidence):
    G = no_evidence.to_networkx(view="entities")
    c = G.nodes[CAMBRICON]
    assert (c["documents"], c["mentions"]) == (2, 2)   # a mentioning document is at least one span
    assert "first_seen" not in c                         # one of its documents has no date
    assert G.nodes[SIYUAN]["first_seen"] == G.nodes[SIYUAN]["last_seen"] == "2022-04-16"
    assert G.nodes[CMB]["customer"] is True              # the role comes from the document graph
    assert dict(G.edges[CAMBRICON, CMB, "hasCustomer"]) == {
        "label": "hasCustomer", "relation": "https://w3id.org/kg-news/ontology#hasCustomer",
        "weight": 1, "documents": 0}                     # counted even with no evidence node


def test_graphview_co_mention_and_bipartite_without_evidence_nodes(no_evidence):
    C = no_evidence.to_networkx(view="co-mention")
    assert dict(C.edges[CAMBRICON, CMB]) == {"weight": 2, "documents": 2, "sentences": 0}
    assert dict(C.edges[CAMBRICON, SIYUAN]) == {"weight": 1, "documents": 1, "sentences": 0,
                                                 "first_date": "2022-04-16"}
    B = no_evidence.to_networkx(view="bipartite")
    assert B.edges[D1, CAMBRICON]["weight"] == 1 and "first_date" not in B.edges[D2, CAMBRICON]
