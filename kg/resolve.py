"""Entity resolution: one entity per real-world thing across the whole corpus.

Document entities are merged when they share a gazetteer key (寒武纪 = 中科寒武纪 = Cambricon),
or, for names no list knows, the same normalised name (NFKC, no spaces, case-folded, legal suffix
dropped). Entities of different types never merge. Every merge is recorded with its reason, so it
can be explained and undone.

Example:
    >>> from kg.model import DocEntity
    >>> a = DocEntity("e0", "Company", "卫蓝新能源")
    >>> b = DocEntity("e0", "Company", "卫蓝 新能源")
    >>> r = resolve({"d1": [a], "d2": [b]})
    >>> r.key_of("d1", "e0") == r.key_of("d2", "e0")
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .gazetteer import Gazetteer, load_gazetteer
from .model import DocEntity
from .normalize import norm_key, strip_legal_suffix


class Summary(NamedTuple):
    """What resolution needs of a document entity: its names, not its mentions' offsets.

    Builds keep one per document entity in memory (and in the cache manifest) instead of whole
    extractions, so resolving a large corpus costs little memory. A named tuple: an incremental
    build reads some 250,000 of them per 10,000 posts, and a tuple is made several times faster
    than a frozen dataclass.

    >>> from kg.model import DocEntity, Mention
    >>> ent = DocEntity("e0", "Company", "寒武纪", [Mention(0, 3, "寒武纪", "Company", "gazetteer")])
    >>> Summary.of(ent).surfaces
    (('寒武纪', 1),)
    """

    local_id: str
    kind: str
    label: str
    key: str | None = None
    subtype: str | None = None
    aliases: tuple[str, ...] = ()
    surfaces: tuple[tuple[str, int], ...] = ()  # mention text and how often it occurs

    @classmethod
    def of(cls, ent: "DocEntity | Summary") -> "Summary":
        if isinstance(ent, Summary):
            return ent
        counts = Counter(m.text for m in ent.mentions)
        return cls(ent.local_id, ent.kind, ent.label, ent.key, ent.subtype, tuple(sorted(ent.aliases)),
                   tuple(sorted(counts.items())))

    def to_list(self) -> list:
        return [self.local_id, self.kind, self.label, self.key, self.subtype, list(self.aliases),
                [list(s) for s in self.surfaces]]

    @classmethod
    def from_list(cls, data: list) -> "Summary":
        local_id, kind, label, key, subtype, aliases, surfaces = data
        return cls(local_id, kind, label, key, subtype, tuple(aliases), tuple(map(tuple, surfaces)))


@dataclass
class Entity:
    """A resolved, corpus-wide entity."""

    kind: str
    key: str  # gazetteer key, or "~" + normalised name
    label: str
    label_en: str = ""
    aliases: set[str] = field(default_factory=set)
    qid: str = ""
    subtype: str = ""
    known: bool = False  # from a gazetteer
    documents: set[str] = field(default_factory=set)


@dataclass
class Resolution:
    """Entities by (kind, key), the key of every document entity, and the merge log."""

    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    assignment: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    merges: list[dict] = field(default_factory=list)

    def key_of(self, doc_id: str, local_id: str) -> tuple[str, str]:
        return self.assignment[(doc_id, local_id)]

    def entity_of(self, doc_id: str, local_id: str) -> Entity:
        return self.entities[self.assignment[(doc_id, local_id)]]


def name_key(kind: str, name: str) -> str:
    """Canonical key of a name that no gazetteer knows."""
    base = strip_legal_suffix(name) if kind == "Company" else name
    return "~" + norm_key(base)


def entity_key(ent: DocEntity | Summary, gaz: Gazetteer) -> tuple[tuple[str, str], str]:
    """(kind, key) for a document entity, and the reason for it.

    This is the key the entity gets from its own names; :func:`resolve` may still merge a short
    name into another entity of the corpus (see ``_merge_short_names``).
    """
    ent = Summary.of(ent)
    if ent.key:
        return (ent.kind, ent.key), "gazetteer key"
    for surface in sorted({ent.label, *ent.aliases, *(text for text, _ in ent.surfaces)}):
        matches = [e for e in gaz.find(surface) if e.kind == ent.kind]
        if len(matches) == 1:  # only an unambiguous gazetteer name may decide
            return (ent.kind, matches[0].key), f"alias {surface!r} is a known name"
        base = strip_legal_suffix(surface) if ent.kind == "Company" else surface
        matches = [e for e in gaz.find(base) if e.kind == ent.kind]
        if base != surface and len(matches) == 1:
            return (ent.kind, matches[0].key), f"{surface!r} without its legal suffix is a known name"
    # a full legal name introduced in the text (华星光电科技有限公司（以下简称“华星”）) is more
    # specific than the short label: two companies that share a short name stay apart
    full = [a for a in {*ent.aliases, ent.label} if ent.kind == "Company" and strip_legal_suffix(a) != a]
    if full:
        longest = max(full, key=lambda a: (len(a), a))
        return (ent.kind, name_key(ent.kind, longest)), f"full name {longest!r} introduced in the text"
    return (ent.kind, name_key(ent.kind, ent.label)), "same normalised name"


def local_keys(entities: Iterable[DocEntity | Summary], gazetteer: Gazetteer | None = None) -> dict[str, tuple[str, str]]:
    """``{local_id: (kind, key)}`` from each entity's own names (see :func:`entity_key`).

    Workers map a document to RDF with these keys before the corpus is resolved; the build maps
    it again only when :func:`resolve` decides otherwise.
    """
    gaz = gazetteer or load_gazetteer()
    return {ent.local_id: entity_key(ent, gaz)[0] for ent in entities}


def resolve(doc_entities: dict[str, list[DocEntity | Summary]], gazetteer: Gazetteer | None = None) -> Resolution:
    """Resolve the entities of every document (``{doc_id: [DocEntity or Summary]}``), deterministically."""
    gaz = gazetteer or load_gazetteer()
    res = Resolution()
    surfaces: dict[tuple[str, str], Counter] = {}
    reasons: dict[tuple[str, str], set[str]] = {}
    for doc_id in sorted(doc_entities):
        for ent in map(Summary.of, doc_entities[doc_id]):
            key, reason = entity_key(ent, gaz)
            res.assignment[(doc_id, ent.local_id)] = key
            counter = surfaces.setdefault(key, Counter())
            for text, n in ent.surfaces:
                counter[text] += n
            for alias in ent.aliases:
                counter[alias] += 0
            counter[ent.label] += 0
            reasons.setdefault(key, set()).add(reason)
            record = res.entities.get(key)
            if record is None:
                record = res.entities[key] = Entity(kind=key[0], key=key[1], label=ent.label)
            record.documents.add(doc_id)
            if ent.subtype and not record.subtype:
                record.subtype = ent.subtype
    _merge_short_names(res, surfaces, reasons)
    for key, record in res.entities.items():
        entry = gaz.get(*key)
        counter = surfaces[key]
        if entry is not None:
            record.label, record.label_en, record.qid, record.known = entry.name, entry.name_en, entry.qid, True
            record.subtype = record.subtype or entry.subtype
        else:
            # most frequent surface form; ties: the shortest, then the first in code-point order
            record.label = min(counter, key=lambda s: (-counter[s], len(s), s))
        known = set(entry.aliases) if entry is not None else set()  # lookups by any known name
        record.aliases = {s for s in set(counter) | known if s != record.label and s != record.label_en}
        if len(counter) > 1 or len(record.documents) > 1:
            res.merges.append({
                "kind": key[0], "key": key[1], "label": record.label,
                "surfaces": sorted(counter), "documents": sorted(record.documents),
                "reasons": sorted(reasons[key]),
            })
    return res


def _merge_short_names(res: Resolution, surfaces: dict, reasons: dict) -> None:
    """Merge an entity known only by a short name into the one entity that has it as an alias.

    When two entities carry the short name (two companies called 华星), the evidence conflicts
    and nothing is merged.
    """
    owners: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for key, counter in surfaces.items():
        for surface in counter:
            owners.setdefault((key[0], name_key(key[0], surface)), set()).add(key)
    redirect: dict[tuple[str, str], tuple[str, str]] = {}  # merged key -> the key it went to

    def final(key: tuple[str, str]) -> tuple[str, str]:
        while key in redirect:
            key = redirect[key]
        return key

    for key in sorted(res.entities):
        if not key[1].startswith("~"):
            continue
        candidates = owners.get(key, set()) - {key}
        if len(candidates) != 1:
            continue
        target = final(next(iter(candidates)))
        if target == key:
            continue
        redirect[key] = target
        res.entities[target].documents |= res.entities.pop(key).documents
        surfaces[target].update(surfaces.pop(key))
        reasons[target] = reasons.get(target, set()) | {f"short name {key[1][1:]!r} is an alias of this entity"}
        reasons.pop(key, None)
    if redirect:  # one pass over the assignments, not one per merge: corpora have millions
        for assigned, value in res.assignment.items():
            if value in redirect:
                res.assignment[assigned] = final(value)
