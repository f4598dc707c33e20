"""Entity lookup and search (kg/lookup.py, KnowledgeGraph.lookup/search) and `kg lookup`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg import KnowledgeGraph
from kg.cli import main
from kg.errors import NotFoundError
from kg.lookup import Entity
from tests.test_queries import FIXTURE_TRIG

ID = "https://w3id.org/kg-news/id/"


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("lookup-graph") / "graph.trig"
    path.write_text(FIXTURE_TRIG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fx(fixture_path):
    return KnowledgeGraph.open(fixture_path)


@pytest.mark.parametrize("name", ["寒武纪", "Cambricon", "ＣＡＭＢＲＩＣＯＮ", " cambricon ",
                                  "寒武纪股份有限公司", "寒 武 纪"])
def test_lookup_company_by_any_name_on_seed(seed_build, name):
    graph, _ = seed_build
    entity = graph.lookup(name)
    assert (entity.iri, entity.label, entity.label_en, entity.kind) == (ID + "company/cambricon", "寒武纪", "Cambricon", "Company")


@pytest.mark.parametrize("name", ["思元370", "思元 370", "思元３７０", "MLU370", "mlu 370"])
def test_lookup_product_by_spacing_width_and_english_name_on_seed(seed_build, name):
    graph, _ = seed_build
    entity = graph.lookup(name)
    assert entity.label == "思元 370" and entity.kind == "Product" and "Chip" in entity.types
    assert len(entity.mentions) >= 5
    assert all("370" in m.sentence for m in entity.mentions)


def test_lookup_site_alias_on_seed(seed_build):
    graph, _ = seed_build
    assert graph.lookup("江苏昆山").iri == graph.lookup("昆山").iri
    assert "江苏昆山" in graph.lookup("昆山").aliases


@pytest.mark.parametrize("name", ["中科寒武纪", "寒武纪-U", "寒武纪-u"])
def test_lookup_alt_label_on_fixture(fx, name):
    assert fx.lookup(name).iri == fx.lookup("Cambricon").iri == ID + "company/cambricon"


def test_lookup_entity_card_on_fixture(fx):
    e = fx.lookup("Cambricon")
    assert isinstance(e, Entity)
    assert (e.label, e.label_en, e.key) == ("寒武纪", "Cambricon", "cambricon")
    assert e.types == ["Company", "Customer"] and e.aliases == ["中科寒武纪", "寒武纪-U"]
    assert e.same_as == ["http://www.wikidata.org/entity/Q65118592"]
    customers = [(r.other_label, r.documents) for r in e.relations("hasCustomer")]
    assert customers == [("阿里巴巴", 2), ("招商银行", 1), ("百度", 1)]
    assert [(r.predicate, r.other_label) for r in e.incoming] == [("supplierOf", "台积电")]
    assert [(f.kind, f.period, f.value, f.unit, f.surface) for f in e.figures] == [
        ("revenue", "2021", 721000000.0, "CNY", "7.21 亿元"), ("revenue", "2022", 729000000.0, "CNY", "7.29 亿元")]
    assert e.figures[0].doc == ID + "doc/d1" and e.figures[0].date == "2022-04-16"
    assert [(m.date, m.title, m.surface) for m in e.mentions][:1] == [("2022-04-16", "寒武纪 2021 年营收 7.21 亿元", "寒武纪")]
    assert e.documents == [ID + "doc/d1", ID + "doc/d2", ID + "doc/d3"]


def test_lookup_entity_repr_html_and_dict(fx):
    e = fx.lookup("思元220")
    text = repr(e)
    assert text.startswith("<Entity 思元 220 / MLU220 (Chip, Product)") and "2 mentions in 2 documents" in text
    html = e._repr_html_()
    assert "<h3>思元 220" in html and "manufacturedBy" in html and "近百万片" in html
    data = e.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["outgoing"] == [
        {"predicate": "manufacturedBy", "other": ID + "company/tsmc", "other_label": "台积电", "documents": 1,
         "predicate_iri": "https://w3id.org/kg-news/ontology#manufacturedBy"}]
    assert data["figures"][0]["kind"] == "shipments" and data["figures"][0]["period"] is None
    assert "思元 220" in e.card() and "近百万片" in e.card()


def test_lookup_kind_filter(fx):
    assert fx.lookup("寒武纪", kind="Company").kind == "Company"
    with pytest.raises(NotFoundError, match="no Product named '寒武纪'"):
        fx.lookup("寒武纪", kind="Product")


@pytest.mark.parametrize("name, suggestion", [("寒五纪", "寒武纪"), ("Cambrikon", "寒武纪"), ("台积", "台积电"),
                                              ("思元 230", "思元 220")])
def test_lookup_unknown_name_suggests_closest(fx, name, suggestion):
    with pytest.raises(NotFoundError) as info:
        fx.lookup(name)
    assert suggestion in info.value.suggestions
    assert f"did you mean {info.value.suggestions[0]}" in str(info.value)


def test_lookup_unknown_without_anything_close(fx):
    with pytest.raises(NotFoundError) as info:
        fx.lookup("完全不相干的名字xyz")
    assert info.value.suggestions == [] and "did you mean" not in str(info.value)


def test_lookup_search_ranks_exact_prefix_substring_fuzzy(fx):
    hits = fx.search("思元", type="Product")
    assert [(h.label, h.how, h.mentions) for h in hits] == [("思元 220", "prefix", 2), ("思元 370", "prefix", 1)]
    hits = fx.search("思元220")
    assert hits[0].label == "思元 220" and hits[0].how == "exact" and hits[0].score == 1.0
    assert [h.how for h in hits] == sorted((h.how for h in hits), key=["exact", "prefix", "substring", "fuzzy"].index)
    sub = fx.search("智能计算")
    assert [(h.label, h.how) for h in sub] == [("昆山智能计算中心", "substring")]
    fuzzy = fx.search("Cambrican")
    assert fuzzy[0].label == "寒武纪" and fuzzy[0].how == "fuzzy"


def test_lookup_search_orders_by_mentions_within_a_class(fx):
    hits = fx.search("a", type="Company", limit=None)  # substring of many English names
    ranked = [h for h in hits if h.how == "substring"]
    assert [h.mentions for h in ranked] == sorted((h.mentions for h in ranked), reverse=True)
    assert ranked[0].label == "寒武纪"  # 3 mentions: Cambricon
    assert fx.search("  ") == []


def test_lookup_search_on_seed(seed_build):
    graph, _ = seed_build
    hits = graph.search("MLU370", type="Product")
    assert hits[0].label == "思元 370" and hits[0].how == "exact"
    assert {"MLU370-X4", "MLU370-X8"} <= {h.label for h in hits if h.how == "prefix"}


def test_lookup_cli_card_json_and_not_found(fixture_path):
    runner = CliRunner()
    card = runner.invoke(main, ["lookup", "ＴＳＭＣ", "--out", str(fixture_path)])
    assert card.exit_code == 0 and "台积电" in card.output and "supplierOf" in card.output and "阿斯麦" in card.output
    data = json.loads(runner.invoke(main, ["lookup", "中科寒武纪", "--json", "--out", str(fixture_path)]).output)
    assert data["iri"] == ID + "company/cambricon" and data["label_en"] == "Cambricon"
    assert {r["other_label"] for r in data["outgoing"]} >= {"招商银行", "阿里巴巴", "百度"}
    missing = runner.invoke(main, ["lookup", "寒五纪", "--out", str(fixture_path)])
    assert missing.exit_code == 1 and "did you mean 寒武纪" in missing.output
    found = runner.invoke(main, ["lookup", "思元", "--search", "--type", "Product", "--json", "--out", str(fixture_path)])
    assert [h["label"] for h in json.loads(found.output)] == ["思元 220", "思元 370"]
