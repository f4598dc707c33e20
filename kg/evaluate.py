"""Score predicted extractions against gold annotations (the scoring half of ``kg eval``).

Gold files follow the format of ``dev/README.md``; predictions are the subset the pipeline
produces per document::

    {"entities":  [{"name", "aliases": [...], "type": "Company|Product|Site", "customer": bool}],
     "relations": [{"subject", "predicate", "object"}],
     "facts":     [{"subject", "kind", "value", "period"?}]}

Matching rules (all comparisons use :func:`kg.normalize.norm_key`: NFKC, no whitespace,
case-folded, so ``思元370`` = ``思元 370`` and ``ＭＬＵ`` = ``MLU``):

* **Entities.** A surface form set is ``name ∪ aliases`` minus generic anaphors
  (:data:`GENERIC_ANAPHORS`: ``公司``, ``该公司``, ``其``, ``本公司``, ``集团``), so an alias like
  ``公司`` in the gold never lets a prediction named ``公司`` match. A prediction matches a gold
  entity when the two sets share a key. Matching is one-to-one (maximum bipartite matching
  between predictions and required gold entities of the same type). A prediction that is not
  matched is then classified, in this order:

  - it hits a required gold entity of its own type that another prediction already matched:
    a *duplicate* (``英伟达`` and ``NVIDIA`` predicted separately); counted neither way, because
    it names a thing that was found, and listed under ``ignored``;
  - it hits an optional gold entity: ignored;
  - it hits a gold ``Person``/``Other`` entity: ignored;
  - it hits only required gold entities of another type: a *type mismatch*, fp for the
    predicted type (the gold entity is fn for its type unless a correctly typed prediction
    matches it);
  - otherwise: fp.

  Predictions whose type is not Company/Product/Site are ignored. Predictions with the same
  normalised name and type are merged first (aliases and customer flag unioned).
* **Relations.** Predicates are canonicalised: ``supplierOf(x, y)`` → ``hasCustomer(x, y)``,
  ``manufacturedBy(x, y)`` → ``manufactures(y, x)``, ``customerOf(x, y)`` → ``hasCustomer(y, x)``;
  ``partnerOf`` and ``competitor`` match in either direction. A predicted endpoint resolves to
  its own key plus the keys of the predicted entity it names; it matches a gold endpoint if
  it shares a key with the gold entity's name ∪ aliases. One-to-one as for entities; an
  unmatched prediction that hits an optional gold relation, or an already matched one
  (``supplierOf`` and ``hasCustomer`` both predicted), or has an endpoint on a gold
  Person/Other entity, is ignored; anything else is fp. Per-predicate counts use the canonical
  predicate.
* **Customers.** Gold: non-optional entities with ``customer: true``; predicted: entities with
  ``customer: true``. Key matching, one-to-one; predictions hitting an optional or Person/Other
  gold entity, or an already matched customer, are ignored.
* **Facts** (secondary). Match when the subject matches, ``kind`` is equal and the normalised
  values are equal or one contains the other.

Precision, recall and F1 use the convention that a cell with nothing to find and nothing
predicted (tp = fp = fn = 0) scores 1.0 (nothing was missed, nothing was wrong).

Example:
    >>> gold = {"doc": "d.md", "entities": [
    ...     {"name": "寒武纪", "aliases": ["公司"], "type": "Company", "customer": False},
    ...     {"name": "思元 370", "aliases": [], "type": "Product", "customer": False}],
    ...     "relations": [{"subject": "寒武纪", "predicate": "develops", "object": "思元 370"}],
    ...     "facts": []}
    >>> pred = {"entities": [{"name": "寒武纪", "type": "Company"},
    ...                      {"name": "思元370", "type": "Product"}],
    ...         "relations": [{"subject": "寒武纪", "predicate": "develops", "object": "思元370"}]}
    >>> s = score_document(gold, pred)
    >>> s.entities_micro.f1, s.relations_micro.f1
    (1.0, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from kg.errors import InputError
from kg.normalize import norm_key as _norm

__all__ = [
    "TARGET_TYPES",
    "GENERIC_ANAPHORS",
    "PREDICATES",
    "Counts",
    "DocScore",
    "CorpusScore",
    "score_document",
    "score_corpus",
    "evaluate_dirs",
    "format_table",
]

#: Entity types the builder predicts and that are scored.
TARGET_TYPES: tuple[str, ...] = ("Company", "Product", "Site")
#: Gold types listed only so that predictions of them are recognised and ignored.
IGNORED_TYPES: frozenset[str] = frozenset({"Person", "Other"})
#: Generic anaphors (normalised) that never count as a surface form, on either side.
GENERIC_ANAPHORS: frozenset[str] = frozenset(
    _norm(w) for w in ("公司", "该公司", "其", "本公司", "集团")
)
#: Canonical predicates in display order.
PREDICATES: tuple[str, ...] = (
    "hasCustomer",
    "partnerOf",
    "develops",
    "manufactures",
    "basedOn",
    "locatedIn",
    "operatesAt",
    "acquires",
    "invests",
    "competitor",
)
SYMMETRIC: frozenset[str] = frozenset({"partnerOf", "competitor"})
# predicate -> (canonical predicate, swap subject and object)
_PREDICATE_MAP: dict[str, tuple[str, bool]] = {p.casefold(): (p, False) for p in PREDICATES}
_PREDICATE_MAP.update(
    {
        "supplierof": ("hasCustomer", False),
        "customerof": ("hasCustomer", True),
        "manufacturedby": ("manufactures", True),
    }
)


# --------------------------------------------------------------------------- counts


@dataclass
class Counts:
    """True/false positives and false negatives of one cell, with P/R/F1.

    Example:
        >>> c = Counts(tp=3, fp=1, fn=2)
        >>> round(c.precision, 2), round(c.recall, 2), round(c.f1, 3)
        (0.75, 0.6, 0.667)
        >>> Counts().f1  # nothing to find, nothing predicted
        1.0
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted and nothing missed, else 0.0."""
        denom = self.tp + self.fp
        if denom:
            return self.tp / denom
        return 1.0 if self.fn == 0 else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there was nothing to find and nothing wrong, else 0.0."""
        denom = self.tp + self.fn
        if denom:
            return self.tp / denom
        return 1.0 if self.fp == 0 else 0.0

    @property
    def f1(self) -> float:
        """2tp / (2tp + fp + fn); 1.0 when all three counts are zero."""
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 1.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, float | int]:
        """Counts and rounded scores as a JSON-able dict.

        >>> Counts(1, 0, 1).to_dict()
        {'tp': 1, 'fp': 0, 'fn': 1, 'precision': 1.0, 'recall': 0.5, 'f1': 0.6667}
        """
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total = total + c
    return total


def _sum_by_key(dicts: Iterable[Mapping[str, Counts]]) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for d in dicts:
        for key, c in d.items():
            out[key] = out.get(key, Counts()) + c
    return out


def _predicate_order(preds: Iterable[str]) -> list[str]:
    known = [p for p in PREDICATES if p in preds]
    return known + sorted(p for p in preds if p not in PREDICATES)


# --------------------------------------------------------------------------- scores


def _empty_errors() -> dict[str, dict[str, list[str]]]:
    return {k: {"fp": [], "fn": []} for k in ("entities", "relations", "customers", "facts")}


def _empty_ignored() -> dict[str, list[str]]:
    return {k: [] for k in ("entities", "relations", "customers", "facts")}


@dataclass
class DocScore:
    """Scores of one document, with the names behind every fp and fn.

    ``errors[section]["fp"|"fn"]`` lists readable names (``"英伟达 [Company]"``,
    ``"英伟达 hasCustomer 比亚迪"``); ``ignored[section]`` lists predictions that counted neither
    way, with the reason (duplicate, optional, Person/Other).

    Example:
        >>> s = score_document({"doc": "d.md", "entities": [
        ...     {"name": "台积电", "aliases": [], "type": "Company", "customer": False}]},
        ...     {"entities": []})
        >>> s.entities["Company"].fn, s.errors["entities"]["fn"]
        (1, ['台积电 [Company]'])
    """

    doc: str
    entities: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in TARGET_TYPES})
    relations: dict[str, Counts] = field(default_factory=dict)
    customers: Counts = field(default_factory=Counts)
    facts: Counts = field(default_factory=Counts)
    errors: dict[str, dict[str, list[str]]] = field(default_factory=_empty_errors)
    ignored: dict[str, list[str]] = field(default_factory=_empty_ignored)

    @property
    def entities_micro(self) -> Counts:
        """Entity counts summed over Company, Product and Site."""
        return _sum(self.entities.values())

    @property
    def relations_micro(self) -> Counts:
        """Relation counts summed over all predicates."""
        return _sum(self.relations.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able scores plus the fp/fn/ignored name lists of this document.

        >>> sorted(score_document({"doc": "d.md"}, {}).to_dict())
        ['customers', 'doc', 'entities', 'errors', 'facts', 'ignored', 'relations']
        """
        return {
            "doc": self.doc,
            **_scores_dict(self),
            "errors": {k: {"fp": list(v["fp"]), "fn": list(v["fn"])} for k, v in self.errors.items()},
            "ignored": {k: list(v) for k, v in self.ignored.items()},
        }


@dataclass
class CorpusScore:
    """Scores summed (micro-averaged) over documents, plus the per-document scores.

    Example:
        >>> g = {"doc": "a.md", "entities": [
        ...     {"name": "台积电", "aliases": [], "type": "Company", "customer": False}]}
        >>> c = score_corpus([(g, {"entities": [{"name": "台积电", "type": "Company"}]}),
        ...                   (dict(g, doc="b.md"), {"entities": []})])
        >>> c.entities["Company"].tp, c.entities["Company"].fn, c.entities_micro.recall
        (1, 1, 0.5)
    """

    documents: list[DocScore] = field(default_factory=list)

    @property
    def entities(self) -> dict[str, Counts]:
        """Entity counts per type, summed over documents."""
        out = {t: Counts() for t in TARGET_TYPES}
        out.update(_sum_by_key(d.entities for d in self.documents))
        return out

    @property
    def entities_micro(self) -> Counts:
        """Entity counts summed over types and documents."""
        return _sum(d.entities_micro for d in self.documents)

    @property
    def relations(self) -> dict[str, Counts]:
        """Relation counts per canonical predicate, summed over documents."""
        return _sum_by_key(d.relations for d in self.documents)

    @property
    def relations_micro(self) -> Counts:
        """Relation counts summed over predicates and documents."""
        return _sum(d.relations_micro for d in self.documents)

    @property
    def customers(self) -> Counts:
        """Customer counts summed over documents."""
        return _sum(d.customers for d in self.documents)

    @property
    def facts(self) -> Counts:
        """Fact counts summed over documents."""
        return _sum(d.facts for d in self.documents)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able corpus scores with a per-document breakdown (including fp/fn names).

        >>> d = score_corpus([]).to_dict()
        >>> d["documents"], d["entities"]["micro"]["f1"], d["per_document"]
        (0, 1.0, [])
        """
        return {
            "documents": len(self.documents),
            **_scores_dict(self),
            "per_document": [d.to_dict() for d in self.documents],
        }


def _scores_dict(score: DocScore | CorpusScore) -> dict[str, Any]:
    ents = {t: c.to_dict() for t, c in score.entities.items()}
    ents["micro"] = score.entities_micro.to_dict()
    rel_counts = score.relations
    rels = {p: rel_counts[p].to_dict() for p in _predicate_order(rel_counts)}
    rels["micro"] = score.relations_micro.to_dict()
    return {
        "entities": ents,
        "relations": rels,
        "customers": score.customers.to_dict(),
        "facts": score.facts.to_dict(),
    }


# --------------------------------------------------------------------------- matching helpers


def _keys(forms: Iterable[Any]) -> frozenset[str]:
    """Normalised surface forms, minus empty strings and generic anaphors."""
    out = set()
    for form in forms:
        if isinstance(form, str):
            key = _norm(form)
            if key and key not in GENERIC_ANAPHORS:
                out.add(key)
    return frozenset(out)


def _aliases(item: Mapping[str, Any]) -> list[Any]:
    aliases = item.get("aliases") or []
    return [aliases] if isinstance(aliases, str) else list(aliases)


def _max_matching(adj: list[list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn): left index -> right index.

    >>> _max_matching([[0, 1], [0]])
    {0: 1, 1: 0}
    """
    owner: dict[int, int] = {}

    def augment(u: int, seen: set[int]) -> bool:
        for v in adj[u]:
            if v in seen:
                continue
            seen.add(v)
            if v not in owner or augment(owner[v], seen):
                owner[v] = u
                return True
        return False

    for u in range(len(adj)):
        augment(u, set())
    return dict(sorted((u, v) for v, u in owner.items()))


@dataclass(frozen=True)
class _GoldEntity:
    name: str
    type: str
    keys: frozenset[str]
    customer: bool
    optional: bool

    @property
    def required_target(self) -> bool:
        return not self.optional and self.type in TARGET_TYPES


@dataclass
class _PredEntity:
    name: str
    type: str
    keys: set[str]
    customer: bool


@dataclass(frozen=True)
class _Rel:
    subject: str
    predicate: str  # as written
    object: str
    canon: str
    s: frozenset[str]  # keys of the canonical subject
    o: frozenset[str]  # keys of the canonical object
    optional: bool = False

    def label(self) -> str:
        return f"{self.subject} {self.predicate} {self.object}"


@dataclass(frozen=True)
class _Fact:
    subject: str
    kind: str
    value: str
    s: frozenset[str]
    v: str

    def label(self) -> str:
        return f"{self.subject} {self.kind} {self.value}"


def _canon_predicate(predicate: Any) -> tuple[str, bool]:
    """Canonical predicate and whether subject/object swap (``kg:``/IRI prefixes dropped)."""
    p = str(predicate or "").strip()
    p = p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    if ":" in p:
        p = p.rsplit(":", 1)[-1]
    return _PREDICATE_MAP.get(p.casefold(), (p, False))


def _list(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = doc.get(key) or []
    return [x for x in items if isinstance(x, Mapping)]


def _gold_entities(gold: Mapping[str, Any]) -> list[_GoldEntity]:
    out = []
    for e in _list(gold, "entities"):
        name = str(e.get("name", ""))
        out.append(
            _GoldEntity(
                name=name,
                type=str(e.get("type", "")),
                keys=_keys([name, *_aliases(e)]),
                customer=bool(e.get("customer", False)),
                optional=bool(e.get("optional", False)),
            )
        )
    return out


def _pred_entities(pred: Mapping[str, Any]) -> list[_PredEntity]:
    """Predicted entities, merged when normalised name and type agree."""
    merged: dict[tuple[str, str], _PredEntity] = {}
    for e in _list(pred, "entities"):
        name = str(e.get("name", ""))
        etype = str(e.get("type", ""))
        keys = set(_keys([name, *_aliases(e)]))
        key = (_norm(name), etype)
        if key in merged:
            merged[key].keys |= keys
            merged[key].customer = merged[key].customer or bool(e.get("customer", False))
        else:
            merged[key] = _PredEntity(name, etype, keys, bool(e.get("customer", False)))
    return list(merged.values())


def _gold_resolver(gold_ents: list[_GoldEntity]) -> Callable[[str], frozenset[str]]:
    """Gold endpoint name -> keys of the gold entity it names (by name, then by key)."""
    by_name = {}
    by_key: dict[str, frozenset[str]] = {}
    for g in gold_ents:
        by_name.setdefault(g.name, g.keys)
        by_key.setdefault(_norm(g.name), g.keys)
    for g in gold_ents:
        for k in g.keys:
            by_key.setdefault(k, g.keys)

    def resolve(name: str) -> frozenset[str]:
        if name in by_name:
            return by_name[name]
        key = _norm(name)
        return by_key.get(key, _keys([name]))

    return resolve


def _pred_resolver(pred_ents: list[_PredEntity]) -> Callable[[str], frozenset[str]]:
    """Predicted endpoint name -> its key plus the keys of predicted entities bearing it."""
    index: dict[str, set[str]] = {}
    for p in pred_ents:
        for k in p.keys:
            index.setdefault(k, set()).update(p.keys)

    def resolve(name: str) -> frozenset[str]:
        own = _keys([name])
        out = set(own)
        for k in own:
            out |= index.get(k, set())
        return frozenset(out)

    return resolve


def _make_rel(r: Mapping[str, Any], resolve: Callable[[str], frozenset[str]], optional: bool) -> _Rel:
    s, o = str(r.get("subject", "")), str(r.get("object", ""))
    canon, swap = _canon_predicate(r.get("predicate"))
    ks, ko = resolve(s), resolve(o)
    if swap:
        ks, ko = ko, ks
    return _Rel(s, str(r.get("predicate", "")), o, canon, ks, ko, optional)


def _rel_hit(p: _Rel, g: _Rel) -> bool:
    if p.canon != g.canon:
        return False
    if p.s & g.s and p.o & g.o:
        return True
    return p.canon in SYMMETRIC and bool(p.s & g.o and p.o & g.s)


def _values_match(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or a in b or b in a)


def _fact_hit(p: _Fact, g: _Fact) -> bool:
    return p.kind == g.kind and bool(p.s & g.s) and _values_match(p.v, g.v)


# --------------------------------------------------------------------------- scoring


def _score_entities(score: DocScore, gold_ents: list[_GoldEntity], pred_ents: list[_PredEntity]) -> None:
    adj = [
        [j for j, g in enumerate(gold_ents) if g.required_target and g.type == p.type and g.keys & p.keys]
        for p in pred_ents
    ]
    match = _max_matching(adj)
    errors, ignored = score.errors["entities"], score.ignored["entities"]
    for i, p in enumerate(pred_ents):
        label = f"{p.name} [{p.type or '?'}]"
        if p.type not in TARGET_TYPES:
            ignored.append(f"{label}: not a scored type")
            continue
        if i in match:
            score.entities[p.type].tp += 1
            continue
        hits = [g for g in gold_ents if g.keys & p.keys]
        if any(g.required_target and g.type == p.type for g in hits):
            ignored.append(f"{label}: duplicate of an entity already matched")
        elif any(g.optional for g in hits):
            ignored.append(f"{label}: optional in gold")
        elif any(g.type in IGNORED_TYPES for g in hits):
            ignored.append(f"{label}: gold Person/Other")
        elif hits:
            score.entities[p.type].fp += 1
            other = hits[0]
            errors["fp"].append(f"{p.name} [{p.type}; gold {other.name} is {other.type}]")
        else:
            score.entities[p.type].fp += 1
            errors["fp"].append(label)
    matched = set(match.values())
    for j, g in enumerate(gold_ents):
        if g.required_target and j not in matched:
            score.entities[g.type].fn += 1
            errors["fn"].append(f"{g.name} [{g.type}]")


def _score_customers(score: DocScore, gold_ents: list[_GoldEntity], pred_ents: list[_PredEntity]) -> None:
    gold_cust = [g for g in gold_ents if g.customer and not g.optional]
    pred_cust = [p for p in pred_ents if p.customer]
    adj = [[j for j, g in enumerate(gold_cust) if g.keys & p.keys] for p in pred_cust]
    match = _max_matching(adj)
    errors, ignored = score.errors["customers"], score.ignored["customers"]
    for i, p in enumerate(pred_cust):
        if i in match:
            score.customers.tp += 1
            continue
        hits = [g for g in gold_ents if g.keys & p.keys]
        if adj[i]:
            ignored.append(f"{p.name}: duplicate of a customer already matched")
        elif any(g.optional for g in hits):
            ignored.append(f"{p.name}: optional in gold")
        elif any(g.type in IGNORED_TYPES for g in hits):
            ignored.append(f"{p.name}: gold Person/Other")
        else:
            score.customers.fp += 1
            errors["fp"].append(p.name)
    matched = set(match.values())
    for j, g in enumerate(gold_cust):
        if j not in matched:
            score.customers.fn += 1
            errors["fn"].append(g.name)


def _score_relations(
    score: DocScore,
    gold: Mapping[str, Any],
    pred: Mapping[str, Any],
    gold_ents: list[_GoldEntity],
    pred_ents: list[_PredEntity],
) -> None:
    gres, pres = _gold_resolver(gold_ents), _pred_resolver(pred_ents)
    gold_rels = [_make_rel(r, gres, bool(r.get("optional", False))) for r in _list(gold, "relations")]
    pred_rels: list[_Rel] = []
    seen: set[tuple[Any, ...]] = set()
    for r in _list(pred, "relations"):
        rel = _make_rel(r, pres, False)
        ends = (rel.s, rel.o)
        if rel.canon in SYMMETRIC:
            ends = tuple(sorted(ends, key=sorted))  # type: ignore[assignment]
        if (rel.canon, ends) in seen:
            continue  # the same relation predicted twice counts once
        seen.add((rel.canon, ends))
        pred_rels.append(rel)

    required = [g for g in gold_rels if not g.optional]
    adj = [[j for j, g in enumerate(required) if _rel_hit(p, g)] for p in pred_rels]
    match = _max_matching(adj)
    person_keys = frozenset().union(*(g.keys for g in gold_ents if g.type in IGNORED_TYPES))
    errors, ignored = score.errors["relations"], score.ignored["relations"]

    def cell(p: str) -> Counts:
        return score.relations.setdefault(p, Counts())

    for i, p in enumerate(pred_rels):
        if i in match:
            cell(p.canon).tp += 1
        elif any(g.optional and _rel_hit(p, g) for g in gold_rels):
            ignored.append(f"{p.label()}: optional in gold")
        elif adj[i]:
            ignored.append(f"{p.label()}: duplicate of a relation already matched")
        elif p.s & person_keys or p.o & person_keys:
            ignored.append(f"{p.label()}: endpoint is a gold Person/Other")
        else:
            cell(p.canon).fp += 1
            errors["fp"].append(p.label())
    matched = set(match.values())
    for j, g in enumerate(required):
        if j not in matched:
            cell(g.canon).fn += 1
            errors["fn"].append(g.label())


def _score_facts(
    score: DocScore,
    gold: Mapping[str, Any],
    pred: Mapping[str, Any],
    gold_ents: list[_GoldEntity],
    pred_ents: list[_PredEntity],
) -> None:
    def make(f: Mapping[str, Any], resolve: Callable[[str], frozenset[str]]) -> _Fact:
        subject, value = str(f.get("subject", "")), str(f.get("value", ""))
        kind = str(f.get("kind", "")).strip()
        return _Fact(subject, kind, value, resolve(subject), _norm(value))

    gres, pres = _gold_resolver(gold_ents), _pred_resolver(pred_ents)
    gold_facts = [make(f, gres) for f in _list(gold, "facts")]
    pred_facts: list[_Fact] = []
    seen: set[tuple[Any, ...]] = set()
    for f in _list(pred, "facts"):
        fact = make(f, pres)
        if (fact.s, fact.kind, fact.v) not in seen:
            seen.add((fact.s, fact.kind, fact.v))
            pred_facts.append(fact)

    adj = [[j for j, g in enumerate(gold_facts) if _fact_hit(p, g)] for p in pred_facts]
    match = _max_matching(adj)
    errors, ignored = score.errors["facts"], score.ignored["facts"]
    for i, p in enumerate(pred_facts):
        if i in match:
            score.facts.tp += 1
        elif adj[i]:
            ignored.append(f"{p.label()}: duplicate of a fact already matched")
        else:
            score.facts.fp += 1
            errors["fp"].append(p.label())
    matched = set(match.values())
    for j, g in enumerate(gold_facts):
        if j not in matched:
            score.facts.fn += 1
            errors["fn"].append(g.label())


def score_document(gold: Mapping[str, Any], pred: Mapping[str, Any]) -> DocScore:
    """Score one document's prediction against its gold annotation.

    Missing keys default to empty lists, ``customer``/``optional`` to false.

    Example:
        >>> gold = {"doc": "d.md", "entities": [
        ...     {"name": "英伟达", "aliases": ["NVIDIA"], "type": "Company", "customer": False},
        ...     {"name": "黄仁勋", "aliases": [], "type": "Person", "customer": False}]}
        >>> s = score_document(gold, {"entities": [{"name": "nvidia", "type": "Company"},
        ...                                        {"name": "黄仁勋", "type": "Company"}]})
        >>> s.entities["Company"].tp, s.entities["Company"].fp, s.ignored["entities"]
        (1, 0, ['黄仁勋 [Company]: gold Person/Other'])
    """
    if not isinstance(gold, Mapping) or not isinstance(pred, Mapping):
        raise TypeError("score_document expects two dicts (gold, pred)")
    score = DocScore(doc=str(gold.get("doc", "")))
    gold_ents, pred_ents = _gold_entities(gold), _pred_entities(pred)
    _score_entities(score, gold_ents, pred_ents)
    _score_customers(score, gold_ents, pred_ents)
    _score_relations(score, gold, pred, gold_ents, pred_ents)
    _score_facts(score, gold, pred, gold_ents, pred_ents)
    return score


def score_corpus(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> CorpusScore:
    """Score ``(gold, pred)`` pairs, one per document, and sum the counts (micro average).

    Example:
        >>> g = {"doc": "a.md", "entities": [
        ...     {"name": "台积电", "aliases": [], "type": "Company", "customer": False}]}
        >>> score_corpus([(g, {"entities": [{"name": "台积电", "type": "Company"}]})]).entities_micro.f1
        1.0
    """
    return CorpusScore([score_document(gold, pred) for gold, pred in pairs])


# --------------------------------------------------------------------------- directories


def _load_gold(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read gold file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"gold file {path} must hold a JSON object, not {type(data).__name__}")
    return data


def _find_doc(gold_path: Path, gold: Mapping[str, Any], docs_dir: Path) -> Path | None:
    """The post for a gold file: its ``doc`` field first, then a file with the same stem."""
    doc = gold.get("doc")
    stems = [gold_path.stem]
    if isinstance(doc, str) and doc:
        for candidate in (docs_dir / doc, docs_dir / Path(doc).name):
            if candidate.is_file():
                return candidate
        stems.insert(0, Path(doc).stem)
    for stem in stems:
        found = sorted(p for p in docs_dir.iterdir() if p.is_file() and p.stem == stem)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise InputError(f"gold file {gold_path.name}: several posts in {docs_dir} match: {names}")
    return None


def evaluate_dirs(
    gold_dir: str | Path,
    docs_dir: str | Path,
    predict: Callable[[Path], Mapping[str, Any]],
) -> CorpusScore:
    """Run ``predict(doc_path)`` on the post of every ``*.json`` gold file and score the results.

    The post is found by the gold's ``doc`` field, then by the gold file's stem. Every post is
    located before ``predict`` is called once, so a missing post fails fast with
    :class:`kg.errors.InputError` naming every gold file without one.

    Example:
        >>> import json, tempfile
        >>> tmp = Path(tempfile.mkdtemp())
        >>> (tmp / "gold").mkdir(); (tmp / "docs").mkdir()
        >>> gold = {"doc": "a.md", "entities": [
        ...     {"name": "台积电", "aliases": [], "type": "Company", "customer": False}]}
        >>> _ = (tmp / "gold" / "a.json").write_text(json.dumps(gold), encoding="utf-8")
        >>> _ = (tmp / "docs" / "a.md").write_text("台积电", encoding="utf-8")
        >>> evaluate_dirs(tmp / "gold", tmp / "docs",
        ...               lambda p: {"entities": [{"name": "台积电", "type": "Company"}]}).entities_micro.f1
        1.0
    """
    gold_dir, docs_dir = Path(gold_dir), Path(docs_dir)
    if not gold_dir.is_dir():
        raise InputError(f"gold directory not found: {gold_dir}")
    if not docs_dir.is_dir():
        raise InputError(f"documents directory not found: {docs_dir}")
    gold_files = sorted(p for p in gold_dir.glob("*.json") if p.is_file())
    if not gold_files:
        raise InputError(f"no gold files (*.json) in {gold_dir}")

    jobs: list[tuple[dict[str, Any], Path]] = []
    missing: list[str] = []
    for gold_path in gold_files:
        gold = _load_gold(gold_path)
        doc_path = _find_doc(gold_path, gold, docs_dir)
        if doc_path is None:
            wanted = gold.get("doc") or f"{gold_path.stem}.*"
            missing.append(f"{gold_path.name} (expected {wanted})")
            continue
        if not gold.get("doc"):
            gold = {**gold, "doc": doc_path.name}
        jobs.append((gold, doc_path))
    if missing:
        raise InputError(f"no post in {docs_dir} for gold file(s): " + "; ".join(missing))

    pairs = []
    for gold, doc_path in jobs:
        pred = predict(doc_path)
        if not isinstance(pred, Mapping):
            raise TypeError(f"predict({doc_path}) returned {type(pred).__name__}, expected a dict")
        pairs.append((gold, pred))
    return score_corpus(pairs)


# --------------------------------------------------------------------------- table


def format_table(score: CorpusScore | DocScore, title: str | None = None) -> Table:
    """A rich table of tp/fp/fn/P/R/F1 per entity type, customers, predicate and facts.

    Example:
        >>> t = format_table(score_corpus([]))
        >>> [c.header for c in t.columns]
        ['', 'tp', 'fp', 'fn', 'P', 'R', 'F1']
    """
    if title is None:
        title = f"kg eval: {score.doc}" if isinstance(score, DocScore) else (
            f"kg eval: {len(score.documents)} document(s)"
        )
    table = Table(title=title)
    table.add_column("", style="bold")
    for header in ("tp", "fp", "fn", "P", "R", "F1"):
        table.add_column(header, justify="right")

    def row(label: str, c: Counts, end_section: bool = False, style: str | None = None) -> None:
        table.add_row(
            label,
            str(c.tp),
            str(c.fp),
            str(c.fn),
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            f"{c.f1:.3f}",
            end_section=end_section,
            style=style,
        )

    entities = score.entities
    for t in TARGET_TYPES:
        row(t, entities.get(t, Counts()))
    row("entities (micro)", score.entities_micro, end_section=True, style="bold")
    row("customers", score.customers, end_section=True, style="bold")
    relations = score.relations
    for p in _predicate_order(relations):
        row(p, relations[p])
    row("relations (micro)", score.relations_micro, end_section=True, style="bold")
    row("facts", score.facts)
    return table
