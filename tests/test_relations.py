"""Tests for kg.relations: cue rules, anaphora, enumerations and hedges (negation, rumour, talks)."""

from __future__ import annotations

import json

import pytest

from kg.evaluate import score_document
from kg.extract import extract, to_gold_format
from kg.model import Document
from kg.relations import cues, find_relations
from tests.conftest import SHARED

SEED_GOLD = SHARED / "gold" / "000_f3b62b74784ae4bb.json"
SEED_DOC = SHARED / "seeds" / "000_f3b62b74784ae4bb.txt"


def run(text: str):
    return extract(Document(doc_id="t", path="t.txt", text=text, content_hash="0" * 64))


def triples(text: str) -> set[tuple[str, str, str]]:
    ex = run(text)
    return {(ex.entity(r.subject).label, r.predicate, ex.entity(r.object).label) for r in ex.relations}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # customers and suppliers
        ("宁德时代向特斯拉供货。", ("宁德时代", "supplierOf", "特斯拉")),
        ("宁德时代是特斯拉的电池供应商。", ("宁德时代", "supplierOf", "特斯拉")),
        ("特斯拉的电池供应商包括宁德时代、LG 新能源和松下。", ("松下", "supplierOf", "特斯拉")),
        ("蔚来从宁德时代采购电池。", ("宁德时代", "hasCustomer", "蔚来")),
        ("比亚迪已经向地平线下单。", ("地平线", "hasCustomer", "比亚迪")),
        ("理想汽车采用地平线的征程 5 芯片。", ("地平线", "hasCustomer", "理想汽车")),
        ("浪潮信息中标中国移动集采项目。", ("浪潮信息", "hasCustomer", "中国移动")),
        ("海光信息入围中国电信服务器集中采购名单。", ("海光信息", "hasCustomer", "中国电信")),
        # develops, manufacture
        ("华为发布麒麟 9000 芯片。", ("华为", "develops", "麒麟 9000")),
        ("高通推出骁龙 8 Gen 2。", ("高通", "develops", "骁龙 8 Gen 2")),
        ("麒麟 9000 是华为最新的旗舰芯片，采用台积电 5nm 工艺。", ("华为", "develops", "麒麟 9000")),
        ("麒麟 9000 是华为最新的旗舰芯片，采用台积电 5nm 工艺。", ("麒麟 9000", "manufacturedBy", "台积电")),
        # sites
        ("特斯拉在上海建设超级工厂。", ("特斯拉", "operatesAt", "上海")),
        ("台积电在南京设立工厂。", ("台积电", "operatesAt", "南京")),
        ("特斯拉计划在上海建设工厂。", ("特斯拉", "operatesAt", "上海")),  # plans count for operatesAt
        ("宁德时代总部位于宁德。", ("宁德时代", "locatedIn", "宁德")),
        # partners, deals, rivals
        ("联发科与台积电达成战略合作。", ("台积电", "partnerOf", "联发科")),
        ("英特尔宣布收购高塔半导体。", ("英特尔", "acquires", "高塔半导体")),
        ("腾讯投资了蔚来。", ("腾讯", "invests", "蔚来")),
        ("小米旗下子公司顺为资本。", ("小米", "invests", "顺为资本")),
        ("AMD 是英特尔的主要竞争对手。", ("AMD", "competitor", "英特尔")),
        ("英伟达将 AMD 视为直接竞争对手。", ("AMD", "competitor", "英伟达")),
    ],
)
def test_relations_positive(text, expected):
    got = triples(text)
    s, p, o = expected
    assert expected in got or (p in {"partnerOf", "competitor"} and (o, p, s) in got)


@pytest.mark.parametrize(
    "text",
    [
        "小米否认收购魅族。",  # denial
        "若谈判成功，英特尔将收购高塔半导体。",  # hypothetical
        "英特尔与高塔半导体的收购谈判仍在进行。",  # talks not concluded
        "据传高通将收购恩智浦。",  # rumour
        "英特尔考虑收购高塔半导体。",  # considered
        "英特尔计划收购高塔半导体。",  # a planned deal is no deal
        "蔚来不会从宁德时代采购电池。",  # negation
        "腾讯没有投资蔚来。",  # negation
        "联发科表示可能与台积电展开合作。",  # possibility
        "业界普遍认为，三星电子正在推进从乐金显示购买面板的方案。",  # speculation
    ],
)
def test_relations_negative(text):
    assert triples(text) == set()


def test_relations_enumeration_and_clause_subject():
    got = triples("2019 年，Spotify 连续收购 Podsights 和 Chartable，2021 年又收购了 Anchor。")
    assert {("Spotify", "acquires", x) for x in ("Podsights", "Chartable")} <= got
    assert ("Chartable", "acquires", "Anchor") not in got


def test_relations_article_subject_behind_gong_si():
    text = ("寒武纪发布年报。\n\n在金融领域，公司与招商银行等头部银行进行了深入合作。"
            "公司已经在江苏南京拓展了业务。")
    got = triples(text)
    assert ("寒武纪", "hasCustomer", "招商银行") in got
    assert any(s == "寒武纪" and p == "operatesAt" for s, p, _ in got)


def test_relations_investor_list_and_head_of_object():
    got = triples("小米、华为同台投资蔚来电池供应商卫蓝新能源。")
    assert {("小米", "invests", "卫蓝新能源"), ("华为", "invests", "卫蓝新能源")} <= got
    assert ("小米", "invests", "蔚来") not in got
    assert ("卫蓝新能源", "supplierOf", "蔚来") in got


def test_relations_evidence_offsets_rule_and_confidence():
    ex = run("宁德时代向特斯拉供货。")
    (rel,) = ex.relations
    assert ex.doc.text[rel.start:rel.end] == "向特斯拉供货"
    assert ex.doc.text[rel.sentence_start:rel.sentence_end] == "宁德时代向特斯拉供货。"
    assert rel.rule == "supply.to" and 0 < rel.confidence <= 1


def test_relations_buyer_without_named_seller_is_flagged():
    ex = run("小米在 2021 年采购 6700 万片面板。")
    find_relations(ex)  # extract_from_doc recomputes customers from relations afterwards
    assert ex.entity(next(e.local_id for e in ex.entities if e.label == "小米")).customer


def test_relations_cue_file_has_hedges():
    assert {"hedge_sentence", "hedge_clause", "hedge_deal", "purchase", "supply"} <= set(cues())


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repository")
def test_relations_seed_gold_relations_found():
    from kg.ingest import read_document

    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    pred = to_gold_format(extract(read_document(SEED_DOC)))
    score = score_document(gold, pred)
    assert score.errors["relations"]["fn"] == []
    # The gold does not annotate a facility's place from its name, which the relations issue
    # asks for (昆山智能计算中心 lies in 昆山); every other prediction must be in the gold.
    assert score.errors["relations"]["fp"] == ["昆山智能计算中心 locatedIn 昆山"]
    assert score.relations_micro.tp == sum(1 for r in gold["relations"] if not r.get("optional"))
    assert score.customers.fn == 0 and score.customers.fp == 0
