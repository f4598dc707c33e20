"""From a tagged spaCy Doc to mentions, entities, relations and figures (plain dataclasses).

:func:`extract` runs the pipeline on a :class:`~kg.model.Document` and returns an
:class:`~kg.model.Extraction`: mentions grouped into one :class:`~kg.model.DocEntity` per thing,
the relations the sentences state (see :mod:`kg.relations`) and the figures they report (see
:mod:`kg.figures`).

Example:
    >>> from kg.model import Document
    >>> doc = Document(doc_id="d", path="d.txt", text="寒武纪与招商银行合作。", content_hash="0")
    >>> sorted(e.label for e in extract(doc).entities)
    ['寒武纪', '招商银行']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc

from .components import doc_text, ent_info
from .gazetteer import load_gazetteer
from .model import DocEntity, Document, Extraction, Mention, Relation
from .nlp import load_pipeline
from .normalize import norm_key

# 中科寒武纪科技股份有限公司（以下简称“寒武纪”） and 格芯（GlobalFoundries）
_SHORT_FORM = re.compile(r"^[（(]\s*(?:以下)?(?:简称|下称)\s*[“\"「『]?([^”\"」』）)]{1,20})[”\"」』]?\s*[）)]")
_ENGLISH_ALIAS = re.compile(r"^[（(]\s*([A-Za-z][A-Za-z0-9 .&\-]{1,40}?)\s*[）)]")


def sentences_of(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) character offsets of each non-empty sentence, whitespace trimmed."""
    out = []
    full = doc_text(doc)
    for sent in doc.sents:
        text = full[sent.start_char: sent.end_char]  # Span.text would join its tokens
        lead = len(text) - len(text.lstrip())
        trail = len(text.rstrip())
        if trail > lead:
            out.append((sent.start_char + lead, sent.start_char + trail))
    return out


def mentions_of(doc: Doc) -> list[Mention]:
    """One :class:`Mention` per entity span in ``doc.ents``."""
    out = []
    text = doc_text(doc)
    for ent in doc.ents:
        info = ent_info(doc, ent)
        out.append(Mention(
            start=ent.start_char, end=ent.end_char, text=text[ent.start_char: ent.end_char], kind=ent.label_, rule=info.rule,
            confidence=info.confidence, key=info.key or None, subtype=info.subtype or None,
        ))
    return out


# MLU370-S4 / X4 / X8, A100/A800: a model code followed by short forms of its siblings
_CODE_LIST = re.compile(
    r"([A-Za-z][A-Za-z0-9]*?)([-_]?)([A-Za-z]*\d+[A-Za-z0-9]*)((?:\s*[/／]\s*[A-Za-z]{0,3}\d+[A-Za-z0-9]*(?![-A-Za-z0-9]))+)"
)
_SHORT = re.compile(r"[/／]\s*([A-Za-z]{0,3}\d+[A-Za-z0-9]*)(?![-A-Za-z0-9])")


def expand_short_forms(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions for short forms of product codes: the X4 and X8 of ``MLU370-S4 / X4 / X8``,
    and later bare uses of a code's suffix (``X4`` after ``MLU370-X4``)."""
    added: list[Mention] = []
    taken = {(m.start, m.end) for m in mentions}
    for m in mentions:
        if m.kind != "Product":
            continue
        tail = text[m.end: m.end + 40]
        full = _CODE_LIST.match(m.text + tail)
        if not full or full.end() <= len(m.text):
            continue
        prefix, sep = full.group(1), full.group(2)
        if not sep or full.group(0)[: len(m.text)] != m.text:
            continue
        for short in _SHORT.finditer(full.group(4)):
            start = m.end + short.start(1)
            end = m.end + short.end(1)
            name = f"{prefix}{sep}{short.group(1)}"
            if (start, end) not in taken:
                added.append(Mention(start, end, short.group(1), "Product", "abbreviation.list",
                                     0.8, None, m.subtype, canonical=name))
                taken.add((start, end))
    # bare suffixes later in the text: "X4" after "MLU370-X4"
    families = {}
    for m in mentions + added:
        name = m.canonical or m.text
        if m.kind == "Product" and "-" in name:
            suffix = name.rsplit("-", 1)[1]
            if len(suffix) >= 2 and any(c.isdigit() for c in suffix) and any(c.isalpha() for c in suffix):
                families.setdefault(suffix, set()).add(name)
    for suffix, names in families.items():
        if len(names) != 1:
            continue  # two families share the suffix: no guessing
        for found in re.finditer(rf"(?<![A-Za-z0-9\-/]){re.escape(suffix)}(?![A-Za-z0-9\-])", text):
            span = (found.start(), found.end())
            if span not in taken and not any(s <= span[0] < e for s, e in taken):
                added.append(Mention(span[0], span[1], suffix, "Product", "abbreviation.family", 0.7,
                                     None, None, canonical=next(iter(names))))
                taken.add(span)
    return mentions + added


def group_mentions(text: str, mentions: Iterable[Mention]) -> list[DocEntity]:
    """Group mentions into document entities: by gazetteer key, else by normalised name.

    Aliases introduced in the text (``（以下简称“寒武纪”）``, an English name in brackets) join
    the entity they follow.
    """
    gaz = load_gazetteer()
    mentions = sorted(mentions, key=lambda m: (m.start, m.end))
    groups: dict[tuple[str, str], DocEntity] = {}
    alias_of: dict[tuple[str, str], tuple[str, str]] = {}

    by_name: dict[tuple[str, str], tuple[str, str]] = {}

    def group_key(m: Mention) -> tuple[str, str]:
        name = m.canonical or m.text
        if m.key:
            return (m.kind, m.key)
        k = by_name.get((m.kind, "~" + norm_key(name)), (m.kind, "~" + norm_key(name)))
        return alias_of.get((m.kind, "~" + norm_key(name)), k)

    # known names first, so that short forms and plain mentions join their groups
    for m in sorted(mentions, key=lambda m: (m.key is None, m.start, m.end)):
        key = group_key(m)
        ent = groups.get(key)
        if ent is None:
            entry = gaz.get(m.kind, m.key) if m.key else None
            ent = DocEntity(local_id=f"e{len(groups)}", kind=m.kind,
                            label=entry.name if entry else (m.canonical or m.text), key=m.key, subtype=m.subtype)
            groups[key] = ent
        if m.key:  # a known name also claims its plain-name group (MLU370-X4 by key and by text)
            by_name.setdefault((m.kind, "~" + norm_key(m.text)), key)
        ent.mentions.append(m)
        if ent.subtype is None and m.subtype:
            ent.subtype = m.subtype
        # an alias defined right after this mention
        tail = text[m.end: m.end + 40]
        for pattern in (_SHORT_FORM, _ENGLISH_ALIAS):
            found = pattern.match(tail)
            if found:
                alias = found.group(1).strip()
                ent.aliases.add(alias)
                alias_of[(m.kind, "~" + norm_key(alias))] = key
    entities = list(groups.values())
    _mentions_of_aliases(text, entities)
    _brand_aliases(text, entities)
    return entities


def _brand_aliases(text: str, entities: list[DocEntity]) -> None:
    """``vivo X90`` is a name of the product X90 too: the brand right before a product's name."""
    company_ends = {m.end: m for e in entities if e.kind == "Company" for m in e.mentions}
    for ent in entities:
        if ent.kind != "Product":
            continue
        for m in ent.mentions:
            brand = company_ends.get(m.start - 1) if text[m.start - 1: m.start] == " " else None
            if brand is not None and not m.text.startswith(brand.text):
                ent.aliases.add(f"{brand.text} {m.text}")


def _mentions_of_aliases(text: str, entities: list[DocEntity]) -> None:
    """Later uses of a short form the text defined (以下简称“星辰微”) are mentions too."""
    taken = [(m.start, m.end) for e in entities for m in e.mentions]
    for ent in entities:
        for alias in sorted(ent.aliases, key=len, reverse=True):
            if len(alias) < 2:
                continue
            for found in re.finditer(re.escape(alias), text):
                s, e = found.span()
                if any(a < e and s < b for a, b in taken):
                    continue
                if alias.isascii() and ((s > 0 and text[s - 1].isalnum()) or (e < len(text) and text[e].isalnum())):
                    continue
                ent.mentions.append(Mention(s, e, alias, ent.kind, "alias.defined", 0.85, ent.key, ent.subtype))
                taken.append((s, e))


def extract(document: Document, nlp: Language | None = None) -> Extraction:
    """Run the NLP pipeline on ``document`` and collect entities, relations and figures."""
    from .figures import find_figures
    from .relations import find_relations

    nlp = nlp or load_pipeline()
    doc = nlp(document.text)
    return extract_from_doc(document, doc, find_relations=find_relations, find_figures=find_figures)


def extract_from_doc(document: Document, doc: Doc, *, find_relations=None, find_figures=None) -> Extraction:
    """Build the :class:`Extraction` of an already processed spaCy ``doc``."""
    result = Extraction(doc=document, sentences=sentences_of(doc))
    result.entities = group_mentions(document.text, expand_short_forms(document.text, mentions_of(doc)))
    if find_relations is not None:
        result.relations = find_relations(result)
    if find_figures is not None:
        result.figures = find_figures(result)
    result.relations += facility_places(result)
    customers = {r.object for r in result.relations if r.predicate in {"hasCustomer", "supplierOf"}}
    for ent in result.entities:
        ent.customer = ent.customer or ent.local_id in customers
    return result


def facility_places(extraction: Extraction) -> list[Relation]:
    """``locatedIn`` from a facility's name to the place it starts with: 昆山智能计算中心 → 昆山.

    The place joins the document's entities when the text names it only inside the facility.
    """
    gaz = load_gazetteer()
    out: list[Relation] = []
    stated = {(r.subject, r.object) for r in extraction.relations if r.predicate == "locatedIn"}
    located = {r.subject for r in extraction.relations if r.predicate == "locatedIn"}
    by_key = {(e.kind, e.key): e for e in extraction.entities if e.key}
    for ent in list(extraction.entities):
        if ent.kind != "Site" or ent.subtype != "Facility" or ent.local_id in located:
            continue  # the text says where it lies: no need to read it from the name
        for m in ent.mentions:
            place = None
            for length in range(min(8, len(m.text) - 2), 1, -1):
                entries = [e for e in gaz.find(m.text[:length]) if e.kind == "Site" and e.level]
                if entries:
                    place = min(entries, key=lambda e: ("country", "province", "city", "region", "county", "zone",
                                                        "world_city", "town").index(e.level)
                                if e.level in ("country", "province", "city", "region", "county", "zone",
                                               "world_city", "town") else 9)
                    break
            if place is None:
                continue
            # 阿里云数据中心 is anchored on the company 阿里云, not on the place 阿里
            if any(e.kind == "Company" for n in range(length + 1, min(10, len(m.text)) + 1)
                   for e in gaz.find(m.text[:n])):
                continue
            target = by_key.get(("Site", place.key))
            if target is None:
                target = DocEntity(local_id=f"e{len(extraction.entities)}", kind="Site", label=place.name,
                                   key=place.key, subtype="AdministrativeArea" if place.level in
                                   {"province", "city", "county", "town"} else None)
                target.mentions.append(Mention(m.start, m.start + length, m.text[:length], "Site",
                                               "pattern.facility_place", 0.85, place.key))
                extraction.entities.append(target)
                by_key[("Site", place.key)] = target
            if (ent.local_id, target.local_id) in stated:
                break
            sent = next(((s, e) for s, e in extraction.sentences if s <= m.start < e), (m.start, m.end))
            out.append(Relation(ent.local_id, "locatedIn", target.local_id, m.start, m.end, sent[0], sent[1],
                                "located.facility_name", 0.85))
            stated.add((ent.local_id, target.local_id))
            break
    return out


def to_gold_format(extraction: Extraction) -> dict:
    """The extraction in the JSON shape of the gold annotations (for ``kg eval``)."""
    names = {e.local_id: e.label for e in extraction.entities}
    return {
        "doc": extraction.doc.path,
        "entities": [
            {"name": e.label, "aliases": sorted(set(e.surfaces) - {e.label}), "type": e.kind,
             "customer": e.customer}
            for e in extraction.entities
        ],
        "relations": [
            {"subject": names[r.subject], "predicate": r.predicate, "object": names[r.object],
             "evidence": extraction.doc.text[r.sentence_start: r.sentence_end]}
            for r in extraction.relations
        ],
        "facts": [
            # the gold annotation files gross margins under "other"
            {"subject": names[f.subject], "kind": "other" if f.kind == "margin" else f.kind,
             "value": f.surface, "period": f.period}
            for f in extraction.figures
        ],
    }
