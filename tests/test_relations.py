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
    # asks for (昆山智能计算中心 lies in 昆山); every other prediction is in the gold.
    assert score.errors["relations"]["fp"] == ["昆山智能计算中心 locatedIn 昆山"]
    assert score.relations_micro.tp == sum(1 for r in gold["relations"] if not r.get("optional"))
    assert score.customers.fn == 0 and score.customers.fp == 0


# --------------------------------------------------------------------------- news phrasings
# Tenders, chips in products, foundries, funding rounds, ownership, plants, headquarters, rivals,
# supply and partners as news posts phrase them. The companies are not those of tests/heldout/.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # tenders: the owner before the winners, in the same or the previous sentence
        ("紫光股份、星网锐捷和华勤技术中标中国广电服务器集采项目。",
         {("紫光股份", "hasCustomer", "中国广电"), ("华勤技术", "hasCustomer", "中国广电")}),
        ("中国广电公布了 2023 年服务器集中采购结果，紫光股份、星网锐捷和华勤技术等 5 家企业中标。",
         {(x, "hasCustomer", "中国广电") for x in ("紫光股份", "星网锐捷", "华勤技术")}),
        ("中国广电日前公示了 2023 年服务器集中采购结果。本次集采共 12 万台，中标候选人为紫光股份、星网锐捷。",
         {("紫光股份", "hasCustomer", "中国广电"), ("星网锐捷", "hasCustomer", "中国广电")}),
        ("中国铁塔的数据中心项目由星网锐捷承建。", {("星网锐捷", "hasCustomer", "中国铁塔")}),
        # products built on chips; the phone or car maker buys the chip
        ("零跑 C11 搭载地平线征程 5。", {("C11", "basedOn", "征程 5"), ("地平线", "hasCustomer", "零跑汽车")}),
        ("搭载 Tensor G2 的 Pixel 7 将于下月发布。", {("Pixel 7", "basedOn", "Tensor G2")}),
        ("三星电子发布 Exynos 2200。谷歌的 Pixel 7 将采用 Exynos 2200。",
         {("Pixel 7", "basedOn", "Exynos 2200"), ("三星电子", "hasCustomer", "谷歌")}),
        ("黑芝麻智能推出华山二号 A1000。长城汽车、吉利和零跑汽车等厂商的新车型将搭载华山二号 A1000。",
         {(  "黑芝麻智能", "hasCustomer", x) for x in ("长城汽车", "吉利", "零跑汽车")}),
        ("英伟达发布 RTX 4090。RTX 4090 已被联想、戴尔和惠普等品牌的多款整机采用。",
         {("英伟达", "hasCustomer", x) for x in ("联想", "戴尔", "惠普")}),
        # foundries: a named chip is manufacturedBy the foundry; work for a company whose chips
        # are not named makes that company the foundry's customer (the annotation guide)
        ("寒武纪思元 370 由中芯国际代工。", {("思元 370", "manufacturedBy", "中芯国际")}),
        ("苹果 A16 采用三星电子 4nm 工艺。", {("A16", "manufacturedBy", "三星电子")}),
        ("寒武纪发布思元 370。据悉该芯片采用中芯国际 7nm 工艺。",  # 该芯片: the product named before
         {("思元 370", "manufacturedBy", "中芯国际")}),
        ("格芯为 AMD 代工芯片。", {("格芯", "hasCustomer", "AMD")}),
        # funding rounds, stakes, shareholders, subsidiaries
        ("零跑汽车完成 45 亿元 B 轮融资，由君联资本领投，经纬中国、启明创投跟投。",
         {(x, "invests", "零跑汽车") for x in ("君联资本", "经纬中国", "启明创投")}),
        ("腾讯持有美团 17% 的股份。", {("腾讯", "invests", "美团")}),
        ("零跑汽车的股东包括君联资本、经纬中国。", {("君联资本", "invests", "零跑汽车"), ("经纬中国", "invests", "零跑汽车")}),
        ("阿里巴巴控股的平头哥发布倚天 710。", {("阿里巴巴", "invests", "平头哥")}),
        ("平头哥是阿里巴巴的全资子公司。", {("阿里巴巴", "invests", "平头哥")}),
        ("长城汽车宣布以约 5 亿元入股零跑汽车，获得其约 5% 的股份，双方将基于零跑 C11 的平台，联合开发新车型。",
         {("长城汽车", "invests", "零跑汽车"), ("长城汽车", "partnerOf", "零跑汽车")}),
        # plants and headquarters
        ("欣旺达在深圳、西安和长沙设立研发中心。", {("欣旺达", "operatesAt", x) for x in ("深圳", "西安", "长沙")}),
        ("欣旺达位于合肥的新基地已开工建设。", {("欣旺达", "operatesAt", "合肥")}),
        ("欣旺达在合肥的工厂投产。", {("欣旺达", "operatesAt", "合肥")}),
        ("欣旺达发布年报。海外方面，匈牙利工厂已开始量产。", {("欣旺达", "operatesAt", "匈牙利")}),
        ("亿纬锂能总部位于惠州。", {("亿纬锂能", "locatedIn", "惠州")}),
        ("欣旺达（总部在深圳）发布年报。", {("欣旺达", "locatedIn", "深圳")}),
        ("寒武纪昆山智能计算中心今日投运。该中心位于昆山开发区。", {("寒武纪昆山智能计算中心", "locatedIn", "昆山开发区")}),
        # rivals
        ("长城汽车的主要竞争对手包括吉利、广汽埃安。",
         {("长城汽车", "competitor", "吉利"), ("长城汽车", "competitor", "广汽埃安")}),
        ("长城汽车与吉利展开竞争。", {("长城汽车", "competitor", "吉利")}),
        ("吉利和广汽埃安是长城汽车的竞争对手。", {("吉利", "competitor", "长城汽车"), ("广汽埃安", "competitor", "长城汽车")}),
        ("长城汽车凭借哈弗系列，销量快速攀升，已成为吉利在国内市场最主要的竞争对手。", {("长城汽车", "competitor", "吉利")}),
        # supply
        ("欣旺达为赛力斯供应电池。", {("欣旺达", "supplierOf", "赛力斯")}),
        ("赛力斯的供应商包括欣旺达、亿纬锂能。", {("欣旺达", "supplierOf", "赛力斯"), ("亿纬锂能", "supplierOf", "赛力斯")}),
        ("欣旺达已进入赛力斯的供应链。", {("欣旺达", "supplierOf", "赛力斯")}),
        ("欣旺达获得赛力斯的定点。", {("欣旺达", "hasCustomer", "赛力斯")}),
        # partners named as such
        ("腾讯的合作伙伴包括美团、字节跳动。", {("腾讯", "partnerOf", "美团"), ("腾讯", "partnerOf", "字节跳动")}),
    ],
)
def test_relations_news_phrasings_positive(text, expected):
    got = triples(text)
    for s, p, o in expected:
        assert (s, p, o) in got or (p in {"partnerOf", "competitor"} and (o, p, s) in got), (s, p, o, got)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # unfinished or lost tenders
        ("中国广电正在进行服务器集采招标，紫光股份和星网锐捷已参与投标，目前尚未公布中标结果。", None),
        ("星网锐捷未能中标中国广电服务器集采。", None),
        ("中国广电公布了服务器集采结果。星网锐捷另有项目中标。", None),  # no reference back to the tender
        # negated, hedged, rumoured
        ("三星电子并未为 AMD 代工芯片。", None),
        ("据传零跑汽车完成 B 轮融资，由君联资本领投。", None),
        ("腾讯否认持有美团股份。", None),
        ("腾讯计划入股美团。", None),
        ("欣旺达有望获得赛力斯的订单。", None),
        ("若 Pixel 7 搭载 Exynos 2200，性能将大幅提升。", None),
        # a ranking or catching up is no rivalry
        ("长城汽车超越吉利成为国内销量第一。", None),
        ("长城汽车正在追赶吉利。", None),
        # customers called 客户 are no partners; 它们的共同客户 is no joint work
        ("亿纬锂能与赛力斯、岚图等客户建立合作关系。", ("亿纬锂能", "partnerOf", "赛力斯")),
        ("腾讯的客户包括美团、字节跳动。", ("腾讯", "partnerOf", "美团")),
        ("腾讯的客户和合作伙伴包括美团。", ("腾讯", "partnerOf", "美团")),
        ("英伟达与 AMD 发布新品，它们的共同客户包括联想。", ("AMD", "partnerOf", "英伟达")),
        # a named chip's foundry is its manufacturer, not its developer's supplier (the guide)
        ("苹果 A16 采用三星电子 4nm 工艺。", ("三星电子", "hasCustomer", "苹果")),
    ],
)
def test_relations_news_phrasings_negative(text, absent):
    got = triples(text)
    if absent is None:
        assert {t for t in got if t[1] != "develops"} == set(), got
    else:
        s, p, o = absent
        assert (s, p, o) not in got and (o, p, s) not in got, got


def test_relations_tender_owner_stays_in_its_paragraph():
    first = "中国广电公布了服务器集中采购结果。"
    second = "本次集采中，紫光股份和星网锐捷中标。"
    text = first + "\n\n" + second
    paras = [(0, len(first)), (len(first) + 2, len(text))]
    ex = extract(Document(doc_id="t", path="t.txt", text=text, content_hash="0" * 64, paragraphs=paras))
    got = {(ex.entity(r.subject).label, r.predicate, ex.entity(r.object).label) for r in ex.relations}
    assert ("紫光股份", "hasCustomer", "中国广电") not in got
    same = extract(Document(doc_id="t", path="t.txt", text=first + second, content_hash="0" * 64))
    labels = {(same.entity(r.subject).label, r.predicate, same.entity(r.object).label) for r in same.relations}
    assert ("紫光股份", "hasCustomer", "中国广电") in labels


def test_relations_supply_with_partnership_keeps_only_the_supply():
    got = triples("公司已与赛力斯、岚图等整车企业建立长期合作关系，为其供应动力电池系统。")
    assert not any(p == "partnerOf" for _, p, _ in got)


def test_relations_required_chars_are_necessary():
    from kg.relations import required_chars

    assert sorted(map(sorted, required_chars("(?:从|向)x?被"))) == [["从", "向"], ["被"]]
    # optional parts, negated and category classes and case-folded text require nothing
    assert required_chars("(?:采购)?[^，]\\s*") == []
    assert required_chars("(?i)abc") == []
    assert required_chars("a*|b") == []


def test_relations_rule_index_finds_every_rule_that_matches():
    from kg.relations import _Finder, _rule_index, _rules

    text = ("寒武纪与招商银行合作。蔚来从宁德时代采购电池，特斯拉也在德国图林根工厂量产。\n"
            "该公司宣布收购 Podsights，并向中芯国际下单，台积电为其代工思元 370 芯片。")
    ex = run(text)
    for view in _Finder(ex).views:
        candidates = _rule_index().candidates(view.tpl)
        for rule in _rules():
            if rule.regex.search(view.tpl):
                assert rule in candidates, rule.name


def test_relations_and_figures_share_views_only_for_equal_input():
    from kg.relations import _Finder

    ex = run("寒武纪与招商银行合作。2021 年，寒武纪营收 7.21 亿元。")
    first = _Finder(ex).views
    assert _Finder(ex).views is first
    ex.entities = ex.entities[:1]
    assert _Finder(ex).views is not first
