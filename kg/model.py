"""Plain dataclasses passed between the stages of kg.

``ingest`` makes :class:`Document`; ``extract`` makes :class:`Extraction` (mentions grouped into
:class:`DocEntity`, :class:`Relation` and :class:`Figure`); ``resolve`` assigns corpus-wide keys;
``mapping`` turns all of it into RDF. Offsets are character offsets into ``Document.text``.

Example:
    >>> d = Document(doc_id="a", path="a.txt", text="寒武纪", content_hash="0")
    >>> d.text[0:3]
    '寒武纪'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ENTITY_KINDS = ("Company", "Product", "Site")


@dataclass
class Document:
    """One input file after ingestion: clean text plus metadata."""

    doc_id: str
    path: str
    text: str
    content_hash: str
    title: str | None = None
    date: str | None = None  # ISO 8601 date
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    image: str | None = None
    url: str | None = None
    format: str = "text"
    encoding: str = "utf-8"
    #: (start, end) of each paragraph in ``text``; the title is the first one when present.
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Mention:
    """A span of the text that names an entity."""

    start: int
    end: int
    text: str
    kind: str  # Company | Product | Site
    rule: str
    confidence: float = 1.0
    key: str | None = None  # gazetteer key when the name is known
    subtype: str | None = None
    canonical: str | None = None  # the full name a short form stands for (X4 → MLU370-X4)


@dataclass
class DocEntity:
    """All mentions of one entity inside one document."""

    local_id: str
    kind: str
    label: str  # the preferred surface form in this document
    mentions: list[Mention] = field(default_factory=list)
    key: str | None = None  # gazetteer key, or None for names no list knows
    subtype: str | None = None
    aliases: set[str] = field(default_factory=set)  # other surface forms, incl. 简称 and English
    customer: bool = False

    @property
    def surfaces(self) -> list[str]:
        return sorted({m.text for m in self.mentions} | self.aliases | {self.label})


@dataclass
class Relation:
    """A fact ``subject predicate object`` stated in one sentence."""

    subject: str  # DocEntity.local_id
    predicate: str  # kg predicate local name, e.g. "hasCustomer"
    object: str
    start: int  # supporting span (cue or object mention)
    end: int
    sentence_start: int
    sentence_end: int
    rule: str
    confidence: float = 0.7


@dataclass
class Figure:
    """A number the text reports about an entity (revenue, growth, shipments, specs …)."""

    subject: str  # DocEntity.local_id
    kind: str  # revenue | growth | margin | shipments | price | spec | other
    value: float
    unit: str
    surface: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    period: str | None = None
    rule: str = "figure"
    confidence: float = 0.7


@dataclass
class Extraction:
    """Everything extracted from one document."""

    doc: Document
    sentences: list[tuple[int, int]] = field(default_factory=list)
    entities: list[DocEntity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def entity(self, local_id: str) -> DocEntity:
        for ent in self.entities:
            if ent.local_id == local_id:
                return ent
        raise KeyError(local_id)

    def sentence_text(self, start: int, end: int) -> str:
        return self.doc.text[start:end]
