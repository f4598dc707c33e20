"""NetworkX projections of the RDF graph. The RDF is the only source of truth.

Node and edge attributes are plain ``str``/``int``/``float``/``bool`` values and avoid the keys
GEXF reserves (``id``, ``label``, ``type``, ``weight``, ``start``, ``end``) except for their
GEXF meaning: ``label`` is the display name and ``weight`` the number of supporting sentences.

Example:
    >>> import kg
    >>> G = kg.build(["seeds/"]).to_networkx()       # doctest: +SKIP
    >>> G.nodes["https://w3id.org/kg-news/id/company/cambricon"]["kind"]  # doctest: +SKIP
    'Company'
"""

from __future__ import annotations

import networkx as nx

VIEWS = ("entities",)

_NODES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?e ?label ?kind (COUNT(DISTINCT ?doc) AS ?docs) WHERE {
  ?e a ?kind ; rdfs:label ?label . FILTER(lang(?label) = "zh")
  VALUES ?kind { kg:Company kg:Product kg:Site }
  OPTIONAL { ?doc schema:mentions ?e }
} GROUP BY ?e ?label ?kind
"""
_EDGES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX kg: <https://w3id.org/kg-news/ontology#>
SELECT ?s ?p ?o (COUNT(DISTINCT ?ev) AS ?n) WHERE {
  ?ev a kg:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  ?s ?p ?o .
  FILTER(STRSTARTS(STR(?p), STR(kg:)) && ?p != kg:hasFigure)
} GROUP BY ?s ?p ?o
"""


def to_networkx(graph, view: str = "entities") -> nx.MultiDiGraph:
    """Project ``graph`` (a :class:`~kg.graph.KnowledgeGraph`) to NetworkX."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; expected one of {', '.join(VIEWS)}")
    G = nx.MultiDiGraph(name="kg entities")
    for row in graph.query(_NODES):
        G.add_node(row["e"], label=row["label"], kind=row["kind"].rsplit("#", 1)[-1], mentions=int(row["docs"]))
    for row in sorted(graph.query(_EDGES), key=lambda r: (r["s"], r["p"], r["o"])):
        relation = row["p"].rsplit("#", 1)[-1]
        if row["s"] in G and row["o"] in G:
            G.add_edge(row["s"], row["o"], key=relation, label=relation, relation=row["p"], weight=int(row["n"]))
    return G
