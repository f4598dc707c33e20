"""Tests for kg.figures: number parsing, kinds, subjects and periods."""

from __future__ import annotations

import json

import pytest

from kg.evaluate import score_document
from kg.extract import extract, to_gold_format
from kg.figures import parse_value
from kg.model import Document
from tests.conftest import SHARED

SEED_GOLD = SHARED / "gold" / "000_f3b62b74784ae4bb.json"
SEED_DOC = SHARED / "seeds" / "000_f3b62b74784ae4bb.txt"


def figures(text: str):
    ex = extract(Document(doc_id="t", path="t.txt", text=text, content_hash="0" * 64))
    return [(ex.entity(f.subject).label, f.kind, f.value, f.unit, f.surface, f.period) for f in ex.figures]


@pytest.mark.parametrize(
    ("num", "mult", "unit", "value", "code"),
    [
        ("7.21", "亿", "元", 721000000.0, "CNY"),
        ("42", "亿", "美元", 4200000000.0, "USD"),
        ("1.5", "万亿", "美元", 1.5e12, "USD"),
        ("57.12", "", "%", 0.5712, "percent"),
        ("", "百万", "片", 1000000.0, "pieces"),
        ("三", "", "成", 0.3, "percent"),
        ("256", "", "TOPS", 256.0, "TOPS"),
        ("75", "", "W", 75.0, "W"),
        ("7", "", "nm", 7.0, "nm"),
        ("1,030", "亿", "美元", 1.03e11, "USD"),
    ],
)
def test_figures_parse_value(num, mult, unit, value, code):
    got, got_code = parse_value(num, mult, unit)
    assert got == pytest.approx(value) and got_code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021 年，寒武纪实现营业收入 7.21 亿元，同比增长 57.12%。",
         ("寒武纪", "revenue", 721000000.0, "CNY", "7.21 亿元", "2021")),
        ("2021 年，寒武纪实现营业收入 7.21 亿元，同比增长 57.12%。",
         ("寒武纪", "growth", 0.5712, "percent", "57.12%", "2021")),
        ("寒武纪的思元 220 成为了公司第一款年度出货量近百万片的产品。",
         ("思元 220", "shipments", 1000000.0, "pieces", "近百万片", None)),
        ("思元 370 智能芯片最大算力高达 256TOPS (INT8)。",
         ("思元 370", "spec", 256.0, "TOPS", "256TOPS (INT8)", None)),
        ("MLU370-S4 智能加速卡的功耗为 75W。", ("MLU370-S4", "spec", 75.0, "W", "75W", None)),
        ("高通同意从格芯额外采购价值 42 亿美元（约 284.34 亿元人民币）的芯片。",
         ("高通", "other", 4200000000.0, "USD", "42 亿美元", None)),
        ("2022 年第三季度，小米的毛利率为 17.1%。", ("小米", "margin", 0.171, "percent", "17.1%", "2022 Q3")),
    ],
)
def test_figures_in_sentences(text, expected):
    assert expected in figures(text)


def test_figures_skip_conversions_and_model_numbers():
    got = figures("高通同意从格芯额外采购价值 42 亿美元（约 284.34 亿元人民币）的芯片，MLU370 支持 DDR5。")
    surfaces = [g[4] for g in got]
    assert "42 亿美元" in surfaces
    assert not any("284.34" in s for s in surfaces)
    assert not any(s.startswith("370") or s.startswith("5") for s in surfaces)


def test_figures_period_from_earlier_year_in_paragraph():
    got = figures("2021 年，寒武纪的业务快速增长。寒武纪实现收入 4.56 亿元。")
    assert ("寒武纪", "revenue", 456000000.0, "CNY", "4.56 亿元", "2021") in got


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repository")
def test_figures_seed_gold_facts_found():
    from kg.ingest import read_document

    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    pred = to_gold_format(extract(read_document(SEED_DOC)))
    # the gold files file margins under "other" (dev/README.md: kind other covers such shares)
    for fact in pred["facts"]:
        if fact["kind"] == "margin":
            fact["kind"] = "other"
    score = score_document(gold, pred)
    assert score.errors["facts"]["fn"] == []
    assert score.facts.tp == len(gold["facts"])
