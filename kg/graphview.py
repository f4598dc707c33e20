"""NetworkX projections of the RDF graph, built with SPARQL: the RDF is the only source of truth.

Three views (``KnowledgeGraph.to_networkx(view=...)``):

* ``entities`` (``MultiDiGraph``): one node per entity, one edge per asserted relation
  (subject → object, keyed by the predicate's local name).
* ``co-mention`` (``Graph``): entities linked when a document mentions both; weight 1 per
  document plus 1 per sentence in which both are mentioned.
* ``bipartite`` (``Graph``): documents and the entities they mention (``bipartite`` is 0 for
  documents and 1 for entities, the networkx convention).

Node ids are IRIs. Attributes are plain ``str``/``int``/``float``/``bool`` values (an absent
value is left out, never ``None``) and avoid the keys GEXF gives a meaning to (:data:`RESERVED`)
except with that meaning: ``label`` is the display name, ``weight`` the edge strength.

Entity nodes: ``label`` (Chinese name), ``kind`` (Company | Product | Site), ``subtype``
(e.g. ``Chip``, ``|``-joined), ``customer`` (someone's customer), ``aliases`` (``|``-joined),
``label_en``, ``wikidata`` (QID), ``documents`` (documents mentioning it), ``mentions`` (mention
spans), ``first_seen`` / ``last_seen`` (ISO dates of those documents' ``schema:datePublished``).

Relation edges: ``label`` (predicate local name, e.g. ``hasCustomer``), ``relation`` (predicate
IRI), ``weight`` (supporting sentences, i.e. evidence nodes; at least 1), ``documents``,
``first_date`` / ``last_date``.

Example:
    >>> import kg
    >>> G = kg.build(["seeds/"]).to_networkx()       # doctest: +SKIP
    >>> G.nodes["https://w3id.org/kg-news/id/company/cambricon"]["kind"]  # doctest: +SKIP
    'Company'
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import networkx as nx

from .mapping import SPARQL_PREFIXES

VIEWS = ("entities", "co-mention", "bipartite")
#: attribute names GEXF gives a meaning to on nodes and edges (XML attributes of <node>/<edge>)
RESERVED = frozenset({"id", "label", "type", "weight", "start", "end", "timestamp", "timestamps",
                      "intervals", "pid"})
#: on edges GEXF also means ``kind`` (parallel-edge kind), ``source`` and ``target``
EDGE_RESERVED = RESERVED | {"kind", "source", "target"}
#: the ones our views use, with the GEXF meaning
GEXF_MEANING = {"label", "weight"}

KG = "https://w3id.org/kg-news/ontology#"
CORE_KINDS = ("Company", "Product", "Site")
_PREFIXES = SPARQL_PREFIXES  # one list of prefixes: kg.mapping.PREFIXES

_ENTITY_TYPES = _PREFIXES + """
SELECT ?e ?type WHERE {
  ?e a ?core . VALUES ?core { kg:Company kg:Product kg:Site }
  ?e a ?type . FILTER(STRSTARTS(STR(?type), STR(kg:)))
}"""
# The views join tens of thousands of evidence nodes. Oxigraph runs a join of plain triple
# patterns as a loop of index lookups (slow on a large store) but joins sub-SELECTs by hashing, so
# the big joins here wrap each triple pattern in its own ``{ SELECT ... }``: the same patterns over
# the same union graph, hence the same solutions, found by scanning each pattern once.
_ENTITY_NAMES = _PREFIXES + """
SELECT ?e ?name ?lang ?alt WHERE {
  { SELECT ?e WHERE { ?e a ?core . VALUES ?core { kg:Company kg:Product kg:Site } } }
  { SELECT ?e ?name ?alt WHERE {
    { ?e rdfs:label ?name BIND(false AS ?alt) } UNION { ?e skos:altLabel ?name BIND(true AS ?alt) } } }
  BIND(LANG(?name) AS ?lang)
}"""
_ENTITY_SAME_AS = _PREFIXES + """
SELECT ?e ?same WHERE {
  ?e a ?core ; owl:sameAs ?same . VALUES ?core { kg:Company kg:Product kg:Site }
}"""
_ENTITY_DOCS = _PREFIXES + """
SELECT ?e (COUNT(DISTINCT ?doc) AS ?docs) (COUNT(DISTINCT ?ev) AS ?spans)
       (MIN(STR(?date)) AS ?first) (MAX(STR(?date)) AS ?last) WHERE {
  { SELECT ?doc ?e WHERE { ?doc schema:mentions ?e } }
  OPTIONAL { SELECT ?doc ?date WHERE { ?doc schema:datePublished ?date } }
  OPTIONAL {
    { SELECT ?ev WHERE { ?ev rdf:predicate schema:mentions } }
    { SELECT ?ev ?doc WHERE { ?ev rdf:subject ?doc } }
    { SELECT ?ev ?e WHERE { ?ev rdf:object ?e } }
    { SELECT ?ev WHERE { ?ev a kg:Evidence } }
  }
} GROUP BY ?e"""
# Every asserted relation between entities, with its evidence (one node per supporting sentence)
# and the dates of the documents that state it. (The filter on the evidence's predicate only
# narrows the hash join: the relation's own ?p already passes it.)
_RELATIONS = _PREFIXES + """
SELECT ?s ?p ?o (COUNT(DISTINCT ?ev) AS ?n) (COUNT(DISTINCT ?doc) AS ?docs)
       (MIN(STR(?date)) AS ?first) (MAX(STR(?date)) AS ?last) WHERE {
  { SELECT ?s WHERE { ?s a ?sk . VALUES ?sk { kg:Company kg:Product kg:Site } } }
  ?s ?p ?o .
  FILTER(STRSTARTS(STR(?p), STR(kg:)) && ?p != kg:hasFigure)
  { SELECT ?o WHERE { ?o a ?ok . VALUES ?ok { kg:Company kg:Product kg:Site } } }
  OPTIONAL {
    { SELECT ?ev ?p WHERE { ?ev rdf:predicate ?p FILTER(?p != schema:mentions && ?p != kg:hasFigure) } }
    { SELECT ?ev WHERE { ?ev a kg:Evidence } }
    { SELECT ?ev ?s WHERE { ?ev rdf:subject ?s } }
    { SELECT ?ev ?o WHERE { ?ev rdf:object ?o } }
    OPTIONAL {
      { SELECT ?ev ?doc WHERE { ?ev prov:wasDerivedFrom ?doc } }
      OPTIONAL { SELECT ?doc ?date WHERE { ?doc schema:datePublished ?date } }
    }
  }
} GROUP BY ?s ?p ?o"""
# Documents' mentions and dates; the entity pairs of each document are made in Python (a self-join
# in SPARQL costs a string comparison per pair). Blank nodes are left out: STR() of one fails, so
# they never formed a pair.
_MENTIONED = _PREFIXES + """
SELECT ?doc ?e WHERE { ?doc schema:mentions ?e FILTER(!isBlank(?e)) }"""
_DATES = _PREFIXES + """
SELECT ?doc (STR(?date) AS ?d) WHERE { ?doc schema:datePublished ?date }"""
_SENTENCE_PAIRS = _PREFIXES + """
SELECT ?a ?b (COUNT(DISTINCT CONCAT(STR(?doc), "#", STR(?ss))) AS ?sentences) WHERE {
  { SELECT ?doc ?ss ?a WHERE {
    { SELECT ?ea WHERE { ?ea rdf:predicate schema:mentions } }
    { SELECT ?ea ?doc WHERE { ?ea rdf:subject ?doc } }
    { SELECT ?ea ?a WHERE { ?ea rdf:object ?a } }
    { SELECT ?ea ?ss WHERE { ?ea kg:sentenceStart ?ss } } } }
  { SELECT ?doc ?ss ?b WHERE {
    { SELECT ?eb WHERE { ?eb rdf:predicate schema:mentions } }
    { SELECT ?eb ?doc WHERE { ?eb rdf:subject ?doc } }
    { SELECT ?eb ?b WHERE { ?eb rdf:object ?b } }
    { SELECT ?eb ?ss WHERE { ?eb kg:sentenceStart ?ss } } } }
  FILTER(STR(?a) < STR(?b))
} GROUP BY ?a ?b"""
_DOCUMENTS = _PREFIXES + """
SELECT ?doc ?title ?date ?url ?path WHERE {
  ?doc a kg:NewsArticle .
  OPTIONAL { ?doc schema:headline ?title }
  OPTIONAL { ?doc schema:datePublished ?date }
  OPTIONAL { ?doc schema:url ?url }
  OPTIONAL { ?doc kg:sourcePath ?path }
}"""
_DOC_MENTIONS = _PREFIXES + """
SELECT ?doc ?e (COUNT(DISTINCT ?ev) AS ?spans) WHERE {
  { SELECT ?doc WHERE { ?doc a kg:NewsArticle } }
  { SELECT ?doc ?e WHERE { ?doc schema:mentions ?e } }
  OPTIONAL {
    { SELECT ?ev WHERE { ?ev rdf:predicate schema:mentions } }
    { SELECT ?ev ?doc WHERE { ?ev rdf:subject ?doc } }
    { SELECT ?ev ?e WHERE { ?ev rdf:object ?e } }
    { SELECT ?ev WHERE { ?ev a kg:Evidence } }
  }
} GROUP BY ?doc ?e"""


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``: ``kg:hasCustomer`` → ``hasCustomer``."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def to_networkx(graph, view: str = "entities") -> nx.Graph:
    """Project ``graph`` (a :class:`~kg.graph.KnowledgeGraph`) to the NetworkX ``view``.

    Example:
        >>> to_networkx(g, view="co-mention").number_of_edges()   # doctest: +SKIP
        120
    """
    if view not in VIEWS:
        from .errors import InputError

        raise InputError(f"unknown view {view!r}; expected one of {', '.join(VIEWS)}")
    if view == "entities":
        G = nx.MultiDiGraph(view=view)
        _add_entities(G, graph)
        _add_relations(G, graph)
    elif view == "co-mention":
        G = nx.Graph(view=view)
        _add_entities(G, graph)
        _add_co_mentions(G, graph)
    else:
        G = nx.Graph(view=view)
        _add_documents(G, graph)
        _add_entities(G, graph, bipartite=1)
        _add_doc_mentions(G, graph)
    return G


def entity_nodes(graph) -> dict[str, dict]:
    """The attributes of every entity node, by IRI, in IRI order."""
    types: dict[str, set[str]] = defaultdict(set)
    for row in graph.query(_ENTITY_TYPES):
        types[row["e"]].add(local_name(row["type"]))
    names: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in graph.query(_ENTITY_NAMES):
        slot = "alt" if row["alt"] else (row["lang"] or "zh")
        names[row["e"]][slot].append(row["name"])
    same_as = defaultdict(list)
    for row in graph.query(_ENTITY_SAME_AS):
        same_as[row["e"]].append(row["same"])
    seen = {row["e"]: row for row in graph.query(_ENTITY_DOCS)}

    nodes = {}
    for iri in sorted(types):
        kinds = types[iri]
        kind = next(k for k in CORE_KINDS if k in kinds)
        n = names[iri]
        zh = sorted(n.get("zh", []))
        others = sorted(v for lang, vs in n.items() if lang not in {"zh", "alt", "en"} for v in vs)
        en = sorted(n.get("en", []))
        label = (zh or others or en or [local_name(iri)])[0]
        attrs: dict = {"label": label, "kind": kind}
        subtypes = sorted(kinds - set(CORE_KINDS) - {"Customer"})
        if subtypes:
            attrs["subtype"] = "|".join(subtypes)
        attrs["customer"] = "Customer" in kinds
        aliases = sorted(set(n.get("alt", [])) - {label})
        if aliases:
            attrs["aliases"] = "|".join(aliases)
        if en:
            attrs["label_en"] = en[0]
        qids = sorted(local_name(s) for s in same_as[iri] if "wikidata.org/entity/" in s)
        if qids:
            attrs["wikidata"] = qids[0]
        row = seen.get(iri)
        attrs["documents"] = int(row["docs"]) if row else 0
        # a document that mentions an entity has at least one span, even without evidence nodes
        attrs["mentions"] = max(int(row["spans"]), attrs["documents"]) if row else 0
        if row and row["first"]:
            attrs["first_seen"] = row["first"]
            attrs["last_seen"] = row["last"]
        nodes[iri] = attrs
    return nodes


def _add_entities(G: nx.Graph, graph, **extra) -> None:
    for iri, attrs in entity_nodes(graph).items():
        G.add_node(iri, **attrs, **extra)


def _add_relations(G: nx.MultiDiGraph, graph) -> None:
    rows = sorted(graph.query(_RELATIONS), key=lambda r: (r["s"], r["p"], r["o"]))
    for row in rows:
        if row["s"] not in G or row["o"] not in G:
            continue
        name = local_name(row["p"])
        attrs = {"label": name, "relation": row["p"], "weight": max(int(row["n"]), 1),
                 "documents": int(row["docs"])}
        if row["first"]:
            attrs["first_date"] = row["first"]
            attrs["last_date"] = row["last"]
        G.add_edge(row["s"], row["o"], key=name, **attrs)


def _add_co_mentions(G: nx.Graph, graph) -> None:
    sentences = {(r["a"], r["b"]): int(r["sentences"]) for r in graph.query(_SENTENCE_PAIRS)}
    mentioned: dict[str, set[str]] = defaultdict(set)
    for row in graph.query(_MENTIONED):
        if row["e"] in G:
            mentioned[row["doc"]].add(row["e"])
    dates: dict[str, list] = defaultdict(list)
    for row in graph.query(_DATES):
        dates[row["doc"]].append(row["d"])
    docs: dict[tuple[str, str], int] = defaultdict(int)
    first: dict[tuple[str, str], str | None] = {}
    for doc, entities in mentioned.items():
        # like SPARQL's MIN(STR(?date)): no date (or one STR() fails on) makes the minimum unbound
        date = None if not dates[doc] or None in dates[doc] else min(dates[doc])
        for pair in combinations(sorted(entities), 2):
            docs[pair] += 1
            if pair not in first:
                first[pair] = date
            elif first[pair] is not None:
                first[pair] = None if date is None else min(first[pair], date)
    for (a, b) in sorted(docs):
        n, sents = docs[a, b], sentences.get((a, b), 0)
        attrs = {"weight": n + sents, "documents": n, "sentences": sents}
        if first[a, b]:
            attrs["first_date"] = first[a, b]
        G.add_edge(a, b, **attrs)


def _add_documents(G: nx.Graph, graph) -> None:
    for row in sorted(graph.query(_DOCUMENTS), key=lambda r: r["doc"]):
        if row["doc"] in G:  # a document with two headlines or dates: keep the first row
            continue
        attrs: dict = {"label": row["title"] or local_name(row["doc"]), "kind": "Document", "bipartite": 0}
        if row["date"]:
            attrs["date"] = row["date"]
        if row["url"]:
            attrs["url"] = row["url"]
        if row["path"]:
            attrs["source_path"] = row["path"]
        G.add_node(row["doc"], **attrs)


def _add_doc_mentions(G: nx.Graph, graph) -> None:
    for row in sorted(graph.query(_DOC_MENTIONS), key=lambda r: (r["doc"], r["e"])):
        doc, e = row["doc"], row["e"]
        if doc not in G or e not in G:
            continue
        attrs = {"label": "mentions", "weight": max(int(row["spans"]), 1)}
        if "date" in G.nodes[doc]:
            attrs["first_date"] = G.nodes[doc]["date"]
        G.add_edge(doc, e, **attrs)


def node_time(attrs: dict) -> str | None:
    """The date a node enters the network (for GEXF's timeline): first seen, or published."""
    return attrs.get("first_seen") or attrs.get("date")


def edge_time(attrs: dict) -> str | None:
    """The date an edge enters the network: the first document that supports it."""
    return attrs.get("first_date")
