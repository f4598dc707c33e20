"""Extraction: short forms, text-defined aliases, facility places, gold-format output."""

from __future__ import annotations

from kg.extract import extract, to_gold_format
from kg.model import Document


def _extract(text: str):
    return extract(Document(doc_id="t", path="t.txt", text=text, content_hash="0" * 64))


def test_extract_model_code_short_forms_join_their_family():
    x = _extract("公司推出思元 370 芯片及加速卡（MLU370-S4 / X4 / X8）。MLU370-X4 智能加速卡功耗 150W。X4 性能出色。")
    products = {e.label: e for e in x.entities if e.kind == "Product"}
    assert {"MLU370-S4", "MLU370-X4", "MLU370-X8"} <= set(products)
    assert "X4" in products["MLU370-X4"].surfaces and "X8" in products["MLU370-X8"].surfaces
    assert len(products["MLU370-X4"].mentions) == 3  # in the list, in full, and bare


def test_extract_text_alias_and_english_name_join_the_entity():
    x = _extract("格罗方德半导体（GlobalFoundries）宣布扩产。北京星辰微电子有限公司（以下简称“星辰微”）发布芯片。星辰微表示将扩产。")
    gf = next(e for e in x.entities if "格罗方德半导体" in e.surfaces)
    assert "GlobalFoundries" in gf.surfaces
    star = next(e for e in x.entities if "星辰微" in e.surfaces)
    assert len(star.mentions) >= 2


def test_extract_facility_lies_in_the_place_it_is_named_after():
    x = _extract("寒武纪成功中标昆山智能计算中心项目。")
    names = {e.local_id: e.label for e in x.entities}
    located = {(names[r.subject], names[r.object]) for r in x.relations if r.predicate == "locatedIn"}
    assert ("昆山智能计算中心", "昆山") in located


def test_extract_facility_named_after_a_company_is_not_in_a_place():
    x = _extract("阿里云数据中心遍布全球。")
    assert not [r for r in x.relations if r.predicate == "locatedIn"]


def test_extract_gold_format_marks_customers():
    gold = to_gold_format(_extract("宁德时代向特斯拉供货。"))
    customers = {e["name"]: e["customer"] for e in gold["entities"]}
    assert customers == {"宁德时代": False, "特斯拉": True}
    assert gold["relations"][0]["predicate"] in {"supplierOf", "hasCustomer"}


def test_extract_brand_before_product_is_an_alias():
    x = _extract("vivo X90 Pro 搭载天玑 9200。")
    product = next(e for e in x.entities if e.label == "X90 Pro")
    assert "vivo X90 Pro" in product.surfaces
