"""Map extractions and resolved entities to RDF quads (see ARCHITECTURE.md, "RDF design").

Every document gets its own named graph holding what it asserts, with one evidence node per
asserted triple; resolved entity descriptions go to ``kgr:graph/entities``; the build record to
``kgr:graph/build``. Quads come out sorted, so the same input always gives the same output.

Example:
    >>> from kg.model import Document, Extraction
    >>> doc = Document(doc_id="d", path="d.txt", text="寒武纪", content_hash="0")
    >>> quads = document_quads(Extraction(doc=doc), resolve_none())
    >>> any(q.predicate.value.endswith("#text") for q in quads)
    True
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pyoxigraph as ox

from rdflib import RDF, RDFS, XSD, Dataset, URIRef
from rdflib.namespace import OWL

from .iri import mint, mint_str
from .model import Extraction
from .resolve import Entity, Resolution
from .vocab import KG, PROV, SCHEMA, SKOS, WD

Quad = ox.Quad

ENTITIES_GRAPH_KEY = "entities"
BUILD_GRAPH_KEY = "build"
_SUBTYPES = {
    "Chip", "AcceleratorCard", "Platform", "Device", "Software", "Vehicle", "Facility",
    "AdministrativeArea", "Region",
}
_PREDICATES = {
    "hasCustomer", "supplierOf", "develops", "manufactures", "manufacturedBy", "basedOn",
    "operatesAt", "locatedIn", "partnerOf", "acquires", "invests", "competitor",
}


@functools.lru_cache(maxsize=4096)
def _nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _t(term: URIRef) -> ox.NamedNode:
    """A vocabulary term (rdflib) as an Oxigraph node."""
    return _nn(str(term))


XSD_INTEGER = _t(XSD.integer)
XSD_DECIMAL = _t(XSD.decimal)
XSD_DATE = _t(XSD.date)
XSD_DATETIME = _t(XSD.dateTime)
RDF_TYPE, RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = _t(RDF.type), _t(RDF.subject), _t(RDF.predicate), _t(RDF.object)


def resolve_none() -> Resolution:
    """An empty resolution (for documents without entities)."""
    return Resolution()


def is_local(quad: Quad, doc_id: str) -> bool:
    """Whether ``quad`` of a document graph can only come from that document.

    Its subject was minted for the document (the document, its evidence and figure nodes), so no
    other graph states the triple; relations and roles between entities may be stated by many.
    """
    return quad.subject.value.startswith(_local_prefixes(doc_id))


@functools.lru_cache(maxsize=1024)
def _local_prefixes(doc_id: str) -> tuple[str, ...]:
    doc = mint_str("doc", doc_id)
    return doc, mint_str("evidence", doc_id) + "/", mint_str("figure", doc_id) + "/"


def entity_iri(kind: str, key: str) -> URIRef:
    """IRI of a resolved entity: ``kgr:company/cambricon``."""
    return mint(kind.lower(), key)


def doc_iri(doc_id: str) -> URIRef:
    return mint("doc", doc_id)


def graph_iri(name: str) -> URIRef:
    return mint("graph", name)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(int(n)), datatype=XSD_INTEGER)


def _dec(x: float) -> ox.Literal:
    text = format(Decimal(str(round(x, 6))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ox.Literal(text or "0", datatype=XSD_DECIMAL)


def _lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def document_quads(extraction: Extraction, keys: Resolution | Mapping[str, tuple[str, str]]) -> list[Quad]:
    """Quads of the named graph of one document, in a stable order.

    ``keys`` gives each document entity's resolved ``(kind, key)``: a :class:`Resolution` of
    the corpus, or ``{local_id: (kind, key)}`` for this document alone.
    """
    doc = extraction.doc
    if isinstance(keys, Resolution):
        keys = {ent.local_id: keys.key_of(doc.doc_id, ent.local_id) for ent in extraction.entities}
    g = _nn(mint_str("graph", doc.doc_id))
    d_str = mint_str("doc", doc.doc_id)
    d = _nn(d_str)
    quads: list[Quad] = [
        ox.Quad(d, RDF_TYPE, _t(KG.NewsArticle), g),
        ox.Quad(d, _t(KG.sourcePath), _lit(doc.path), g),
        ox.Quad(d, _t(KG.contentHash), _lit(doc.content_hash), g),
        ox.Quad(d, _t(KG.text), _lit(doc.text), g),
    ]
    if doc.title:
        quads.append(ox.Quad(d, _t(SCHEMA.headline), _lit(doc.title, "zh"), g))
    if doc.date:
        quads.append(ox.Quad(d, _t(SCHEMA.datePublished), ox.Literal(doc.date, datatype=XSD_DATE), g))
    if doc.author:
        quads.append(ox.Quad(d, _t(SCHEMA.author), _lit(doc.author), g))
    for category in doc.categories:
        quads.append(ox.Quad(d, _t(SCHEMA.keywords), _lit(category), g))
    for prop, url in ((SCHEMA.image, doc.image), (SCHEMA.url, doc.url)):
        if url and url.startswith(("http://", "https://")):
            try:
                quads.append(ox.Quad(d, _t(prop), ox.NamedNode(url), g))
            except ValueError:
                pass  # not a valid IRI: the URL stays in the source file only

    counter = 0
    ev_type, derived, sentence = _t(KG.Evidence), _t(PROV.wasDerivedFrom), _t(KG.sentence)
    s_start, s_end, start_p, end_p = _t(KG.sentenceStart), _t(KG.sentenceEnd), _t(KG.start), _t(KG.end)
    rule_p, conf_p, loc_p, surface_p = _t(KG.rule), _t(KG.confidence), _t(PROV.atLocation), _t(KG.surface)

    def evidence(s, p, o, *, start, end, sent, rule, confidence, surface=None) -> None:
        nonlocal counter
        counter += 1
        ev = _nn(f"{mint_str('evidence', doc.doc_id)}/{counter}")
        quads.extend((
            ox.Quad(ev, RDF_TYPE, ev_type, g),
            ox.Quad(ev, RDF_SUBJECT, s, g),
            ox.Quad(ev, RDF_PREDICATE, p, g),
            ox.Quad(ev, RDF_OBJECT, o, g),
            ox.Quad(ev, derived, d, g),
            ox.Quad(ev, sentence, _lit(doc.text[sent[0]:sent[1]]), g),
            ox.Quad(ev, s_start, _int(sent[0]), g),
            ox.Quad(ev, s_end, _int(sent[1]), g),
            ox.Quad(ev, start_p, _int(start), g),
            ox.Quad(ev, end_p, _int(end), g),
            ox.Quad(ev, rule_p, _lit(rule), g),
            ox.Quad(ev, conf_p, _dec(confidence), g),
            ox.Quad(ev, loc_p, ox.NamedNode(f"{d_str}#char={start},{end}"), g),
        ))
        if surface is not None:
            quads.append(ox.Quad(ev, surface_p, _lit(surface), g))

    starts = [s for s, _ in extraction.sentences]

    def sentence_of(pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos < extraction.sentences[i][1]:
            return extraction.sentences[i]
        return pos, pos

    mentions = _t(SCHEMA.mentions)
    iri_of = {}
    for ent in extraction.entities:
        kind, key = keys[ent.local_id]
        iri = iri_of[ent.local_id] = _nn(mint_str(kind.lower(), key))
        quads.append(ox.Quad(d, mentions, iri, g))
        for m in sorted(ent.mentions, key=lambda m: (m.start, m.end)):
            evidence(d, mentions, iri, start=m.start, end=m.end, sent=sentence_of(m.start),
                     rule=m.rule, confidence=m.confidence, surface=m.text)

    for rel in extraction.relations:
        if rel.predicate not in _PREDICATES:
            raise ValueError(f"unknown predicate {rel.predicate!r}")
        s, p, o = iri_of[rel.subject], _t(KG[rel.predicate]), iri_of[rel.object]
        quads.append(ox.Quad(s, p, o, g))
        if rel.predicate in {"hasCustomer", "supplierOf"}:
            quads.append(ox.Quad(o, RDF_TYPE, _t(KG.Customer), g))
        evidence(s, p, o, start=rel.start, end=rel.end, sent=(rel.sentence_start, rel.sentence_end),
                 rule=rel.rule, confidence=rel.confidence)

    has_figure = _t(KG.hasFigure)
    for n, fig in enumerate(extraction.figures, start=1):
        f = _nn(f"{mint_str('figure', doc.doc_id)}/{n}")
        s = iri_of[fig.subject]
        quads.extend((
            ox.Quad(s, has_figure, f, g),
            ox.Quad(f, RDF_TYPE, _t(KG.Figure), g),
            ox.Quad(f, _t(KG.figureKind), _lit(fig.kind), g),
            ox.Quad(f, _t(SCHEMA.value), _dec(fig.value), g),
            ox.Quad(f, _t(SCHEMA.unitText), _lit(fig.unit), g),
            ox.Quad(f, _t(KG.surface), _lit(fig.surface), g),
        ))
        if fig.period:
            quads.append(ox.Quad(f, _t(KG.period), _lit(fig.period), g))
        evidence(s, has_figure, f, start=fig.start, end=fig.end,
                 sent=(fig.sentence_start, fig.sentence_end), rule=fig.rule, confidence=fig.confidence)
    return list(dict.fromkeys(quads))  # drop repeats, keep the (deterministic) order


def entity_quads(entities: Iterable[Entity]) -> list[Quad]:
    """Quads of ``kgr:graph/entities``: type, labels, aliases and Wikidata links."""
    g = _nn(mint_str("graph", ENTITIES_GRAPH_KEY))
    label, alt, key_p, same = _t(RDFS.label), _t(SKOS.altLabel), _t(KG.key), _t(OWL.sameAs)
    quads: list[Quad] = []
    for ent in entities:
        e = _nn(mint_str(ent.kind.lower(), ent.key))
        quads.append(ox.Quad(e, RDF_TYPE, _t(KG[ent.kind]), g))
        if ent.subtype in _SUBTYPES:
            quads.append(ox.Quad(e, RDF_TYPE, _t(KG[ent.subtype]), g))
        quads.append(ox.Quad(e, label, _lit(ent.label, "zh"), g))
        quads.append(ox.Quad(e, key_p, _lit(ent.key), g))
        if ent.label_en:
            quads.append(ox.Quad(e, label, _lit(ent.label_en, "en"), g))
        for alias in sorted(ent.aliases):
            quads.append(ox.Quad(e, alt, _lit(alias, "en" if alias.isascii() else "zh"), g))
        if ent.qid:
            quads.append(ox.Quad(e, same, _t(WD[ent.qid]), g))
    return list(dict.fromkeys(quads))


def build_quads(*, version: str, started: str, ended: str, inputs: dict[str, str]) -> list[Quad]:
    """Quads of ``kgr:graph/build``: a prov:Activity with software version, times and input hashes."""
    import hashlib

    g = _nn(mint_str("graph", BUILD_GRAPH_KEY))
    digest = hashlib.sha256("\n".join(f"{p}\t{h}" for p, h in sorted(inputs.items())).encode()).hexdigest()[:16]
    b = _nn(mint_str("build", digest))
    quads: list[Quad] = [
        ox.Quad(b, RDF_TYPE, _t(PROV.Activity), g),
        ox.Quad(b, _t(RDFS.label), _lit(f"kg build {version}"), g),
        ox.Quad(b, _t(SCHEMA.softwareVersion), _lit(version), g),
        ox.Quad(b, _t(PROV.startedAtTime), ox.Literal(started, datatype=XSD_DATETIME), g),
        ox.Quad(b, _t(PROV.endedAtTime), ox.Literal(ended, datatype=XSD_DATETIME), g),
    ]
    for path, sha in sorted(inputs.items()):
        i = _nn(mint_str("input", sha))
        quads.extend([
            ox.Quad(b, _t(PROV.used), i, g),
            ox.Quad(i, RDF_TYPE, _t(PROV.Entity), g),
            ox.Quad(i, _t(KG.sourcePath), _lit(path), g),
            ox.Quad(i, _t(KG.contentHash), _lit(sha), g),
        ])
    return quads


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib Dataset holding ``quads`` with kg's prefixes bound."""
    from .store import from_ox

    ds = Dataset()
    bind_prefixes(ds)
    for q in quads:
        ds.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), from_ox(q.graph_name)))
    return ds


PREFIXES = {
    "kg": str(KG),
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "skos": str(SKOS),
    "owl": str(OWL),
    "rdfs": str(RDFS),
    "rdf": str(RDF),
    "xsd": str(XSD),
    "wd": str(WD),
}
#: the same prefixes as SPARQL declarations, for queries written in Python
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def bind_prefixes(graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
