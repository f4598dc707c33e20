"""Entity lookup and search: find an entity by any of its names and load everything known about it.

A :class:`NameIndex` maps every label, alias and key of every entity, normalised with
:func:`kg.normalize.norm_key` (spacing, case and full-width forms ignored), to the entity.
:meth:`NameIndex.resolve` is the exact lookup behind :meth:`KnowledgeGraph.lookup`;
:meth:`NameIndex.search` ranks prefix, substring and fuzzy matches. :func:`load_entity` reads an
:class:`Entity` card: labels, types, aliases, relations both ways, figures and mentions.

Example:
    >>> g = KnowledgeGraph.open("out/")                  # doctest: +SKIP
    >>> e = g.lookup("ＣＡＭＢＲＩＣＯＮ")                    # doctest: +SKIP
    >>> e.label, e.kind, [r.other_label for r in e.outgoing]   # doctest: +SKIP
    ('寒武纪', 'Company', ['招商银行', '阿里巴巴'])
    >>> [m.label for m in g.search("思元", type="Product")]   # doctest: +SKIP
    ['思元 370', '思元 220', '思元 270']
"""

from __future__ import annotations

import difflib
import html
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import NotFoundError
from .normalize import norm_key, strip_legal_suffix
from .mapping import SPARQL_PREFIXES

KG_NS = "https://w3id.org/kg-news/ontology#"
CORE_TYPES = ("Company", "Product", "Site")
_PREFIXES = SPARQL_PREFIXES  # one list of prefixes: kg.mapping.PREFIXES
# how a name was attached to its entity, best first: exact lookups prefer labels over aliases
_HOW_RANK = {"label": 0, "alias": 1, "key": 2}
# search match classes, best first
MATCH_CLASSES = ("exact", "prefix", "substring", "fuzzy")
FUZZY_CUTOFF = 0.6


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


# -- the entity card ----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A relation between the entity and another one, with the number of documents stating it."""

    predicate: str          # local name: hasCustomer
    other: str              # IRI of the counterpart
    other_label: str
    documents: int = 0
    predicate_iri: str = ""


@dataclass(frozen=True)
class FigureFact:
    """A figure stated about the entity (``kg:Figure``)."""

    kind: str
    value: float | None
    unit: str | None
    period: str | None
    surface: str | None
    doc: str | None = None
    date: str | None = None
    iri: str = ""


@dataclass(frozen=True)
class MentionFact:
    """One mention of the entity: the document and the sentence it occurs in."""

    doc: str
    title: str | None
    date: str | None
    sentence: str | None
    surface: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Entity:
    """An entity of the graph with everything known about it.

    ``kind`` is the core type (Company, Product or Site), ``types`` all its kg types (core,
    subtypes such as Chip, roles such as Customer).
    """

    iri: str
    label: str
    kind: str
    label_en: str | None = None
    types: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    key: str | None = None
    same_as: list[str] = field(default_factory=list)
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    figures: list[FigureFact] = field(default_factory=list)
    mentions: list[MentionFact] = field(default_factory=list)

    @property
    def documents(self) -> list[str]:
        """IRIs of the documents mentioning the entity, oldest first."""
        return list(dict.fromkeys(m.doc for m in self.mentions))

    def relations(self, predicate: str | None = None) -> list[Link]:
        """Outgoing relations, optionally only one predicate (``"hasCustomer"``)."""
        return [r for r in self.outgoing if predicate is None or r.predicate == predicate]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.label} ({self.kind}) <{self.iri}>"

    def __repr__(self) -> str:
        names = self.label + (f" / {self.label_en}" if self.label_en and self.label_en != self.label else "")
        return (f"<Entity {names} ({', '.join(self.types) or self.kind}) {self.iri} — "
                f"{len(self.aliases)} aliases, {len(self.outgoing)} out / {len(self.incoming)} in relations, "
                f"{len(self.figures)} figures, {len(self.mentions)} mentions in {len(self.documents)} documents>")

    def card(self, *, mentions: int = 5) -> str:
        """A plain-text card: names, types, relations, figures and the first ``mentions`` mentions."""
        lines = [f"{self.label}" + (f" / {self.label_en}" if self.label_en else "") + f"  [{', '.join(self.types)}]",
                 f"  {self.iri}"]
        if self.aliases:
            lines.append(f"  aliases: {', '.join(self.aliases)}")
        if self.same_as:
            lines.append(f"  same as: {', '.join(self.same_as)}")
        for r in self.outgoing:
            lines.append(f"  → {r.predicate} {r.other_label} ({r.documents} docs)")
        for r in self.incoming:
            lines.append(f"  ← {r.other_label} {r.predicate} ({r.documents} docs)")
        for f in self.figures:
            lines.append(f"  # {f.kind} {f.period or ''} {f.surface or f.value}".replace("  ", " "))
        for m in self.mentions[:mentions]:
            lines.append(f"  “{(m.sentence or '')[:80]}” — {m.title or m.doc} {m.date or ''}".rstrip())
        if len(self.mentions) > mentions:
            lines.append(f"  … {len(self.mentions) - mentions} more mentions")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        parts = [f"<div class='kg-entity'><h3>{e(self.label)}"
                 + (f" <small>{e(self.label_en)}</small>" if self.label_en else "")
                 + f"</h3><p><code>{e(self.iri)}</code> · {e(', '.join(self.types))}</p>"]
        if self.aliases:
            parts.append(f"<p>aliases: {e(', '.join(self.aliases))}</p>")

        def table(head: list[str], rows: list[list[Any]]) -> str:
            th = "".join(f"<th>{e(h)}</th>" for h in head)
            body = "".join("<tr>" + "".join(f"<td>{e('' if c is None else str(c))}</td>" for c in r) + "</tr>"
                           for r in rows)
            return f"<table><tr>{th}</tr>{body}</table>"

        links = [["→", r.predicate, r.other_label, r.documents] for r in self.outgoing]
        links += [["←", r.predicate, r.other_label, r.documents] for r in self.incoming]
        if links:
            parts.append(table(["", "relation", "entity", "documents"], links))
        if self.figures:
            parts.append(table(["kind", "period", "value", "unit", "surface"],
                               [[f.kind, f.period, f.value, f.unit, f.surface] for f in self.figures]))
        if self.mentions:
            parts.append(table(["date", "document", "sentence"],
                               [[m.date, m.title or m.doc, m.sentence] for m in self.mentions[:20]]))
        return "".join(parts) + "</div>"


# -- search results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A search hit: the entity, the name that matched, how (exact/prefix/substring/fuzzy) and a score."""

    iri: str
    label: str
    kind: str
    matched: str
    how: str
    score: float
    mentions: int = 0
    label_en: str | None = None

    def __str__(self) -> str:
        return f"{self.label} ({self.kind}, {self.how} on {self.matched!r}, {self.mentions} mentions) <{self.iri}>"


# -- the name index -----------------------------------------------------------------------


@dataclass
class _Name:
    iri: str
    name: str
    how: str  # label | alias | key


class NameIndex:
    """Every name of every entity under its :func:`norm_key`, plus types and mention counts."""

    def __init__(self, graph) -> None:
        store = graph.store
        run = lambda q: store.query(_PREFIXES + q, use_default_graph_as_union=True)  # noqa: E731
        self.kind: dict[str, str] = {}
        self.types: dict[str, set[str]] = {}
        self.label: dict[str, str] = {}
        self.label_en: dict[str, str] = {}
        self.mentions: dict[str, int] = {}
        self.by_key: dict[str, list[_Name]] = {}
        for row in run("SELECT ?e ?t WHERE { ?e a ?t . FILTER(STRSTARTS(STR(?t), STR(kg:))) }"):
            t = _local(row["t"].value)
            self.types.setdefault(row["e"].value, set()).add(t)
            if t in CORE_TYPES:
                self.kind[row["e"].value] = t
        for row in run("""SELECT ?e ?name ?how WHERE {
                            { ?e rdfs:label ?name BIND("label" AS ?how) }
                            UNION { ?e skos:altLabel ?name BIND("alias" AS ?how) }
                            UNION { ?e kg:key ?name BIND("key" AS ?how) } }"""):
            iri, name, how = row["e"].value, row["name"].value, row["how"].value
            if iri not in self.kind:
                continue  # documents, figures, the build record …
            if how == "label":
                lang = row["name"].language or ""
                if lang == "en":
                    self.label_en.setdefault(iri, name)
                elif lang == "zh" or iri not in self.label:  # a zh label wins over an untagged one
                    self.label[iri] = name
            if how == "key":
                name = name.lstrip("~")
            self.add(iri, name, how)
        for iri in self.kind:
            if iri not in self.label:  # no zh label: fall back to English, then the IRI
                self.label[iri] = self.label_en.get(iri, _local(iri))
        for row in run("""SELECT ?e (COUNT(?ev) AS ?n) WHERE {
                            ?ev rdf:predicate schema:mentions ; rdf:object ?e } GROUP BY ?e"""):
            self.mentions[row["e"].value] = int(row["n"].value)

    def add(self, iri: str, name: str, how: str) -> None:
        for key in {norm_key(name), norm_key(strip_legal_suffix(name))}:
            if key:
                entries = self.by_key.setdefault(key, [])
                if not any(n.iri == iri and n.how == how for n in entries):
                    entries.append(_Name(iri, name, how))

    def __len__(self) -> int:
        return len(self.kind)

    def _ok(self, iri: str, type: str | None) -> bool:
        return type is None or type in self.types.get(iri, ())

    def resolve(self, name: str, *, kind: str | None = None) -> str:
        """The IRI of the entity called ``name`` (exact on normalised names).

        Several entities sharing a name are ranked: label before alias before key, then by
        mention count. Raises :class:`NotFoundError` with suggestions when nothing matches.
        """
        hits: list[_Name] = []
        for key in dict.fromkeys([norm_key(name), norm_key(strip_legal_suffix(name))]):
            hits = [h for h in self.by_key.get(key, []) if self._ok(h.iri, kind)]
            if hits:
                break
        if not hits:
            suggestions = self.suggest(name, kind=kind)
            hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
            what = f"no {kind} named" if kind else "no entity named"
            raise NotFoundError(f"{what} {name!r}{hint}", suggestions=suggestions)
        best = min(hits, key=lambda h: (_HOW_RANK[h.how], -self.mentions.get(h.iri, 0), h.iri))
        return best.iri

    def suggest(self, name: str, *, kind: str | None = None, n: int = 5) -> list[str]:
        """Labels of the entities whose names are closest to ``name`` (difflib over normalised names)."""
        keys = [k for k, v in self.by_key.items() if any(self._ok(h.iri, kind) for h in v)]
        out: list[str] = []
        for key in difflib.get_close_matches(norm_key(name), keys, n=n * 2, cutoff=0.5):
            for h in self.by_key[key]:
                label = self.label[h.iri]
                if self._ok(h.iri, kind) and label not in out:
                    out.append(label)
        return out[:n]

    def search(self, text: str, *, type: str | None = None, limit: int | None = 10) -> list[Match]:
        """Entities whose names match ``text``: exact first, then prefix, substring and fuzzy;
        within each class the most mentioned first."""
        q = norm_key(text)
        if not q:
            return []
        best: dict[str, tuple[int, float, str]] = {}
        for key, names in self.by_key.items():
            if key == q:
                cls, sim = 0, 1.0
            elif key.startswith(q):
                cls, sim = 1, len(q) / len(key)
            elif q in key:
                cls, sim = 2, len(q) / len(key)
            else:
                matcher = difflib.SequenceMatcher(None, q, key)
                if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
                    continue
                sim = matcher.ratio()
                if sim < FUZZY_CUTOFF:
                    continue
                cls = 3
            for h in names:
                if not self._ok(h.iri, type):
                    continue
                cand = (cls, -sim, h.name)
                if h.iri not in best or cand < best[h.iri]:
                    best[h.iri] = cand
        ranked = sorted(best.items(), key=lambda kv: (kv[1][0], -self.mentions.get(kv[0], 0), kv[1][1],
                                                      self.label[kv[0]], kv[0]))
        score = {0: 1.0, 1: 0.9, 2: 0.8, 3: 0.7}
        out = [Match(iri=iri, label=self.label[iri], kind=self.kind[iri], matched=name, how=MATCH_CLASSES[cls],
                     score=round(score[cls] * (1.0 if cls == 0 else 0.5 + 0.5 * -neg_sim), 4),
                     mentions=self.mentions.get(iri, 0), label_en=self.label_en.get(iri))
               for iri, (cls, neg_sim, name) in ranked]
        return out if limit is None else out[:limit]


# -- loading an entity --------------------------------------------------------------------


def _rows(graph, sparql: str, iri: str) -> list[dict[str, Any]]:
    # ?e must be projected for Oxigraph to bind it (see KnowledgeGraph.query)
    return graph.query(_PREFIXES + sparql, {"e": iri})


def load_entity(graph, iri: str) -> Entity:
    """The :class:`Entity` with IRI ``iri``: names, types, relations, figures and mentions."""
    facts = _rows(graph, """SELECT ?e ?p ?o ?lang WHERE {
        ?e ?p ?o . VALUES ?p { rdf:type rdfs:label skos:altLabel kg:key owl:sameAs } BIND(lang(?o) AS ?lang) }""", iri)
    types = sorted({_local(r["o"]) for r in facts if r["p"].endswith("#type") and r["o"].startswith(KG_NS)})
    kind = next((t for t in CORE_TYPES if t in types), None)
    if kind is None:
        raise NotFoundError(f"no entity with IRI <{iri}>: it is not a kg:Company, kg:Product or kg:Site")
    labels = {r["lang"] or "": r["o"] for r in facts if r["p"].endswith("#label")}
    label_en = labels.get("en")
    label = labels.get("zh") or labels.get("") or label_en or _local(iri)
    aliases = sorted({r["o"] for r in facts if r["p"].endswith("#altLabel")})
    key = next((r["o"] for r in facts if r["p"] == KG_NS + "key"), None)
    same_as = sorted(r["o"] for r in facts if r["p"].endswith("#sameAs"))

    link_query = """SELECT ?e ?p ?other ?label (COUNT(DISTINCT ?doc) AS ?docs) WHERE {
        %s
        FILTER(isIRI(?other) && STRSTARTS(STR(?p), STR(kg:)) && ?p != kg:hasFigure)
        OPTIONAL { ?other rdfs:label ?label FILTER(lang(?label) = "zh") }
        OPTIONAL { ?ev rdf:subject %s ; rdf:predicate ?p ; rdf:object %s ; prov:wasDerivedFrom ?doc }
      } GROUP BY ?e ?p ?other ?label ORDER BY ?p DESC(?docs) ?label ?other"""

    def links(rows) -> list[Link]:
        return [Link(predicate=_local(r["p"]), other=r["other"], other_label=r["label"] or _local(r["other"]),
                     documents=r["docs"], predicate_iri=r["p"]) for r in rows]

    outgoing = links(_rows(graph, link_query % ("?e ?p ?other .", "?e", "?other"), iri))
    incoming = links(_rows(graph, link_query % ("?other ?p ?e .", "?other", "?e"), iri))
    figures = [
        FigureFact(kind=r["kind"], value=r["value"], unit=r["unit"], period=r["period"], surface=r["surface"],
                   doc=r["doc"], date=r["date"], iri=r["f"])
        for r in _rows(graph, """SELECT ?e ?f ?kind ?value ?unit ?period ?surface (SAMPLE(?d) AS ?doc) (SAMPLE(?dt) AS ?date)
            WHERE { ?e kg:hasFigure ?f . ?f kg:figureKind ?kind .
              OPTIONAL { ?f schema:value ?value } OPTIONAL { ?f schema:unitText ?unit }
              OPTIONAL { ?f kg:period ?period } OPTIONAL { ?f kg:surface ?surface }
              OPTIONAL { ?ev rdf:subject ?e ; rdf:predicate kg:hasFigure ; rdf:object ?f ; prov:wasDerivedFrom ?d
                         OPTIONAL { ?d schema:datePublished ?dt } } }
            GROUP BY ?e ?f ?kind ?value ?unit ?period ?surface ORDER BY ?kind ?period ?date ?f""", iri)
    ]
    mentions = [
        MentionFact(doc=r["doc"], title=r["title"], date=r["date"], sentence=r["sentence"], surface=r["surface"],
                    start=r["start"], end=r["end"])
        for r in _rows(graph, """SELECT ?e ?doc ?title ?date ?sentence ?surface ?start ?end WHERE {
              ?ev rdf:predicate schema:mentions ; rdf:object ?e ; prov:wasDerivedFrom ?doc .
              OPTIONAL { ?ev kg:sentence ?sentence } OPTIONAL { ?ev kg:surface ?surface }
              OPTIONAL { ?ev kg:start ?start } OPTIONAL { ?ev kg:end ?end }
              OPTIONAL { ?doc schema:headline ?title } OPTIONAL { ?doc schema:datePublished ?date } }
            ORDER BY ?date ?doc ?start""", iri)
    ]
    return Entity(iri=iri, label=label, kind=kind, label_en=label_en, types=types, aliases=aliases, key=key,
                  same_as=same_as, outgoing=outgoing, incoming=incoming, figures=figures, mentions=mentions)
