"""Map extractions and resolved entities to RDF quads (see ARCHITECTURE.md, "RDF design").

Every document gets its own named graph holding what it asserts, with one evidence node per
asserted triple; resolved entity descriptions go to ``kgr:graph/entities``; the build record to
``kgr:graph/build``. Quads come out sorted, so the same input always gives the same output.

Example:
    >>> from kg.model import Document, Extraction
    >>> doc = Document(doc_id="d", path="d.txt", text="寒武纪", content_hash="0")
    >>> quads = document_quads(Extraction(doc=doc), resolve_none())
    >>> any(str(p).endswith("#text") for _, p, _, _ in quads)
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.namespace import OWL

from .iri import mint
from .model import Extraction
from .resolve import Entity, Resolution
from .vocab import KG, PROV, SCHEMA, SKOS, WD

Quad = tuple[URIRef, URIRef, object, URIRef]

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


def resolve_none() -> Resolution:
    """An empty resolution (for documents without entities)."""
    return Resolution()


def entity_iri(kind: str, key: str) -> URIRef:
    """IRI of a resolved entity: ``kgr:company/cambricon``."""
    return mint(kind.lower(), key)


def doc_iri(doc_id: str) -> URIRef:
    return mint("doc", doc_id)


def graph_iri(name: str) -> URIRef:
    return mint("graph", name)


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def _dec(x: float) -> Literal:
    return Literal(Decimal(str(round(x, 6))).normalize(), datatype=XSD.decimal)


def document_quads(extraction: Extraction, resolution: Resolution) -> list[Quad]:
    """Quads of the named graph of one document."""
    doc = extraction.doc
    g = graph_iri(doc.doc_id)
    d = doc_iri(doc.doc_id)
    quads: list[Quad] = [
        (d, RDF.type, KG.NewsArticle, g),
        (d, KG.sourcePath, Literal(doc.path), g),
        (d, KG.contentHash, Literal(doc.content_hash), g),
        (d, KG.text, Literal(doc.text), g),
    ]
    if doc.title:
        quads.append((d, SCHEMA.headline, Literal(doc.title, lang="zh"), g))
    if doc.date:
        quads.append((d, SCHEMA.datePublished, Literal(doc.date, datatype=XSD.date), g))
    if doc.author:
        quads.append((d, SCHEMA.author, Literal(doc.author), g))
    for category in doc.categories:
        quads.append((d, SCHEMA.keywords, Literal(category), g))
    if doc.image and doc.image.startswith(("http://", "https://")):
        quads.append((d, SCHEMA.image, URIRef(doc.image), g))
    if doc.url and doc.url.startswith(("http://", "https://")):
        quads.append((d, SCHEMA.url, URIRef(doc.url), g))

    counter = 0

    def evidence(s, p, o, *, start, end, sent, rule, confidence, surface=None) -> None:
        nonlocal counter
        counter += 1
        ev = mint("evidence", doc.doc_id, counter)
        quads.extend([
            (ev, RDF.type, KG.Evidence, g),
            (ev, RDF.subject, s, g),
            (ev, RDF.predicate, p, g),
            (ev, RDF.object, o, g),
            (ev, PROV.wasDerivedFrom, d, g),
            (ev, KG.sentence, Literal(doc.text[sent[0]:sent[1]]), g),
            (ev, KG.sentenceStart, _int(sent[0]), g),
            (ev, KG.sentenceEnd, _int(sent[1]), g),
            (ev, KG.start, _int(start), g),
            (ev, KG.end, _int(end), g),
            (ev, KG.rule, Literal(rule), g),
            (ev, KG.confidence, _dec(confidence), g),
            (ev, PROV.atLocation, URIRef(f"{d}#char={start},{end}"), g),
        ])
        if surface is not None:
            quads.append((ev, KG.surface, Literal(surface), g))

    def sentence_of(pos: int) -> tuple[int, int]:
        for s, e in extraction.sentences:
            if s <= pos < e:
                return s, e
        return pos, pos

    iri_of = {}
    for ent in extraction.entities:
        kind, key = resolution.key_of(doc.doc_id, ent.local_id)
        iri = iri_of[ent.local_id] = entity_iri(kind, key)
        quads.append((d, SCHEMA.mentions, iri, g))
        for m in sorted(ent.mentions, key=lambda m: (m.start, m.end)):
            evidence(d, SCHEMA.mentions, iri, start=m.start, end=m.end, sent=sentence_of(m.start),
                     rule=m.rule, confidence=m.confidence, surface=m.text)

    for rel in extraction.relations:
        if rel.predicate not in _PREDICATES:
            raise ValueError(f"unknown predicate {rel.predicate!r}")
        s, p, o = iri_of[rel.subject], KG[rel.predicate], iri_of[rel.object]
        quads.append((s, p, o, g))
        if rel.predicate in {"hasCustomer", "supplierOf"}:
            quads.append((o, RDF.type, KG.Customer, g))
        evidence(s, p, o, start=rel.start, end=rel.end, sent=(rel.sentence_start, rel.sentence_end),
                 rule=rel.rule, confidence=rel.confidence)

    for n, fig in enumerate(extraction.figures, start=1):
        f = mint("figure", doc.doc_id, n)
        s = iri_of[fig.subject]
        quads.extend([
            (s, KG.hasFigure, f, g),
            (f, RDF.type, KG.Figure, g),
            (f, KG.figureKind, Literal(fig.kind), g),
            (f, SCHEMA.value, _dec(fig.value), g),
            (f, SCHEMA.unitText, Literal(fig.unit), g),
            (f, KG.surface, Literal(fig.surface), g),
        ])
        if fig.period:
            quads.append((f, KG.period, Literal(fig.period), g))
        evidence(s, KG.hasFigure, f, start=fig.start, end=fig.end,
                 sent=(fig.sentence_start, fig.sentence_end), rule=fig.rule, confidence=fig.confidence)
    return sorted(set(quads), key=_sort_key)


def entity_quads(entities: Iterable[Entity]) -> list[Quad]:
    """Quads of ``kgr:graph/entities``: type, labels, aliases and Wikidata links."""
    g = graph_iri(ENTITIES_GRAPH_KEY)
    quads: list[Quad] = []
    for ent in entities:
        e = entity_iri(ent.kind, ent.key)
        quads.append((e, RDF.type, KG[ent.kind], g))
        if ent.subtype in _SUBTYPES:
            quads.append((e, RDF.type, KG[ent.subtype], g))
        quads.append((e, RDFS.label, Literal(ent.label, lang="zh"), g))
        quads.append((e, KG.key, Literal(ent.key), g))
        if ent.label_en:
            quads.append((e, RDFS.label, Literal(ent.label_en, lang="en"), g))
        for alias in sorted(ent.aliases):
            lang = "en" if alias.isascii() else "zh"
            quads.append((e, SKOS.altLabel, Literal(alias, lang=lang), g))
        if ent.qid:
            quads.append((e, OWL.sameAs, WD[ent.qid], g))
    return sorted(set(quads), key=_sort_key)


def build_quads(*, version: str, started: str, ended: str, inputs: dict[str, str]) -> list[Quad]:
    """Quads of ``kgr:graph/build``: a prov:Activity with software version, times and input hashes."""
    import hashlib

    g = graph_iri(BUILD_GRAPH_KEY)
    digest = hashlib.sha256("\n".join(f"{p}\t{h}" for p, h in sorted(inputs.items())).encode()).hexdigest()[:16]
    b = mint("build", digest)
    quads: list[Quad] = [
        (b, RDF.type, PROV.Activity, g),
        (b, RDFS.label, Literal(f"kg build {version}"), g),
        (b, SCHEMA.softwareVersion, Literal(version), g),
        (b, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime), g),
        (b, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime), g),
    ]
    for path, sha in sorted(inputs.items()):
        i = mint("input", sha)
        quads.extend([
            (b, PROV.used, i, g),
            (i, RDF.type, PROV.Entity, g),
            (i, KG.sourcePath, Literal(path), g),
            (i, KG.contentHash, Literal(sha), g),
        ])
    return quads


def _sort_key(q: Quad) -> tuple[str, ...]:
    return tuple(t.n3() if hasattr(t, "n3") else str(t) for t in (q[3], q[0], q[1], q[2]))


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib Dataset holding ``quads`` with kg's prefixes bound."""
    ds = Dataset()
    bind_prefixes(ds)
    for s, p, o, g in quads:
        ds.add((s, p, o, g))
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


def bind_prefixes(graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
