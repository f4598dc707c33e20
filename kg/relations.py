"""Relation rules: which sentences state which facts between the entities of a document.

Each sentence is turned into a *template*: every entity mention (and every resolved anaphor such
as ``公司``, ``该公司``, ``其``, ``它们``, ``后者``) is replaced by one private-use character whose
code point encodes its type (Company, Product, Site). Rules are regular expressions over that
template built from cue lexicons (``kg/data/relation_cues.tsv``) and a few structural pieces:
entity enumerations (``A、B 和 C``), gaps that never cross a clause boundary (``，；``), and the
subject of a clause (the nearest company before the cue, else the subject of the previous clause
of the sentence). Matches in a negated, denied, hypothetical or rumoured clause or sentence are
dropped (``hedge_*`` groups of the cue file).

Product and facility anaphors (``该芯片``, ``该中心``) stand for the product or facility named just
before; ``双方`` for the two companies of the sentence. A few rules take a party from the context:
the owner of a tender whose winners are listed (named before them, or in the previous sentence of
the paragraph), the company that raised a round whose investors are listed, and, for a sentence
that names no company, the company the paragraph is about. Two customer relations are derived
after the rules: the foundry of a chip has the chip's developer as customer, and the developer of a
product built on another maker's chip is that maker's customer.

The article's subject company (what ``公司`` means when nothing nearer is named) is the company
that opens the most sentences, ties broken by the number of mentions, then by the title.

Example:
    >>> from kg.extract import extract
    >>> from kg.model import Document
    >>> ex = extract(Document(doc_id="t", path="t.txt", text="宁德时代向特斯拉供货。", content_hash="0" * 64))
    >>> [(ex.entity(r.subject).label, r.predicate, ex.entity(r.object).label) for r in ex.relations]
    [('宁德时代', 'supplierOf', '特斯拉')]
"""

from __future__ import annotations

import bisect
import csv
import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .gazetteer import load_gazetteer
from .model import Extraction, Relation
from .resources import resource_path

# --------------------------------------------------------------------------- template alphabet

_BASE = {"Company": 0xF0000, "Product": 0xF1000, "Site": 0xF2000}
C = "[\U000F0000-\U000F0FFF]"
P = "[\U000F1000-\U000F1FFF]"
S = "[\U000F2000-\U000F2FFF]"
E = "[\U000F0000-\U000F2FFF]"
_STOP = "，,。；;！？!?：:"
_SEP = r"\s*(?:、|和|及|以及|/|／)\s*"


def G(n: int) -> str:
    """A gap of at most ``n`` characters with no entity and no clause punctuation."""
    return rf"[^{_STOP}\U000F0000-\U000F2FFF]{{0,{n}}}?"


def GS(n: int) -> str:
    """A gap that may contain Site mentions (``北京的卫蓝新能源``) but no clause punctuation."""
    return rf"[^{_STOP}\U000F0000-\U000F1FFF]{{0,{n}}}?"


def GE(n: int) -> str:
    """A gap that may contain any mention but no clause punctuation."""
    return rf"[^{_STOP}]{{0,{n}}}?"


def GN(n: int) -> str:
    """A gap that may contain Product and Site mentions but no company."""
    return rf"[^{_STOP}\U000F0000-\U000F0FFF]{{0,{n}}}?"


def GBP(n: int) -> str:
    """A gap that may contain products, places and brands in front of a product (小鹏 G9)."""
    return rf"(?:[^{_STOP}\U000F0000-\U000F0FFF]|{C}(?=\s*{P})){{0,{n}}}?"


def L(kind: str) -> str:
    """An enumeration of mentions of one kind: ``A、B 和 C`` (``等`` is left to the gap)."""
    return rf"{kind}(?:{_SEP}{kind})*"


CL, PL, SL = L(C), L(P), L(S)
# a product named with its brand in front (vivo X90): the brand is a Company mention
BP = rf"(?:(?:{C}\s*)?{P})"
BPL = L(BP)
NUM = r"[\d一二三四五六七八九十两几百千]+"

# --------------------------------------------------------------------------- cue lexicons


@functools.lru_cache(maxsize=1)
def cues() -> dict[str, str]:
    """Cue groups from ``kg/data/relation_cues.tsv``: group name -> regex alternation.

    >>> "采购" in cues()["purchase"].split("|")
    True
    """
    path = resource_path("data", "relation_cues.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {row["group"]: row["pattern"] for row in rows}


def K(group: str) -> str:
    """The cue group as a non-capturing regex group."""
    return f"(?:{cues()[group]})"


# --------------------------------------------------------------------------- sentence views


@dataclass
class Tok:
    """An entity mention or a resolved anaphor inside one sentence."""

    start: int
    end: int
    kind: str
    ents: tuple[str, ...]
    virtual: bool = False


@dataclass
class View:
    """One sentence as a template string with a map back to text offsets."""

    start: int
    end: int
    para: int
    toks: list[Tok] = field(default_factory=list)
    tpl: str = ""
    pos: list[tuple[int, int]] = field(default_factory=list)  # tpl index -> text span
    tok_at: dict[int, Tok] = field(default_factory=dict)  # tpl index -> token

    def build(self, text: str) -> None:
        chars: list[str] = []
        pos: list[tuple[int, int]] = []
        i = self.start
        for n, tok in enumerate(sorted(self.toks, key=lambda t: t.start)):
            # the plain characters before the token, one template character each
            chars.extend(text[i:tok.start])
            pos.extend(zip(range(i, tok.start), range(i + 1, tok.start + 1)))
            self.tok_at[len(chars)] = tok
            chars.append(chr(_BASE[tok.kind] + n))
            pos.append((tok.start, tok.end))
            i = tok.end
        chars.extend(text[i:self.end])
        pos.extend(zip(range(i, self.end), range(i + 1, self.end + 1)))
        self.tpl, self.pos = "".join(chars), pos

    def ents(self, a: int, b: int, kind: str | None = None) -> list[str]:
        """Entity ids of the tokens in tpl[a:b], in order, without repeats."""
        out: list[str] = []
        for i in range(a, b):
            tok = self.tok_at.get(i)
            if tok and (kind is None or tok.kind == kind):
                out.extend(e for e in tok.ents if e not in out)
        return out

    def span(self, a: int, b: int) -> tuple[int, int]:
        return self.pos[a][0], self.pos[max(a, b - 1)][1]

    def clause_start(self, k: int) -> int:
        i = k
        while i > 0 and self.tpl[i - 1] not in _STOP:
            i -= 1
        return i

    def clause_end(self, k: int) -> int:
        i = k
        while i < len(self.tpl) and self.tpl[i] not in _STOP:
            i += 1
        return i


_PREP = re.compile(r"(?:(?:与|同|跟|和)\s*|(?:从|向|由|对|为|被|把|基于|给|据(?!悉)|在|以|除|通过)"
                   r"[^\U000F0000-\U000F2FFF，,。；;：:\s]{0,8}\s*)$")
_HEAD = re.compile(
    r"\s*(?:的)?\s*[\u4e00-\u9fffA-Za-z ]{0,6}?(?:供应商|客户|子公司|母公司|竞争对手|对手|伙伴|厂商|制造商|品牌|企业|公司|集团)\s*$"
)


_ENUM = {kind: re.compile(L(cls)) for kind, cls in (("Company", C), ("Product", P), ("Site", S))}


def _enums(view: View, kind: str) -> list[tuple[int, int]]:
    """(start, end) tpl spans of the enumerations of ``kind`` tokens in the sentence."""
    return [m.span() for m in _ENUM[kind].finditer(view.tpl)]


def _subject(view: View, k: int, kind: str = "Company") -> list[str]:
    """The subject of the cue at tpl index ``k``: the nearest enumeration before it in its clause
    that is not the object of a preposition; else the topic (first such enumeration) of an
    earlier clause of the sentence."""
    first = True
    while True:
        cs = view.clause_start(k)
        found = [(a, b) for a, b in _enums(view, kind)
                 if cs <= a and b <= k and not _PREP.search(view.tpl[cs:a])
                 and (first or not _verbs().search(view.tpl[cs:a]))]
        if found:
            return _objects(view, *(found[-1] if first else found[0]))
        if cs == 0:
            return []
        k, first = cs - 1, False


@functools.lru_cache(maxsize=1)
def _verbs() -> re.Pattern[str]:
    """Verbs that make a later mention an object, not the topic of its clause."""
    groups = ("launch", "acquire", "invest", "purchase", "order", "supply", "use", "operate", "enter",
              "build", "win_bid", "order_won", "business_add")
    return re.compile("是|为|" + "|".join(cues()[g] for g in groups))


def _objects(view: View, a: int, b: int, innermost: bool = False) -> list[str]:
    """Entities of an object enumeration; ``蔚来电池供应商卫蓝新能源`` resolves to its head."""
    ents = view.ents(a, b)
    # a chain of places (深圳福田区香蜜湖) names its innermost place
    chain = re.match(rf"(?:\s*的?\s*{S})+", view.tpl[b:])
    if innermost and chain and view.tok_at.get(a) and view.tok_at[a].kind == "Site" and a + 1 == b:
        return view.ents(b + chain.end() - 1, b + chain.end())
    m = re.match(rf"({_HEAD.pattern[:-1]})({CL})", view.tpl[b:])
    if m:
        return view.ents(b + m.start(2), b + m.end(2))
    return ents


# --------------------------------------------------------------------------- anaphora

_ANAPHORS = [
    ("list", re.compile(r"它们|他们|上述企业|上述公司|这些公司|这些企业|这两家公司|两家公司|双方")),
    ("latter", re.compile(r"后者")),
    ("former", re.compile(r"前者")),
    ("this", re.compile(r"该公司|这家公司|这家科技公司|该集团|此公司|该企业")),
    ("we", re.compile(r"我们")),
    ("it", re.compile(r"(?<![尤极与])其(?![中他次实余它])|它(?!们)")),
    ("company", re.compile(r"(?:(?<=^)|(?<=[\n，。；：、“（）) 了是为在与和对让使据将由向从被把后前时中]))(?:本公司|公司)(?![债股章法])")),
]


#: matches wherever one of the patterns above matches
_ANY_ANAPHOR = re.compile("|".join(f"(?:{pattern.pattern})" for _kind, pattern in _ANAPHORS))


_PRODUCT_ANAPHOR = re.compile(
    r"(?:该|这款|这颗|此款|这一|这台|这部)(?:芯片|处理器|平台|SoC|产品|手机|机型|车型|服务器|GPU|CPU|电池|模组|系统)")


_SITE_ANAPHOR = re.compile(r"(?:该|这一|这座|这个|此)(中心|工厂|基地|园区|产业园|数据中心|晶圆厂)")


def _article_subject(ex: Extraction) -> str | None:
    """The company the article is about: opens the most sentences, then most mentions, then title."""
    companies = [e for e in ex.entities if e.kind == "Company"]
    if not companies:
        return None
    openers: Counter[str] = Counter()
    where = {(m.start, m.end): e.local_id for e in companies for m in e.mentions}
    for s, t in ex.sentences:
        firsts = sorted((a, lid) for (a, b), lid in where.items() if s <= a and b <= t)
        if firsts:
            openers[firsts[0][1]] += 1
    title_end = ex.doc.paragraphs[0][1] if ex.doc.paragraphs else 0
    in_title = {e.local_id: min((m.start for m in e.mentions if m.end <= title_end), default=10**9)
                for e in companies}
    best = max(companies, key=lambda e: (openers[e.local_id], len(e.mentions), -in_title[e.local_id]))
    return best.local_id


# --------------------------------------------------------------------------- rules


@dataclass
class Rule:
    """One pattern: which groups hold the subject and object, and how to read them."""

    name: str
    predicate: str
    pattern: str
    subj: str | None = "s"  # group of the subject; absent/unmatched -> clause subject
    obj: str = "o"
    conf: float = 0.8
    obj_dev: bool = False  # the object group holds products; use their developer
    subj_dev: bool = False
    hedge: str = "clause"  # "clause" or "deal" (also planned deals are dropped)
    heads: bool = True  # resolve ``X 电池供应商 Y`` objects to their head
    forbid: str | None = None  # must not occur between the cue and the object
    article_only: bool = False  # the subject must be the article's subject company
    obj_parent: bool = False  # the object is the chip the listed cards are built on
    with_partners: bool = False  # ``A 与 B 分包了订单``: B shares the subject's role
    para_subject: bool = False  # no company in the sentence: the subject of the paragraph so far
    among: bool = False  # the subject token names both parties (双方): relate them to each other
    obj_from: str | None = None  # "tender": the owner of the tender; "funded": who raised the round
    subj_kind: str = "Company"  # kind of the clause subject when the subject group is unmatched
    no_pronoun: bool = False  # the subject may not be a bare 其 / 它

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @functools.cached_property
    def required(self) -> tuple[frozenset[str], ...]:
        """Character sets that every match meets (see :func:`required_chars`), smallest first."""
        return tuple(sorted(required_chars(self.pattern), key=len))


class _RuleIndex:
    """The rules that can match a template, found from the characters each rule requires.

    Running every rule's regex on every sentence costs more in calls than in matching, and most
    rules need a cue character the sentence does not have. Rules are indexed by their smallest
    required set; a template's characters pick the candidates, which keep their order and must
    meet the rule's other required sets too.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)
        self.always: set[int] = set()  # rules that require nothing known
        self.by_char: dict[str, list[int]] = {}
        ids: dict[frozenset[str], int] = {}  # the same set (an entity kind) serves many rules
        self.needs: list[tuple[int, ...]] = []  # per rule: ids of its other required sets
        for n, rule in enumerate(self.rules):
            if rule.required:
                for char in rule.required[0]:
                    self.by_char.setdefault(char, []).append(n)
            else:
                self.always.add(n)
            self.needs.append(tuple(dict.fromkeys(ids.setdefault(req, len(ids)) for req in rule.required[1:])))
        self.sets = list(ids)
        self.indexed = frozenset(self.by_char)

    def candidates(self, tpl: str) -> list[Rule]:
        chars = set(tpl)
        hits = set(self.always)
        for char in chars & self.indexed:
            hits.update(self.by_char[char])
        absent: dict[int, bool] = {}  # required set id -> the template has none of its characters
        out = []
        for n in sorted(hits):
            for i in self.needs[n]:
                if i not in absent:
                    absent[i] = self.sets[i].isdisjoint(chars)
                if absent[i]:
                    break
            else:
                out.append(self.rules[n])
        return out


@functools.lru_cache(maxsize=1)
def _rule_index() -> _RuleIndex:
    """The index of all rules (built once per process)."""
    return _RuleIndex(_rules())


#: a character class larger than this is not worth a set (and says little)
_MAX_CLASS = 1 << 14


def required_chars(pattern: str) -> list[frozenset[str]]:
    """Sets of characters such that every match of ``pattern`` contains one of each set.

    Read from the parsed pattern: the literals, character classes, groups and alternatives a
    match cannot skip (``(?:从|向)`` gives {从, 向}, an entity gives its code point range).
    Optional parts, negated or category classes, lookarounds and flags require nothing, so the
    answer may be incomplete but never wrong.

    >>> sorted(map(sorted, required_chars("(?:从|向)x?被")))
    [['从', '向'], ['被']]
    """
    from re import _constants as sre, _parser  # the stdlib's own regex parser

    def of_sequence(items) -> list[frozenset[str]]:
        out: list[frozenset[str]] = []
        for op, av in items:
            out += of_item(op, av)
        return out

    def of_item(op, av) -> list[frozenset[str]]:
        if op is sre.LITERAL:
            return [frozenset(chr(av))]
        if op is sre.IN:
            chars: set[str] = set()
            for kind, value in av:
                if kind is sre.LITERAL:
                    chars.add(chr(value))
                elif kind is sre.RANGE and value[1] - value[0] < _MAX_CLASS:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:  # NEGATE, CATEGORY, a huge range
                    return []
            return [frozenset(chars)]
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            return [] if add_flags or del_flags else of_sequence(body)
        if op is sre.MAX_REPEAT or op is sre.MIN_REPEAT:
            low, _high, body = av
            return of_sequence(body) if low >= 1 else []
        if op is sre.BRANCH:
            # one set per alternative, joined: every match takes one of them
            options = []
            for alternative in av[1]:
                found = of_sequence(alternative)
                if not found:
                    return []
                options.append(min(found, key=len))
            return [frozenset().union(*options)]
        return []

    parsed = _parser.parse(pattern)
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return []
    return of_sequence(parsed)


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[Rule, ...]:
    """All rules, in the order they are tried (built and compiled once per process)."""
    k = K
    return (
        # ---- customers: buyers, orders, supply, use, bids
        Rule("customer.purchase_from", "hasCustomer",
             rf"(?P<o>{CL})?{G(14)}(?:从|向){G(10)}(?P<s>{CL}){G(3)}处?{G(16)}(?P<cue>{k('purchase')}|下单)",
             subj="s", obj="o"),
        Rule("customer.order", "hasCustomer", rf"(?P<cue>{k('order')})了?{G(3)}(?P<s>{CL})", subj="s", obj="o"),
        Rule("customer.order_issue", "hasCustomer",
             rf"向{G(8)}(?P<s>{CL}){G(6)}等?{G(4)}(?P<cue>{k('order_issue')}){G(12)}订单"),
        Rule("supply.to", "supplierOf",
             rf"(?:向|为|给){G(10)}(?P<o>{CL}){G(16)}(?P<cue>{k('supply')})"),
        Rule("supply.by", "supplierOf",
             rf"(?P<o>{C}){GS(12)}由{GS(8)}(?P<s>{CL}){G(3)}(?P<cue>{k('supply')}|代工)", subj="s"),
        Rule("supply.product", "supplierOf",
             rf"(?P<cue>{k('supply')})了?{G(6)}(?P<o>{P})", obj_dev=True, conf=0.6),
        Rule("supply.for_product", "supplierOf",
             rf"(?:为|给|向){G(4)}(?P<o>{P}){G(16)}(?P<cue>{k('supply')}|{k('make')})", obj_dev=True, conf=0.6),
        Rule("supply.supplier_of", "supplierOf",
             rf"(?P<o>{C}){G(8)}(?P<cue>供应商)(?:之一)?\s*(?:{k('customer_list')}|是|为)?\s*(?P<s>{CL})", subj="s",
             heads=False),
        Rule("supply.is_supplier", "supplierOf",
             rf"(?P<s>{CL}){G(3)}(?:是|为|成为|作为){G(3)}(?P<o>{C}){G(12)}(?P<cue>供应商)", subj="s"),
        Rule("supply.is_product_supplier", "supplierOf",
             rf"(?P<s>{CL}){G(3)}(?:是|为|成为|作为){G(3)}(?P<o>{P}){G(12)}(?P<cue>供应商)", subj="s",
             obj_dev=True, conf=0.7),
        Rule("supply.besides", "supplierOf",
             rf"(?P<s>{C}){G(2)}之外，?{G(4)}(?P<o>{C}){G(8)}(?P<cue>引入|选择|新增|引进){G(10)}供应商", subj="s"),
        Rule("supply.enter_system", "supplierOf",
             rf"(?P<cue>{k('supply_enter')})了?{G(3)}(?P<o>{CL}){G(4)}的?(?:{k('supply_system')})"),
        Rule("customer.noun", "hasCustomer",
             rf"(?P<s>{C}){G(3)}的?{G(6)}(?P<cue>{k('customer_noun')}){G(1)}(?:{k('customer_list')})?{G(2)}(?P<o>{CL})",
             subj="s"),
        Rule("customer.have", "hasCustomer",
             rf"(?:拥有|获得|赢得|服务){G(4)}(?P<o>{CL}){G(3)}(?:这样的|这类|等){G(8)}(?P<cue>{k('customer_noun')})"),
        Rule("customer.is_customer", "hasCustomer",
             rf"(?P<o>{CL}){G(3)}(?:是|为|成为){G(3)}(?P<s>{C}){G(24)}(?P<cue>{k('customer_noun')})", subj="s"),
        Rule("customer.use", "hasCustomer",
             rf"(?P<o>{CL})?{G(16)}(?P<cue>{k('use')})(?:于|了)?{G(3)}(?P<s>{C})\s*的?{G(10)}(?:{k('use_object')})",
             subj="s", obj="o"),
        Rule("customer.use_product", "hasCustomer",
             rf"(?P<cue>{k('use')})了?{GE(10)}(?P<s>{P})", subj="s", subj_dev=True, conf=0.6),
        Rule("customer.join_camp", "hasCustomer",
             rf"(?P<o>{CL})?{G(8)}(?P<cue>加入){G(2)}(?P<s>{C}){G(2)}(?:阵营|生态)", subj="s"),
        Rule("customer.test_at", "hasCustomer",
             rf"(?P<s>{P}){G(4)}在{G(3)}(?P<o>{CL}){G(12)}(?P<cue>{k('test_at')})", subj_dev=True, conf=0.7),
        Rule("customer.win_bid", "hasCustomer",
             rf"(?P<cue>{k('win_bid')})了?{G(4)}(?P<o>(?:{C}|{S})(?:{_SEP}(?:{C}|{S}))*){G(10)}(?:{k('bid_object')})"),
        # 中国移动公布集采结果，A、B 和 C 中标: the owner is named before the winners (or in the
        # previous sentence of the paragraph); 中标了 X 的项目 is customer.win_bid
        Rule("customer.tender", "hasCustomer",
             rf"(?P<s>{CL}){G(12)}(?P<cue>{k('tender_win')})(?!结果|候选|公告|名单|金额|份额|价|率|通知|了?{G(4)}{E})",
             subj="s", obj_from="tender"),
        Rule("customer.tender_candidates", "hasCustomer",
             rf"(?P<cue>中标候选人|中标人|中标企业|中标厂商|中标单位|入围企业|入围厂商)(?:为|是|包括|有|分别为|分别是|依次为)?"
             rf"[：:]?{G(2)}(?P<s>{CL})", subj="s", obj_from="tender"),
        Rule("customer.contractor", "hasCustomer",
             rf"(?P<o>{C}){GS(20)}(?:项目|工程|网络|基地|工厂|园区|中心){GS(4)}由{G(4)}(?P<s>{CL}){G(4)}"
             rf"(?P<cue>{k('contract')})", subj="s"),
        Rule("customer.contract", "hasCustomer",
             rf"(?P<cue>承建|总包|承接)了?{G(4)}(?P<o>{CL}){G(3)}的?{G(16)}(?:项目|工程|数据中心|网络)"),
        Rule("customer.order_get", "hasCustomer",
             rf"(?P<cue>{k('order_get')})了?{G(4)}(?P<o>{CL}){G(3)}的?{G(12)}(?:{k('order_noun')})"),
        # 天玑 9000 已被 A、B 等品牌的机型采用: buyers of the product's developer
        Rule("customer.adopted_by", "hasCustomer",
             rf"(?P<s>{P})?{G(20)}被{G(2)}(?P<o>{CL}){G(16)}(?P<cue>{k('passive_use')})", subj="s",
             subj_kind="Product", subj_dev=True, conf=0.7),
        Rule("customer.foundry_for", "hasCustomer",
             rf"(?:为|给|替){G(2)}(?P<o>{CL}){G(12)}(?P<cue>{k('foundry')})"),
        Rule("customer.shortlist", "hasCustomer",
             rf"(?P<cue>入围|入选)了?{G(8)}(?P<o>{CL}){G(16)}(?:{k('procure')})"),
        Rule("customer.add_business", "hasCustomer",
             rf"(?P<cue>{k('business_add')}){G(2)}(?P<o>{CL}){G(12)}(?:业务|订单|客户)", conf=0.6),
        Rule("customer.cooperate_clients", "hasCustomer",
             rf"(?:与|和|同){G(2)}(?P<o>{CL}){G(2)}等{G(12)}(?:企业|客户|银行|厂商|车企|运营商|机构|用户){G(16)}(?P<cue>合作)",
             article_only=True, conf=0.65),
        Rule("customer.self_use", "hasCustomer", rf"(?P<o>{C}){G(2)}(?P<cue>自用|内部使用)", subj="focus",
             conf=0.7),
        Rule("customer.order_won", "hasCustomer",
             rf"(?P<cue>{k('order_won')})了?{G(6)}(?P<o>{P}){G(12)}订单", obj_dev=True, with_partners=True, conf=0.7),
        Rule("customer.foundry", "hasCustomer",
             rf"(?P<o>{CL}){G(20)}由{G(2)}(?P<s>{C}){G(2)}(?P<cue>{k('foundry')})", subj="s"),
        Rule("customer.entrust", "hasCustomer", rf"委托{G(2)}(?P<s>{C}){G(2)}(?P<cue>{k('foundry')})", subj="s"),
        Rule("customer.foundry_partner", "hasCustomer",
             rf"(?:与|和|同|跟){G(2)}(?P<s>{C}){G(3)}(?P<cue>合作)，{G(4)}(?:借助|利用|依靠){GE(24)}(?:制造|代工|工艺|制程)",
             subj="s"),
        # ---- develops
        Rule("develops.launch", "develops",
             rf"(?P<cue>{k('launch')})了?{G(16)}(?P<o>{PL})", conf=0.8, forbid=k("arg_verb"), para_subject=True),
        Rule("develops.launch_after", "develops",
             rf"(?P<s>{C}){G(12)}(?P<o>{PL}){G(4)}(?P<cue>{k('launch_after')})", subj="s", conf=0.75),
        Rule("develops.possessive", "develops", rf"(?P<s>{C})\s*的\s*{G(8)}(?P<o>{P})", subj="s", conf=0.7),
        Rule("develops.ordinal", "develops",
             rf"(?P<s>{C})\s*的?\s*(?P<cue>{k('ordinal')}){G(12)}(?P<o>{P})", subj="s", conf=0.8),
        Rule("develops.is_ordinal", "develops",
             rf"(?P<o>{P}){G(3)}是{G(3)}(?P<s>{C})\s*的?\s*(?P<cue>{k('ordinal')})", subj="s", conf=0.85),
        Rule("develops.brand", "develops", rf"(?P<s>{C})\s*(?P<o>{P})", subj="s", conf=0.65),
        Rule("develops.for_product", "develops",
             rf"(?P<s>{C}){G(4)}为{G(2)}(?P<o>{P}){G(8)}(?P<cue>采购|准备|购买|订购|研发|设计)", subj="s", conf=0.7),
        Rule("develops.ship", "develops", rf"(?P<s>{C}){G(12)}(?P<cue>出货|发售|销售){G(12)}(?P<o>{P})", subj="s",
             conf=0.6),
        Rule("develops.subsidiary_product", "develops", rf"(?P<s>{C}){G(2)}旗下{G(10)}(?P<o>{PL})", subj="s"),
        Rule("develops.such_as", "develops",
             rf"(?P<s>{C}){G(2)}的{G(10)}，?(?:如|例如|包括|比如)\s*(?P<o>{PL})", subj="s", conf=0.7),
        # ---- manufacture and platforms
        Rule("manufacture.process", "manufacturedBy",
             rf"(?P<cue>采用|使用|基于){G(2)}(?P<o>{C}){G(12)}(?:{k('process')})", subj=None, conf=0.8),
        Rule("manufacture.foundry", "manufacturedBy",
             rf"(?P<s>{PL}){G(8)}由{G(2)}(?P<o>{C}){G(4)}(?P<cue>{k('foundry')})", subj="s"),
        Rule("basedon.based", "basedOn", rf"(?P<cue>{k('based')}){G(16)}(?P<o>{PL}){G(16)}的{G(16)}(?P<s>{BPL})",
             subj="s", conf=0.75),
        # vivo X90 搭载天玑 9200 / 搭载天玑 9200 的 vivo X90
        Rule("basedon.equipped", "basedOn",
             rf"(?P<s>{BPL}){G(10)}(?P<cue>{k('equip')})了?{G(6)}(?P<o>{BPL})", subj="s", conf=0.7),
        Rule("basedon.equipped_of", "basedOn",
             rf"(?P<cue>{k('equip')})了?{G(6)}(?P<o>{PL}){G(4)}的{G(10)}(?P<s>{BPL})", subj="s", conf=0.75),
        Rule("basedon.built_on", "basedOn",
             rf"(?P<s>{P}){G(20)}(?P<cue>建立在|构建在|构建于|基于){G(4)}(?P<o>{P})", subj="s", conf=0.75),
        Rule("basedon.card_list", "basedOn",
             rf"(?P<o>{P}){G(8)}(?:{k('card')}){G(2)}[（(]\s*(?P<s>{P}(?:\s*(?:、|/|／|,)\s*(?:{P}|[A-Za-z0-9-]+))*)",
             subj="s", conf=0.75),
        Rule("basedon.card_launch", "basedOn",
             rf"(?:推出|发布|上市)了?{G(2)}{NUM}\s*款{G(6)}(?P<cue>{k('card')}){G(2)}[：:]\s*(?P<s>{PL})",
             subj="s", obj_parent=True, conf=0.7),
        # ---- sites
        Rule("operates.at", "operatesAt",
             rf"在{G(3)}(?P<o>{SL}){G(12)}(?P<cue>{k('operate')})", conf=0.8),
        Rule("operates.enter", "operatesAt", rf"(?P<cue>{k('enter')}){G(4)}(?P<o>{SL})", conf=0.75),
        Rule("operates.build", "operatesAt", rf"(?P<cue>{k('build')}){G(4)}(?P<o>{S})", conf=0.7),
        Rule("operates.own_facility", "operatesAt",
             rf"(?P<s>{C}){G(4)}(?:旗下|的){G(4)}位于{G(2)}(?P<o>{S}){G(8)}(?P<cue>{k('facility')})", subj="s"),
        # 公司位于河南洛阳的新基地 (其位于 … is too often someone else's: left out)
        Rule("operates.located_facility", "operatesAt",
             rf"(?P<s>{C})\s*位于{G(2)}(?P<o>{S}){G(2)}的{G(6)}(?P<cue>{k('facility')})", subj="s", no_pronoun=True,
             conf=0.75),
        # 海外方面，德国图林根工厂已开始量产: whose plant is the clause's (or paragraph's) subject
        Rule("operates.facility_state", "operatesAt",
             rf"(?<![从向为给在由与和])(?P<o>{SL})\s*的?\s*(?P<cue>工厂|基地|生产基地|超级工厂|晶圆厂|产线|生产线|研发中心)"
             rf"{G(16)}(?:{k('facility_state')})", para_subject=True, conf=0.65),
        Rule("operates.business", "operatesAt",
             rf"(?P<s>{C}){G(4)}的{G(2)}(?P<o>{S}){G(4)}(?P<cue>{k('business')})", subj="s", conf=0.7),
        Rule("operates.facility", "operatesAt", rf"(?P<s>{C})\s*(?P<o>{S}){G(3)}(?P<cue>{k('facility')})",
             subj="s", conf=0.7),
        Rule("operates.project_at", "operatesAt",
             rf"(?P<s>{C}){G(10)}(?:项目|工厂|基地){G(2)}位于{G(2)}{S}?{G(2)}的?{G(2)}(?P<o>{S})", subj="s"),
        Rule("operates.line_in", "operatesAt",
             rf"(?P<cue>生产线|产线|工厂|基地|研发中心|办事处){G(4)}(?:在|位于|设在){G(2)}(?:{S}{G(2)}的\s*)?(?P<o>{S})",
             conf=0.7),
        Rule("located.hq", "locatedIn", rf"(?P<cue>{k('hq')}){G(2)}(?P<o>{S})", conf=0.8),
        # an event venue (在加州旧金山举办的) is no place of business: left to the entity layer
        Rule("located.adjacent", "locatedIn",
             rf"(?P<o>{S})\s*的?\s*(?P<s>{S})(?!{GE(8)}(?:举办|举行|召开|开幕))", subj="s", conf=0.7),
        Rule("located.project_at", "locatedIn",
             rf"位于{G(2)}(?:{S}\s*)*(?P<o>{S}){G(2)}的{G(2)}(?P<s>{S})", subj="s", conf=0.75),
        Rule("located.lies_in", "locatedIn",
             rf"(?P<s>{S})?{G(12)}(?P<cue>{k('located')}){G(2)}(?P<o>{S})", subj="s", conf=0.65),
        # ---- partners, deals, rivals
        Rule("partner.with", "partnerOf",
             rf"(?:与|和|同|跟){G(4)}(?P<o>{CL}){GE(16)}(?P<cue>{k('partner_words')}|{k('partner_joint')})"),
        Rule("partner.pair", "partnerOf",
             rf"(?P<s>{C})\s*(?:与|和|同|跟)\s*(?P<o>{C}){G(4)}(?P<cue>{k('partner_joint')}|共同|联合|携手)", subj="s"),
        Rule("partner.both", "partnerOf",
             rf"(?P<s>{C})(?!\s*的){GBP(16)}(?:[，,]{GBP(8)})?(?P<cue>{k('partner_joint')}|{k('partner_words')}|共同|联合|合作(?!伙伴))",
             subj="s", among=True, conf=0.7),
        # X 的合作伙伴包括 A、B (named as 客户 they are customers: customer.noun)
        Rule("partner.list", "partnerOf",
             rf"(?P<s>{C})\s*的?\s*(?:战略|核心|重要|主要|生态)?\s*(?P<cue>合作伙伴)(?:包括|有|涵盖|如|还有)[：:]?{G(2)}(?P<o>{CL})",
             subj="s"),
        Rule("partner.partners", "partnerOf",
             rf"(?:与|和|同|跟){G(4)}(?P<o>{CL}){G(4)}等?{G(2)}(?P<cue>合作伙伴)"),
        Rule("partner.cooperate", "partnerOf",
             rf"(?:与|和|同|跟){G(4)}(?P<o>{CL}){G(6)}(?P<cue>合作)(?!伙伴)", conf=0.6),
        Rule("acquires.buy", "acquires", rf"(?P<cue>{k('acquire')})了?(?:{G(8)}|{G(14)}的\s*)(?P<o>{CL})", hedge="deal"),
        Rule("acquires.of", "acquires", rf"对{G(12)}(?P<o>{C}){G(2)}的(?P<cue>{k('acquire')})", hedge="deal"),
        Rule("invests.invest", "invests", rf"(?P<cue>{k('invest')})了?{G(4)}(?P<o>{CL})", hedge="deal"),
        Rule("invests.from", "invests",
             rf"(?P<o>{C}){G(10)}获得{G(4)}来自{G(4)}(?P<s>{CL}){G(12)}的?(?P<cue>投资|融资|注资)", subj="s"),
        Rule("invests.held_by", "invests",
             rf"(?P<o>{C}){G(4)}由[^{_STOP}]{{0,30}}?(?P<s>{C})[^{_STOP}]{{0,30}}?(?P<cue>{k('own')})", subj="s"),
        # X 完成 A 轮融资，由 A 和 B 领投，C、D 跟投
        Rule("invests.round", "invests", rf"(?P<s>{CL}){G(6)}(?P<cue>{k('round')})", subj="s", obj_from="funded",
             hedge="deal"),
        Rule("invests.stake", "invests", rf"(?P<cue>持有|获得|拥有|持股){G(2)}(?P<o>{C}){G(16)}(?:{k('stake')})",
             hedge="deal"),
        Rule("invests.shareholders", "invests",
             rf"(?P<o>{C}){G(4)}的?{G(6)}(?P<cue>{k('shareholder')})(?:包括|有|为|是|还有|涵盖)[：:]?{G(2)}(?P<s>{CL})",
             subj="s", heads=False),
        Rule("invests.becomes_shareholder", "invests",
             rf"成为{G(2)}(?P<o>{C}){G(6)}的?{G(6)}(?P<cue>{k('shareholder')})", hedge="deal"),
        Rule("invests.subsidiary", "invests",
             rf"(?P<s>{C}){G(2)}(?P<cue>{k('subsidiary')}){G(10)}(?P<o>{C})", subj="s", heads=False),
        Rule("invests.is_subsidiary", "invests",
             rf"(?P<o>{C}){G(3)}(?:是|为|成为){G(3)}(?P<s>{C}){G(6)}的?(?:全资|控股)?(?P<cue>子公司)", subj="s"),
        Rule("competitor.rival", "competitor",
             rf"(?P<s>{C})?\s*的?{G(4)}(?P<cue>{k('rival')})(?:之一)?\s*(?:是|为|包括|有|主要有|分别是|当属)?[：:]?\s*(?P<o>{CL})"),
        Rule("competitor.is_rival", "competitor",
             rf"(?P<o>{CL}){G(3)}(?:是|为|成为){G(3)}(?P<s>{C}){G(8)}(?P<cue>{k('rival')})", subj="s"),
        Rule("competitor.becomes_rival", "competitor",
             rf"(?:成为|是){G(2)}(?P<o>{C}){G(10)}的?{G(8)}(?P<cue>{k('rival')})"),
        Rule("competitor.regard", "competitor",
             rf"将{G(2)}(?P<o>{C}){G(2)}(?:视为|看作|当作){G(4)}(?P<cue>{k('rival')})"),
        Rule("competitor.compete", "competitor", rf"与{G(2)}(?P<o>{CL}){G(4)}(?P<cue>{k('compete')})", conf=0.7),
    )


_SIGNATURE = {
    "hasCustomer": ({"Company"}, {"Company", "Site"}),
    "supplierOf": ({"Company"}, {"Company", "Site"}),
    "develops": ({"Company"}, {"Product"}),
    "manufacturedBy": ({"Product"}, {"Company"}),
    "basedOn": ({"Product"}, {"Product"}),
    "operatesAt": ({"Company"}, {"Site"}),
    "locatedIn": ({"Site", "Company"}, {"Site"}),
    "partnerOf": ({"Company"}, {"Company"}),
    "acquires": ({"Company"}, {"Company"}),
    "invests": ({"Company"}, {"Company"}),
    "competitor": ({"Company"}, {"Company"}),
}
_SYMMETRIC = {"partnerOf", "competitor"}
_CUSTOMER = {"hasCustomer", "supplierOf"}


# --------------------------------------------------------------------------- the finder


def _view_inputs(ex: Extraction) -> tuple:
    """Everything the sentence views of ``ex`` (and its article subject) are built from."""
    return (ex.doc.text, tuple(ex.sentences), tuple(ex.doc.paragraphs),
            tuple((e.local_id, e.kind, tuple((m.start, m.end) for m in e.mentions)) for e in ex.entities))


class _Finder:
    # find_relations and then find_figures read the same sentence views: the last ones built
    # are kept with their inputs and reused while those are equal (nothing changes views later)
    _last: tuple[tuple, str | None, list[View]] | None = None

    def __init__(self, ex: Extraction):
        self.ex = ex
        self.text = ex.doc.text
        self.kind = {e.local_id: e.kind for e in ex.entities}
        inputs = _view_inputs(ex)
        last = _Finder._last
        if last is not None and last[0] == inputs:
            self.article, self.views = last[1], last[2]
        else:
            self.article = _article_subject(ex)
            self.views = self._views()
            _Finder._last = (inputs, self.article, self.views)
        self.hedge_sentence = re.compile(cues()["hedge_sentence"])
        self.hedge_clause = re.compile(cues()["hedge_clause"])
        self.hedge_deal = re.compile(cues()["hedge_deal"])
        self.out: dict[tuple[str, str, str], Relation] = {}
        self.developer: dict[str, str] = {}

    # -- building views ------------------------------------------------------------------
    def _para_of(self, start: int) -> int:
        for n, (a, b) in enumerate(self.ex.doc.paragraphs):
            if a <= start < b:
                return n
        return -1

    def _views(self) -> list[View]:
        mentions = sorted(
            ((m.start, m.end, e.kind, e.local_id) for e in self.ex.entities for m in e.mentions
             if e.kind in _BASE),
            key=lambda t: (t[0], -t[1]))
        starts = [m[0] for m in mentions]
        views: list[View] = []
        for s, t in self.ex.sentences:
            view = View(start=s, end=t, para=self._para_of(s))
            last = -1
            # mentions are sorted by start: only those starting inside the sentence can fit
            for a, b, kind, lid in mentions[bisect.bisect_left(starts, s):bisect.bisect_right(starts, t)]:
                if b <= t and a >= last:
                    view.toks.append(Tok(a, b, kind, (lid,)))
                    last = b
            self._anaphors(view, views)
            self._product_anaphors(view, views)
            view.build(self.text)
            views.append(view)
        return views

    def _first_company(self, view: View) -> list[str]:
        for tok in sorted(view.toks, key=lambda t: t.start):
            if tok.kind == "Company":
                return list(tok.ents)
        return []

    def _anaphors(self, view: View, previous: list[View]) -> None:
        text = self.text
        if not _ANY_ANAPHOR.search(text, view.start, view.end):
            return  # most sentences have none: skip the per-pattern passes
        real = sorted(view.toks, key=lambda t: t.start)
        taken = [(t.start, t.end) for t in real]
        prev = previous[-1] if previous else None
        same_para_prev = prev if prev and prev.para == view.para else None
        found: list[Tok] = []
        for kind, pattern in _ANAPHORS:
            for m in pattern.finditer(text, view.start, view.end):
                a, b = m.start(), m.end()
                if any(x < b and a < y for x, y in taken):
                    continue
                before = [t for t in sorted(real + found, key=lambda t: t.start)
                          if t.end <= a and t.kind == "Company"]
                ents: list[str] = []
                if kind == "list" or kind in {"latter", "former"}:
                    groups = [g for g in self._company_lists([t for t in real if t.end <= a]) if len(g) >= 2]
                    two = m.group() in {"双方", "两家公司", "这两家公司"}
                    if not groups and two:
                        groups = [g for g in [self._two_parties([t for t in real if t.end <= a])] if g]
                    if not groups and prev:
                        groups = [g for g in self._company_lists(prev.toks) if len(g) >= 2]
                    if groups:
                        g = groups[-1]
                        ents = g if kind == "list" else [g[-1] if kind == "latter" else g[0]]
                    elif two and prev:
                        ents = self._two_parties(prev.toks)
                elif kind == "we":
                    ents = self._speaker(view, a, previous)
                elif kind == "it":
                    ents = list(before[-1].ents) if before else (self._first_company(prev) if prev else [])
                elif kind == "this":
                    ents = list(before[0].ents) if before else (
                        self._first_company(prev) if prev else ([self.article] if self.article else []))
                else:  # bare 公司 / 本公司
                    if before:
                        ents = list(before[0].ents)
                    elif same_para_prev and self._first_company(same_para_prev):
                        ents = self._first_company(same_para_prev)
                    elif self.article:
                        ents = [self.article]
                if ents:
                    found.append(Tok(a, b, "Company", tuple(ents), virtual=True))
                    taken.append((a, b))
        view.toks.extend(found)

    @staticmethod
    def _two_parties(tokens: Iterable[Tok]) -> list[str]:
        """The two companies a ``双方`` refers to when exactly two are named."""
        ents: list[str] = []
        for t in sorted(tokens, key=lambda t: t.start):
            if t.kind == "Company" and not t.virtual:
                ents.extend(e for e in t.ents if e not in ents)
        return ents if len(ents) == 2 else []

    def _product_anaphors(self, view: View, previous: list[View]) -> None:
        """``该芯片`` / ``这款手机``: the last product named before it in the sentence, else the last
        product of the previous sentence of the paragraph."""
        prev = previous[-1] if previous and previous[-1].para == view.para else None
        taken = [(t.start, t.end) for t in view.toks]
        for m in _PRODUCT_ANAPHOR.finditer(self.text, view.start, view.end):
            a, b = m.start(), m.end()
            if any(x < b and a < y for x, y in taken):
                continue
            before = sorted((t for t in view.toks if t.kind == "Product" and t.end <= a), key=lambda t: t.start)
            if not before and prev:
                before = sorted((t for t in prev.toks if t.kind == "Product"), key=lambda t: t.start)
            if before:
                view.toks.append(Tok(a, b, "Product", before[-1].ents, virtual=True))
                taken.append((a, b))
        # 该中心 / 该工厂: the last facility before it whose name ends in the same noun
        for m in _SITE_ANAPHOR.finditer(self.text, view.start, view.end):
            a, b = m.start(), m.end()
            if any(x < b and a < y for x, y in taken):
                continue
            cands = [t for t in view.toks if t.kind == "Site" and t.end <= a]
            if not cands and prev:
                cands = list(prev.toks)
            cands = [t for t in sorted(cands, key=lambda t: t.start)
                     if t.kind == "Site" and self.text[t.start:t.end].endswith(m.group(1))]
            if cands:
                view.toks.append(Tok(a, b, "Site", cands[-1].ents, virtual=True))
                taken.append((a, b))

    def _company_lists(self, tokens: Iterable[Tok]) -> list[list[str]]:
        """Company enumerations (as entity ids) among ``tokens``, in text order."""
        toks = sorted((t for t in tokens if t.kind == "Company"), key=lambda t: t.start)
        groups: list[list[str]] = []
        last_end = None
        for t in toks:
            if last_end is not None and re.fullmatch(_SEP + r"|\s*", self.text[last_end:t.start]):
                groups[-1].extend(e for e in t.ents if e not in groups[-1])
            else:
                groups.append(list(t.ents))
            last_end = t.end
        return groups

    def _speaker(self, view: View, a: int, previous: list[View]) -> list[str]:
        """``我们`` inside a quote: the company of the person who speaks (``X 总裁表示：“``)."""
        for v in [view, *reversed(previous[-3:])]:
            end = a if v is view else v.end
            m = None
            for m in re.finditer(r"(?:表示|称|说|指出|透露|介绍)[：:]\s*“", self.text[v.start:end]):
                pass
            if m:
                for tok in sorted(v.toks, key=lambda t: t.start):
                    if tok.kind == "Company" and not tok.virtual and tok.start < v.start + m.start():
                        return list(tok.ents)
                return []
        return []

    # -- matching ------------------------------------------------------------------------
    def hedged(self, view: View, a: int, b: int, mode: str) -> bool:
        tpl = view.tpl
        if self.hedge_sentence.search(tpl[:b]):
            return True
        cs, ce = view.clause_start(a), view.clause_end(max(a, b - 1))
        clause = tpl[cs:ce]
        if self.hedge_clause.search(clause):
            return True
        return mode == "deal" and bool(self.hedge_deal.search(tpl[view.clause_start(a):b]))

    def run(self) -> list[Relation]:
        candidates = [_rule_index().candidates(view.tpl) for view in self.views]
        # two passes: developers first (customer.test_at and product suppliers need them)
        for develops in (True, False):
            for view, rules in zip(self.views, candidates):
                for rule in rules:
                    if (rule.predicate == "develops") == develops:
                        for m in rule.regex.finditer(view.tpl):
                            self.apply(rule, view, m)
            if develops:
                self.developer = self._developers()
        self._gazetteer_develops()
        self._pair_operations()
        self._derived_customers()
        return self.finish()

    def _ents_of_group(self, view: View, m: re.Match[str], group: str, heads: bool,
                       innermost: bool = False) -> list[str]:
        a, b = m.span(group)
        return _objects(view, a, b, innermost) if heads else view.ents(a, b)

    def apply(self, rule: Rule, view: View, m: re.Match[str]) -> None:
        cue = m.start("cue") if "cue" in rule.regex.groupindex and m.start("cue") >= 0 else m.start()
        if self.hedged(view, m.start(), m.end(), rule.hedge):
            return
        if rule.forbid and "cue" in rule.regex.groupindex and m.group("cue") is not None:
            if re.search(rule.forbid, view.tpl[m.end("cue"):m.start(rule.obj) if rule.obj in rule.regex.groupindex and m.group(rule.obj) else m.end()]):
                return
        # clauses that speak as 我们 (a quote) only state what the speaker's company does
        groups = rule.regex.groupindex
        if rule.subj and rule.subj in groups and m.group(rule.subj) is not None:
            subjects = view.ents(*m.span(rule.subj))
        else:
            subjects = self._clause_subject(view, m.start(), rule)
        if rule.subj == "focus":
            subjects = [self.developer[p] for p in self._focus_product(view, m.start()) if p in self.developer]
        if rule.with_partners:
            cs = view.clause_start(m.start())
            for mm in re.finditer(rf"(?:与|和|同|跟)\s*({CL})", view.tpl[cs:m.start()]):
                subjects += view.ents(cs + mm.start(1), cs + mm.end(1))
        if rule.subj_dev:
            subjects = [self.developer[s] for s in subjects if s in self.developer]
        if rule.no_pronoun and rule.subj in groups and m.group(rule.subj) is not None:
            a, b = view.span(*m.span(rule.subj))
            if self.text[a:b] in {"其", "它"}:
                return
        if rule.among:
            if not all(view.tok_at.get(i) and view.tok_at[i].virtual for i in range(*m.span(rule.subj))):
                return
            for i, a in enumerate(subjects):
                for b in subjects[i + 1:]:
                    self.add(rule, a, b, view, m, rule.conf)
            return
        if rule.obj_from == "tender":
            objects = [o for o in self._tender_owner(view, m.start()) if o not in subjects]
        elif rule.obj_from == "funded":
            objects = [o for o in self._funded(view, m.start()) if o not in subjects]
        elif rule.obj not in groups or m.group(rule.obj) is None:
            objects = self._clause_subject(view, m.start(), rule) if rule.predicate in _CUSTOMER else []
        else:
            objects = self._ents_of_group(view, m, rule.obj, rule.heads, rule.predicate == "operatesAt")
        if rule.obj_dev:
            objects = [self.developer[o] for o in objects if o in self.developer]
        if rule.obj_parent:
            objects = self._parent_chip(view, m.start(), subjects)
        if rule.article_only:
            subjects = [s for s in subjects if s == self.article]
        virtual = any(view.tok_at.get(i) and view.tok_at[i].virtual for i in range(m.start(), m.end()))
        conf = round(rule.conf * (0.85 if virtual else 1.0), 3)
        for s in subjects:
            for o in objects:
                self.add(rule, s, o, view, m, conf)

    def _focus_product(self, view: View, k: int) -> list[str]:
        """The product in focus: the last one named before ``k`` in this or the previous sentence."""
        idx = self.views.index(view)
        toks = [t for t in view.toks if t.kind == "Product" and t.start < view.pos[k][0]]
        if not toks and idx:
            toks = [t for t in self.views[idx - 1].toks if t.kind == "Product"]
        return list(toks[-1].ents) if toks else []

    def _parent_chip(self, view: View, k: int, cards: list[str]) -> list[str]:
        """The product the listed cards are built on: named earlier in this sentence or in the
        previous sentence of the paragraph, and sharing a model number with every card."""
        idx = self.views.index(view)
        candidates = [t for t in view.toks if t.kind == "Product" and t.start < view.pos[k][0]]
        if idx and self.views[idx - 1].para == view.para:
            candidates = [t for t in self.views[idx - 1].toks if t.kind == "Product"] + candidates
        labels = {e.local_id: e.label for e in self.ex.entities}
        for tok in reversed(candidates):
            chip = tok.ents[0]
            numbers = set(re.findall(r"\d{2,}", labels[chip]))
            if chip not in cards and numbers and all(
                    numbers & set(re.findall(r"\d{2,}", labels[c])) for c in cards):
                return [chip]
        return []

    def _clause_subject(self, view: View, cue: int, rule: Rule) -> list[str]:
        if rule.predicate == "manufacturedBy":
            return _subject(view, cue, "Product")
        found = _subject(view, cue, rule.subj_kind)
        # (a brand in front of its product, 首发车型为极氪 009, names no actor)
        if not found and rule.para_subject and not re.search(rf"{C}(?!\s*{P})", view.tpl):
            found = self._para_subject(view)
        return found

    def _earlier_in_para(self, view: View, n: int = 2) -> list[View]:
        """Up to ``n`` sentences before ``view`` in its paragraph, nearest first."""
        idx = self.views.index(view)
        out = []
        for v in reversed(self.views[max(0, idx - n):idx]):
            if v.para != view.para:
                break
            out.append(v)
        return out

    def _para_subject(self, view: View) -> list[str]:
        """A sentence without a company continues the paragraph's topic (the first company of the
        nearest earlier sentence of the paragraph that names one)."""
        for v in self._earlier_in_para(view):
            if self.hedge_sentence.search(v.tpl):
                return []
            first = self._first_company(v)
            if first:
                return first
        return []

    def _tender_owner(self, view: View, k: int) -> list[str]:
        """Who runs the tender that the winners at tpl index ``k`` won: a company followed by a
        tender cue earlier in the sentence, else in the previous sentence of the paragraph when it
        announces a result and this one refers back to the tender."""
        owner = re.compile(rf"(?P<own>{C})[^。；;！？!?\U000F0000-\U000F0FFF]{{0,40}}?(?:{cues()['tender_owner']})")
        found = [m for m in owner.finditer(view.tpl[:k])]
        if found:
            return view.ents(*found[-1].span("own"))
        if not re.search(rf"本次|此次|这次|该|{cues()['tender_owner']}", view.tpl[:k]):
            return []
        for v in self._earlier_in_para(view, 1):
            found = [m for m in owner.finditer(v.tpl)
                     if re.search(r"结果|公示|公布|名单|中标", v.tpl[m.end():])]
            if found and not self.hedged(v, found[-1].start(), found[-1].end(), "clause"):
                return v.ents(*found[-1].span("own"))
        return []

    def _funded(self, view: View, k: int) -> list[str]:
        """The company that raised the round whose investors stand at tpl index ``k``."""
        funded = re.compile(rf"(?P<o>{C}){G(30)}(?:融资|募资)")
        found = list(funded.finditer(view.tpl[:k]))
        if found:
            return view.ents(*found[-1].span("o"))
        for v in self._earlier_in_para(view, 1):
            found = list(funded.finditer(v.tpl))
            if found:
                return v.ents(*found[-1].span("o"))
        return []

    def add(self, rule: Rule, s: str, o: str, view: View, m: re.Match[str], conf: float) -> None:
        pred = rule.predicate
        if s == o:
            return
        subj_kinds, obj_kinds = _SIGNATURE[pred]
        if self.kind.get(s) not in subj_kinds or self.kind.get(o) not in obj_kinds:
            return
        if pred == "locatedIn" and self.kind.get(s) == "Company" and rule.name != "located.hq":
            return
        if pred in _SYMMETRIC:
            s, o = sorted((s, o))
        start, end = view.span(m.start(), m.end())
        key = (s, "hasCustomer" if pred in _CUSTOMER else pred, o)
        old = self.out.get(key)
        if old is None or conf > old.confidence:
            self.out[key] = Relation(subject=s, predicate=pred, object=o, start=start, end=end,
                                     sentence_start=view.start, sentence_end=view.end, rule=rule.name,
                                     confidence=conf)

    # -- document-level steps ------------------------------------------------------------
    def _developers(self) -> dict[str, str]:
        """One developer per product: the most confident develops relation, else the gazetteer."""
        best: dict[str, Relation] = {}
        for (s, p, o), rel in self.out.items():
            if p == "develops" and (o not in best or rel.confidence > best[o].confidence):
                best[o] = rel
        dev = {o: rel.subject for o, rel in best.items()}
        for prod, company in self._gazetteer_pairs():
            dev.setdefault(prod, company)
        return dev

    def _gazetteer_pairs(self) -> list[tuple[str, str]]:
        gaz = load_gazetteer()
        by_key = {e.key: e.local_id for e in self.ex.entities if e.kind == "Company" and e.key}
        out = []
        for ent in self.ex.entities:
            if ent.kind != "Product":
                continue
            dev_key = ""
            if ent.key:
                entry = gaz.get("Product", ent.key)
                dev_key = entry.parent_key if entry else ""
            if not dev_key:
                for line, (key, _sub) in gaz.product_lines.items():
                    if ent.label.replace(" ", "").startswith(line.replace(" ", "")):
                        dev_key = key
                        break
            if dev_key and dev_key in by_key:
                out.append((ent.local_id, by_key[dev_key]))
        return out

    def _gazetteer_develops(self) -> None:
        """A known developer named in the same sentence as its product develops it."""
        claimed = {o for (s, p, o) in self.out if p == "develops"}
        for prod, company in self._gazetteer_pairs():
            if prod in claimed:
                continue
            for view in self.views:
                ids = {e for t in view.toks if not t.virtual for e in t.ents}
                if prod in ids and company in ids:
                    tok = next(t for t in view.toks if prod in t.ents)
                    self.out[(company, "develops", prod)] = Relation(
                        subject=company, predicate="develops", object=prod, start=tok.start, end=tok.end,
                        sentence_start=view.start, sentence_end=view.end, rule="develops.known",
                        confidence=0.5)
                    break

    def _pair_operations(self) -> None:
        """``A 与 B 合作，在 S 建厂``: the partner operates at the site too."""
        partners = [r for r in self.out.values() if r.predicate == "partnerOf"]
        for rel in list(self.out.values()):
            if rel.predicate != "operatesAt":
                continue
            for p in partners:
                if p.sentence_start == rel.sentence_start and rel.subject in (p.subject, p.object):
                    other = p.object if rel.subject == p.subject else p.subject
                    key = (other, "operatesAt", rel.object)
                    if key not in self.out:
                        self.out[key] = Relation(other, "operatesAt", rel.object, rel.start, rel.end,
                                                 rel.sentence_start, rel.sentence_end, "operates.partner",
                                                 round(rel.confidence * 0.9, 3))

    def _derived_customers(self) -> None:
        """A product built on another maker's chip makes its developer that chip maker's customer
        (vivo X90 搭载天玑 9200 → 联发科 hasCustomer vivo).

        A foundry making a *named* chip gives ``manufacturedBy`` only, as the annotation guide
        asks (思元 370 采用台积电 7nm 工艺); ``hasCustomer`` is for foundry work whose chips the
        text does not name (台积电为中兴代工).
        """
        dev = self.developer
        for rel in list(self.out.values()):
            if rel.predicate == "basedOn":
                seller, buyer, name = dev.get(rel.object), dev.get(rel.subject), "customer.chip_buyer"
            else:
                continue
            if not seller or not buyer or seller == buyer:
                continue
            if self.kind.get(seller) != "Company" or self.kind.get(buyer) != "Company":
                continue
            key = (seller, "hasCustomer", buyer)
            if key not in self.out:
                self.out[key] = Relation(seller, "hasCustomer", buyer, rel.start, rel.end, rel.sentence_start,
                                         rel.sentence_end, name, round(rel.confidence * 0.85, 3))

    def finish(self) -> list[Relation]:
        rels = list(self.out.values())
        # one developer per product (the most confident, then the earliest)
        best: dict[str, Relation] = {}
        for r in rels:
            if r.predicate == "develops":
                cur = best.get(r.object)
                if cur is None or (r.confidence, -r.start) > (cur.confidence, -cur.start):
                    best[r.object] = r
        rels = [r for r in rels if r.predicate != "develops" or best[r.object] is r]
        # a customer relation and a partnership between the same pair: keep the customer reading
        # (a 合作关系 with listed buyers stated in the sentence that says they buy is no partnership)
        pairs = {frozenset((r.subject, r.object)) for r in rels if r.predicate in _CUSTOMER}
        same = {(frozenset((r.subject, r.object)), r.sentence_start) for r in rels if r.predicate in _CUSTOMER}
        rels = [r for r in rels if not (
            r.predicate == "partnerOf" and (
                (r.rule == "partner.cooperate" and frozenset((r.subject, r.object)) in pairs)
                or (r.rule in {"partner.with", "partner.partners"}
                    and (frozenset((r.subject, r.object)), r.sentence_start) in same)))]
        return sorted(rels, key=lambda r: (r.start, r.predicate, r.subject, r.object))


def find_relations(extraction: Extraction) -> list[Relation]:
    """Relations stated in the sentences of ``extraction``.

    Also flags as customers the buyers whose seller is not named (``小米在 2021 年采购 6700 万片``)
    by setting ``DocEntity.customer``.

    Example:
        >>> from kg.extract import extract
        >>> from kg.model import Document
        >>> ex = extract(Document(doc_id="t", path="t.txt", text="Spotify 宣布收购 Podsights。",
        ...                       content_hash="0" * 64))
        >>> [(r.predicate, r.rule) for r in ex.relations]
        [('acquires', 'acquires.buy')]
    """
    finder = _Finder(extraction)
    relations = finder.run()
    _flag_buyers(finder)
    return relations


def _flag_buyers(finder: _Finder) -> None:
    """Companies that buy (``采购``, ``购买``, ``下单``) with no seller named are customers too."""
    ents = {e.local_id: e for e in finder.ex.entities}
    pattern = re.compile(rf"(?P<b>{CL})(?P<gap>{GN(20)})(?P<cue>{cues()['purchase']}|下单)")
    for view in finder.views:
        for m in pattern.finditer(view.tpl):
            if finder.hedged(view, m.start(), m.end(), "deal"):
                continue
            # a named seller makes it a relation (handled by the rules), and 成为购买…的场所 is no purchase
            if re.search(r"从|向|由", view.tpl[:m.start("cue")]) or re.search(r"是|成为|让|使|为了", m.group("gap")):
                continue
            for lid in view.ents(*m.span("b")):
                if lid in ents and ents[lid].kind == "Company":
                    ents[lid].customer = True
