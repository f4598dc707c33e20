"""The kg ontology as Python names: ``KG`` mirrors ``ontology/kg.ttl`` term for term.

``KG`` is a closed :class:`rdflib.namespace.DefinedNamespace`: a misspelt term raises
``AttributeError`` instead of silently minting a new IRI. ``tests/test_vocab.py`` checks that
the class and ``kg.ttl`` declare the same terms.

Example:
    >>> from rdflib import Graph, Literal, URIRef
    >>> from kg.vocab import KG
    >>> str(KG.hasCustomer)
    'https://w3id.org/kg-news/ontology#hasCustomer'
    >>> g = Graph()
    >>> cambricon = URIRef("https://w3id.org/kg-news/id/company/cambricon")
    >>> g.add((cambricon, KG.key, Literal("cambricon")))  # doctest: +ELLIPSIS
    <Graph ...>
    >>> KG.hasCustommer
    Traceback (most recent call last):
    ...
    AttributeError: term 'hasCustommer' not in namespace 'https://w3id.org/kg-news/ontology#'
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

# External vocabularies the ontology and the mapping use.
SCHEMA = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
ORG = Namespace("http://www.w3.org/ns/org#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
WD = Namespace("http://www.wikidata.org/entity/")  # items: wd:Q783794
WDT = Namespace("http://www.wikidata.org/prop/direct/")  # direct properties: wdt:P176

ONTOLOGY_IRI = URIRef("https://w3id.org/kg-news/ontology")


class KG(DefinedNamespace):
    """Terms of the kg-news ontology (``kg:``); see ``ontology/kg.ttl`` for definitions.

    >>> KG.Company in KG
    True
    """

    _NS = Namespace("https://w3id.org/kg-news/ontology#")
    _fail = True

    # Core entity types: every entity has exactly one of these.
    Company: URIRef
    """A business, or a business unit acting as a company."""
    Product: URIRef
    """A named product (chip, card, platform, device, software, vehicle)."""
    Site: URIRef
    """A named place: facility, administrative area or region."""

    # Roles.
    Customer: URIRef
    """Role: a Company or a Site that buys or uses another party's product."""

    # Product subtypes.
    Chip: URIRef
    """A named integrated circuit."""
    AcceleratorCard: URIRef
    """A board carrying chips to accelerate computing."""
    Platform: URIRef
    """A hardware or software platform other products build on."""
    Device: URIRef
    """An end device or piece of equipment."""
    Software: URIRef
    """A software product or online service."""
    Vehicle: URIRef
    """A vehicle model."""

    # Site subtypes.
    Facility: URIRef
    """A fab, plant, campus, data or computing center."""
    AdministrativeArea: URIRef
    """A country, province, city or district."""
    Region: URIRef
    """A non-administrative region such as 北美."""

    # Documents, provenance, figures.
    NewsArticle: URIRef
    """An ingested news document."""
    Evidence: URIRef
    """Provenance of one asserted triple."""
    Figure: URIRef
    """A number reported about an entity."""

    # Relations between entities (subject → object).
    hasCustomer: URIRef
    """Company → Customer (Company or Site); inverse customerOf."""
    customerOf: URIRef
    """Customer → Company; inverse hasCustomer."""
    supplierOf: URIRef
    """Company → Company or Site; sub-property of hasCustomer."""
    develops: URIRef
    """Company → Product."""
    manufactures: URIRef
    """Company → Product; inverse manufacturedBy."""
    manufacturedBy: URIRef
    """Product → Company; inverse manufactures."""
    basedOn: URIRef
    """Product → Product."""
    operatesAt: URIRef
    """Company → Site."""
    locatedIn: URIRef
    """Site or Company → Site; transitive."""
    partnerOf: URIRef
    """Company → Company; symmetric."""
    acquires: URIRef
    """Company → Company."""
    invests: URIRef
    """Company → Company (invests in or owns)."""
    competitor: URIRef
    """Company → Company; symmetric."""
    hasFigure: URIRef
    """Company, Product or Site → Figure."""

    # Document data.
    sourcePath: URIRef
    """Input file path, relative to the input root."""
    contentHash: URIRef
    """Lower-case hex SHA-256 of the input file."""
    text: URIRef
    """Clean text that all offsets refer to."""

    # Evidence data (offsets count code points in kg:text; end is exclusive).
    sentence: URIRef
    """The sentence stating the triple."""
    sentenceStart: URIRef
    """Start offset of the sentence (xsd:integer)."""
    sentenceEnd: URIRef
    """End offset of the sentence, exclusive (xsd:integer)."""
    start: URIRef
    """Start offset of the supporting span (xsd:integer)."""
    end: URIRef
    """End offset of the supporting span, exclusive (xsd:integer)."""
    surface: URIRef
    """Text as written (mention or figure)."""
    rule: URIRef
    """Extraction rule id, e.g. customer.test_at."""
    confidence: URIRef
    """Extractor confidence, xsd:decimal in [0, 1]."""

    # Entity and figure data.
    key: URIRef
    """Canonical key the entity IRI was minted from."""
    figureKind: URIRef
    """One of revenue, growth, margin, shipments, price, spec, other."""
    period: URIRef
    """Period a figure refers to, as stated."""


FIGURE_KINDS = ("revenue", "growth", "margin", "shipments", "price", "spec", "other")
"""Allowed values of ``kg:figureKind`` (the shapes enforce this list)."""

__all__ = ["KG", "SCHEMA", "PROV", "ORG", "SKOS", "WD", "WDT", "ONTOLOGY_IRI", "FIGURE_KINDS"]
