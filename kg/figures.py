"""Figure rules: revenue, growth, margins, shipments, prices and specs reported about an entity.

A number expression is a numeral (``7.21``, ``1,030``, ``近百``, ``三``) with an optional
multiplier (``万``, ``亿``, ``百万``, ``万亿``) and a unit from ``kg/data/figure_units.tsv``
(currencies, ``%``, ``成``, spec units such as ``TOPS``/``W``/``nm``, counters such as ``片``).
Its kind comes from the words before it in the clause (``营收`` → revenue, ``同比增长`` → growth,
``毛利率`` → margin, ``出货`` → shipments, ``价格`` → price, spec units → spec, else other). Its
subject is the nearest entity before it in the clause (a product for specs), else the subject of
the clause (see :mod:`kg.relations`), else the article's company. The period is a year (with
quarter or half) in the same clause or sentence, else the nearest earlier year in the paragraph.

Example:
    >>> parse_value("7.21", "亿", "元")
    (721000000.0, 'CNY')
    >>> parse_value("57.12", "", "%")
    (0.5712, 'percent')
"""

from __future__ import annotations

import csv
import functools
import re

from .model import Extraction, Figure
from .relations import _STOP, View, _Finder, _subject
from .resources import resource_path

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "十": 10, "半": 0.5}
_MULT = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "亿": 1e8, "千万": 1e7, "百万": 1e6,
         "十万": 1e5, "万": 1e4, "千": 1e3, "百": 1e2}


@functools.lru_cache(maxsize=1)
def units() -> dict[str, tuple[str, str]]:
    """Unit surfaces from ``kg/data/figure_units.tsv``: surface -> (unit, default kind).

    >>> units()["美元"]
    ('USD', 'other')
    """
    with resource_path("data", "figure_units.tsv").open(encoding="utf-8", newline="") as fh:
        return {r["surface"]: (r["unit"], r["default_kind"])
                for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)}


def _cn_number(text: str) -> float | None:
    """``三`` → 3, ``十二`` → 12, ``二十`` → 20; None when not a Chinese numeral."""
    if not text or any(c not in _DIGITS for c in text):
        return None
    if "十" in text:
        head, _, tail = text.partition("十")
        return (_DIGITS[head] if head else 1) * 10 + (_DIGITS[tail] if tail else 0)
    value = 0.0
    for c in text:
        value = value * 10 + _DIGITS[c]
    return value


def parse_value(num: str, mult: str, unit: str) -> tuple[float, str]:
    """The value and unit code of a number expression.

    >>> parse_value("42", "亿", "美元")
    (4200000000.0, 'USD')
    >>> parse_value("", "百万", "片")
    (1000000.0, 'pieces')
    >>> parse_value("三", "", "成")
    (0.3, 'percent')
    >>> parse_value("1.5", "万亿", "美元")
    (1500000000000.0, 'USD')
    """
    num = num.replace(",", "").strip()
    if not num:
        base = 1.0
    elif re.fullmatch(r"\d+(?:\.\d+)?", num):
        base = float(num)
    else:
        base = _cn_number(num) or 1.0
    factor = 1.0
    for m in re.findall("万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百", mult or ""):
        factor *= _MULT[m]
    value = base * factor
    if unit == "%":
        return round(value / 100, 10), "percent"
    if unit == "成":
        return round(value / 10, 10), "percent"
    code = units().get(unit, (unit, "other"))[0]
    return round(value, 6), code


@functools.lru_cache(maxsize=1)
def _number_re() -> re.Pattern[str]:
    unit_words = sorted(units(), key=len, reverse=True)
    unit_alt = "|".join(re.escape(u) for u in unit_words)
    return re.compile(
        r"(?P<approx>近|约|超过|逾|将近|接近|达|高达|上)?\s*"
        r"(?P<lo>\d+(?:\.\d+)?\s*(?:万亿|亿|千万|百万|万)?\s*(?:至|到|~|-)\s*)?"
        r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|[一二两三四五六七八九十半]+(?=成|万|亿|千|百))?\s*"
        r"(?P<mult>(?:万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百)*)\s*"
        rf"(?P<unit>%|成|{unit_alt})"
        r"(?P<qual>\s*[（(](?:INT|FP|BF)\d+[）)])?"
    )


_KINDS = [
    ("margin", re.compile(r"毛利率|净利率|利润率|毛利")),
    ("growth", re.compile(r"增长|增幅|同比|环比|下降|下滑|飙升|大增|上涨|涨幅")),
    ("revenue", re.compile(r"营收|营业收入|收入|销售额|销售收入|营业额|销售")),
    ("shipments", re.compile(r"出货|销量|交付|发货|卖出|售出|销售了")),
    ("price", re.compile(r"价格|售价|定价|报价|单价|起售|售价为")),
    ("other", re.compile(r"份额|估值|市值|投资|订单|采购|募资|融资|罚款|购买|筹集|积压")),
]
_YEAR = re.compile(r"(?P<y>(?:19|20)\d{2})\s*(?:财)?年(?:\s*(?:第)?(?P<q>[一二三四1-4])\s*季度|\s*(?P<h>上半年|下半年|前三季度))?")
_Q = {"一": "1", "二": "2", "三": "3", "四": "4"}


def _period(text: str, a: int, b: int, clause: tuple[int, int], para: tuple[int, int]) -> str | None:
    def fmt(m: re.Match[str]) -> str:
        y = m.group("y")
        if m.group("q"):
            return f"{y} Q{_Q.get(m.group('q'), m.group('q'))}"
        if m.group("h"):
            return y + {"上半年": "H1", "下半年": "H2", "前三季度": " Q1-Q3"}[m.group("h")]
        return y

    # the closest year before the number in its clause, then in the paragraph before it
    for lo, hi in (clause, (para[0], a)):
        found = [m for m in _YEAR.finditer(text, lo, hi) if m.end() <= a]
        if found:
            return fmt(found[-1])
    return None


def _kind(context: str, unit_kind: str, unit: str) -> str:
    if unit_kind == "spec":
        return "spec"
    if unit in {"%", "成"}:
        if re.search(r"份额|占有率|采用率|渗透率|占比", context):
            return "other"
        for kind in ("margin", "growth"):
            if dict(_KINDS)[kind].search(context[-14:]):
                return kind
        return "other"
    for kind, pattern in _KINDS:
        if kind in {"margin", "growth"}:
            continue
        if pattern.search(context[-16:]):
            if kind == "revenue" and unit_kind != "other":
                continue  # 销售了 200 万颗 is a count
            if kind == "shipments" and unit_kind == "other":
                continue
            return kind
    return "shipments" if unit_kind == "shipments" and re.search(r"出货|销量|销售", context) else (
        "other" if unit_kind != "spec" else "spec")


def find_figures(extraction: Extraction) -> list[Figure]:
    """Figures reported in ``extraction``.

    Example:
        >>> from kg.extract import extract
        >>> from kg.model import Document
        >>> ex = extract(Document(doc_id="t", path="t.txt", text="2021 年，寒武纪营收 7.21 亿元。",
        ...                       content_hash="0" * 64))
        >>> [(f.kind, f.value, f.unit, f.period) for f in ex.figures]
        [('revenue', 721000000.0, 'CNY', '2021')]
    """
    text = extraction.doc.text
    finder = _Finder(extraction)
    article = finder.article
    number = _number_re()
    paras = extraction.doc.paragraphs or [(0, len(text))]
    out: list[Figure] = []
    mention_spans = [(m.start, m.end) for e in extraction.entities for m in e.mentions]
    for view in finder.views:
        para = next(((a, b) for a, b in paras if a <= view.start < b), (0, len(text)))
        for m in number.finditer(text, view.start, view.end):
            if not m.group("num") and (len(m.group("mult")) < 2 and m.group("approx") not in {"近", "上"}):
                continue  # 亿元级 is no figure; 近百万片 is
            if re.search(r"[（(]\s*约?\s*$", text[max(view.start, m.start() - 3):m.start() + len(m.group("approx") or "")]):
                continue  # a currency conversion in brackets repeats the figure before it
            unit = m.group("unit")
            if unit in {"个", "台", "部", "块", "片", "颗", "套", "辆", "核", "Hz", "W", "us", "ms"} and not m.group("num"):
                if not m.group("mult"):
                    continue
            if re.match(r"[A-Za-z]", text[m.end():m.end() + 1] or " ") and unit.isascii():
                continue  # 7nm-class, 5GHz… followed by letters: part of a name
            if unit.isascii() and unit.isalpha() and re.match(r"[A-Za-z]", text[m.start("num") - 1:m.start("num")] or " "):
                continue  # MLU370 / DDR5: a model name, not a figure
            if unit == "成" and not re.fullmatch(r"[一二两三四五六七八九十半]+|\d", m.group("num") or ""):
                continue  # 思元 220 成为…: 成 counts tenths only after a small numeral
            if any(a < m.end() and m.start() < b for a, b in mention_spans):
                continue  # a number inside a name (思元 220, 骁龙 8 Gen 2)
            value, code = parse_value(m.group("num") or "", m.group("mult"), unit)
            unit_kind = units().get(unit, ("", "percent"))[1]
            cs = m.start()
            while cs > view.start and text[cs - 1] not in _STOP:
                cs -= 1
            ce = m.end()
            while ce < view.end and text[ce] not in _STOP:
                ce += 1
            context = text[cs:m.start()]
            kind = _kind(context, unit_kind, unit)
            if kind == "other" and unit in {"个", "台", "部"} and not re.search(r"份额|订单|采购|投资", context):
                continue
            subject = _figure_subject(view, m.start(), kind, text)
            if subject is None and kind == "spec":
                # 该加速卡可提供…: the product of the previous sentence in the paragraph
                idx = finder.views.index(view)
                prev = finder.views[idx - 1] if idx else None
                if prev and (prev.para == view.para or re.match(r"[该此这]", text[view.start:view.end])):
                    prods = [t for t in prev.toks if t.kind == "Product"]
                    subject = prods[-1].ents[0] if prods else None
            if kind == "spec" and code == "nm" and extraction.entity(subject).kind != "Product":
                continue  # process nodes are specs of a named chip, not of a company's roadmap
            if subject is None and kind in {"revenue", "growth", "margin", "shipments"}:
                subject = article
            if subject is None:
                continue
            # keep 近/约/超过 (they qualify the value), drop 达/高达
            start = m.start() if m.group("approx") in {"近", "约", "超过", "逾", "将近", "接近"} else (
                m.start("lo") if m.group("lo") else m.start("num") if m.group("num") else m.start("mult"))
            surface = text[start:m.end()].strip()
            out.append(Figure(
                subject=subject, kind=kind, value=value, unit=code, surface=surface,
                start=start, end=m.end(),
                sentence_start=view.start, sentence_end=view.end,
                period=_period(text, m.start(), m.end(), (cs, ce), para) if kind != "spec" else None,
                rule=f"figure.{kind}", confidence=0.6 if kind == "other" else 0.7,
            ))
    return out


def _figure_subject(view: View, a: int, kind: str, text: str) -> str | None:
    """Nearest entity before the number in its clause (a product for specs), else the clause subject."""
    k = next((i for i, (s, e) in enumerate(view.pos) if s >= a), len(view.pos))
    if kind in {"spec", "shipments"}:  # specs and shipment counts belong to a product first
        for kind_ in ("Product", "Company"):
            found = _subject(view, k, kind_)
            if found:
                return found[0]
        return None
    # the subject of the clause; of 寒武纪的思元 220 the product (named later) is the head
    best: tuple[int, str] | None = None
    for kind_ in ("Company", "Product"):
        found = _subject(view, k, kind_)
        if found:
            pos = max(i for i, t in view.tok_at.items() if found[0] in t.ents and i < k) if any(
                found[0] in t.ents and i < k for i, t in view.tok_at.items()) else -1
            if best is None or pos > best[0]:
                best = (pos, found[0])
    if best:
        return best[1]
    cs = view.clause_start(k)
    sites = [view.tok_at[i] for i in range(cs, k) if i in view.tok_at and view.tok_at[i].kind == "Site"]
    return sites[-1].ents[0] if sites else None
