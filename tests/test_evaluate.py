"""Tests for kg.evaluate: scoring predictions against gold annotations."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from kg.errors import InputError, KGError
from kg.evaluate import (
    CorpusScore,
    Counts,
    DocScore,
    evaluate_dirs,
    format_table,
    score_corpus,
    score_document,
)

SHARED = Path("/work/shared")
DEV_GOLD = SHARED / "dev" / "gold"
DEV_DOCS = SHARED / "dev" / "docs"
SEED_GOLD = SHARED / "gold"
SEED_DOCS = SHARED / "seeds"
GOLD_FILES = sorted(DEV_GOLD.glob("*.json")) + sorted(SEED_GOLD.glob("*.json"))
TARGET = ("Company", "Product", "Site")

needs_shared = pytest.mark.skipif(not GOLD_FILES, reason="shared gold files not available")


# --------------------------------------------------------------------------- helpers


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def perfect_prediction(gold: dict, with_optional: bool = False) -> dict:
    """The prediction a perfect builder would make: gold minus optional items (and Person/Other)."""

    def keep(item: dict) -> bool:
        return with_optional or not item.get("optional", False)

    return {
        "entities": [
            {
                "name": e["name"],
                "aliases": list(e.get("aliases", [])),
                "type": e["type"],
                "customer": bool(e.get("customer", False)),
            }
            for e in gold.get("entities", [])
            if e["type"] in TARGET and keep(e)
        ],
        "relations": [
            {"subject": r["subject"], "predicate": r["predicate"], "object": r["object"]}
            for r in gold.get("relations", [])
            if keep(r)
        ],
        "facts": [
            {k: f[k] for k in ("subject", "kind", "value", "period") if k in f}
            for f in gold.get("facts", [])
        ],
    }


def ent(name, type_="Company", aliases=(), customer=False, optional=False) -> dict:
    e = {"name": name, "aliases": list(aliases), "type": type_, "customer": customer}
    if optional:
        e["optional"] = True
    return e


def rel(s, p, o, optional=False) -> dict:
    r = {"subject": s, "predicate": p, "object": o}
    if optional:
        r["optional"] = True
    return r


def counts(c: Counts) -> tuple[int, int, int]:
    return (c.tp, c.fp, c.fn)


def all_counts(s: DocScore | CorpusScore) -> dict:
    d = s.to_dict()
    return {k: d[k] for k in ("entities", "relations", "customers", "facts")}


def assert_perfect(s: DocScore) -> None:
    for t in TARGET:
        assert s.entities[t].fp == 0 and s.entities[t].fn == 0, (t, s.errors)
        assert s.entities[t].f1 == 1.0
    assert s.entities_micro.f1 == 1.0
    assert s.relations_micro.f1 == 1.0, s.errors["relations"]
    for p, c in s.relations.items():
        assert c.f1 == 1.0, (p, s.errors["relations"])
    assert s.customers.f1 == 1.0, s.errors["customers"]
    assert s.facts.f1 == 1.0, s.errors["facts"]
    assert all(not v["fp"] and not v["fn"] for v in s.errors.values())


# Small inline fixtures ---------------------------------------------------------------------

SEED_LIKE = {
    "doc": "000_seed.txt",
    "entities": [
        ent("寒武纪", aliases=["公司", "该公司", "集团", "其", "本公司"]),
        ent("阿里巴巴", customer=True),
        ent("台积电"),
        ent("集微网", optional=True),
        ent("思元 370", "Product"),
        ent("MLU370-X4", "Product", aliases=["X4"]),
        ent("MLUarch03", "Product", optional=True),
        ent("江苏昆山", "Site"),
        ent("黄仁勋", "Person"),
        ent("eeNews", "Other"),
    ],
    "relations": [
        rel("寒武纪", "hasCustomer", "阿里巴巴"),
        rel("台积电", "supplierOf", "寒武纪"),
        rel("寒武纪", "develops", "思元 370"),
        rel("思元 370", "manufacturedBy", "台积电"),
        rel("寒武纪", "partnerOf", "阿里巴巴"),
        rel("台积电", "competitor", "寒武纪"),
        rel("寒武纪", "operatesAt", "江苏昆山"),
        rel("思元 370", "basedOn", "MLUarch03", optional=True),
    ],
    "facts": [
        {"subject": "寒武纪", "kind": "revenue", "value": "7.21 亿元", "evidence": "..."},
        {"subject": "思元 370", "kind": "spec", "value": "256TOPS (INT8)", "evidence": "..."},
    ],
}


def seed_pred(**changes) -> dict:
    pred = perfect_prediction(copy.deepcopy(SEED_LIKE))
    pred.update(changes)
    return pred


# --------------------------------------------------------------------------- real gold files


@needs_shared
@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_perfect_prediction_scores_one(path):
    gold = load(path)
    assert_perfect(score_document(gold, perfect_prediction(gold)))


@needs_shared
@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_predicting_optional_items_changes_nothing(path):
    gold = load(path)
    without = score_document(gold, perfect_prediction(gold))
    with_opt = score_document(gold, perfect_prediction(gold, with_optional=True))
    assert_perfect(with_opt)
    assert all_counts(with_opt) == all_counts(without)
    n_optional = sum(1 for e in gold["entities"] if e.get("optional") and e["type"] in TARGET)
    assert len(with_opt.ignored["entities"]) == n_optional


@needs_shared
@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_perfect_prediction_with_person_and_other_entities(path):
    """Predicting every Person/Other entity (as Company) is ignored, not an error."""
    gold = load(path)
    pred = perfect_prediction(gold)
    pred["entities"] += [
        {"name": e["name"], "aliases": e["aliases"], "type": "Company", "customer": False}
        for e in gold["entities"]
        if e["type"] in ("Person", "Other")
    ]
    assert_perfect(score_document(gold, pred))


REQUIRED_DROPS = [
    (path, i)
    for path in GOLD_FILES
    for i, e in enumerate(load(path)["entities"])
    if e["type"] in TARGET and not e.get("optional")
][::7]  # a spread of entities over all files and types


@needs_shared
@pytest.mark.parametrize("path,index", REQUIRED_DROPS, ids=lambda x: getattr(x, "stem", str(x)))
def test_dropping_a_required_entity_lowers_recall_exactly(path, index):
    gold = load(path)
    dropped = gold["entities"][index]
    required = [e for e in gold["entities"] if e["type"] in TARGET and not e.get("optional")]
    same_type = [e for e in required if e["type"] == dropped["type"]]
    pred = perfect_prediction(gold)
    pred["entities"] = [e for e in pred["entities"] if e["name"] != dropped["name"]]

    s = score_document(gold, pred)
    assert s.entities_micro.recall == pytest.approx((len(required) - 1) / len(required))
    assert s.entities_micro.precision == 1.0
    assert s.entities[dropped["type"]].recall == pytest.approx((len(same_type) - 1) / len(same_type))
    assert s.errors["entities"]["fn"] == [f"{dropped['name']} [{dropped['type']}]"]


@needs_shared
def test_evaluate_dirs_on_dev_set_with_perfect_predictor():
    golds = {load(p)["doc"]: load(p) for p in DEV_GOLD.glob("*.json")}
    seen = []

    def predict(doc_path: Path) -> dict:
        seen.append(doc_path)
        return perfect_prediction(golds[doc_path.name])

    score = evaluate_dirs(DEV_GOLD, DEV_DOCS, predict)
    assert len(score.documents) == len(golds) == len(seen)
    assert all(p.parent == DEV_DOCS for p in seen)
    assert score.entities_micro.f1 == 1.0
    assert score.relations_micro.f1 == 1.0
    assert score.customers.f1 == 1.0
    # README totals: 227 required entities of which 113 + 33 + 25 are target types
    assert counts(score.entities["Company"]) == (113, 0, 0)
    assert counts(score.entities["Product"]) == (33, 0, 0)
    assert counts(score.entities["Site"]) == (25, 0, 0)
    assert score.relations_micro.tp == 108
    assert score.customers.tp == 32
    assert score.facts.tp == 59
    json.dumps(score.to_dict(), ensure_ascii=False)


@needs_shared
def test_evaluate_dirs_uses_doc_field_for_seed():
    """The seed gold is 000_<hash>.json with doc 000_<hash>.txt in seeds/."""
    gold = load(next(SEED_GOLD.glob("*.json")))
    score = evaluate_dirs(SEED_GOLD, SEED_DOCS, lambda p: perfect_prediction(gold))
    assert score.documents[0].doc == gold["doc"]
    assert score.entities_micro.f1 == 1.0


# --------------------------------------------------------------------------- entities


def test_perfect_inline_fixture():
    assert_perfect(score_document(SEED_LIKE, seed_pred()))


@pytest.mark.parametrize(
    "gold_name,pred_name",
    [
        ("思元 370", "思元370"),
        ("思元370", "思元 370"),
        ("MLU370-X4", "ＭＬＵ370-X4"),
        ("MLU370-X4", "mlu370-x4"),
        ("DRIVE Orin", "Drive  Orin"),
        ("倚天 710", "倚天\u3000７１０"),
        ("神威 Ⅰ 号", "神威I号"),
        ("vivo", "VIVO"),
    ],
)
def test_spacing_case_and_width_variants_match(gold_name, pred_name):
    gold = {"doc": "d", "entities": [ent(gold_name, "Product")]}
    s = score_document(gold, {"entities": [ent(pred_name, "Product")]})
    assert counts(s.entities["Product"]) == (1, 0, 0)


def test_prediction_alias_matches_gold_alias():
    gold = {"doc": "d", "entities": [ent("格芯", aliases=["GlobalFoundries", "格罗方德半导体"])]}
    s = score_document(gold, {"entities": [ent("GF", aliases=["globalfoundries"])]})
    assert counts(s.entities["Company"]) == (1, 0, 0)


@pytest.mark.parametrize("person_type", ["Person", "Other"])
def test_prediction_hitting_person_or_other_is_ignored(person_type):
    gold = {"doc": "d", "entities": [ent("英伟达"), ent("黄仁勋", person_type)]}
    pred = {"entities": [ent("英伟达"), ent("黄仁勋", "Company", customer=True)]}
    s = score_document(gold, pred)
    assert counts(s.entities_micro) == (1, 0, 0)
    assert counts(s.customers) == (0, 0, 0)
    assert s.ignored["entities"] == ["黄仁勋 [Company]: gold Person/Other"]


def test_type_mismatch_counted_both_ways():
    gold = {"doc": "d", "entities": [ent("JH920", "Product")]}
    s = score_document(gold, {"entities": [ent("JH920", "Company")]})
    assert counts(s.entities["Company"]) == (0, 1, 0)
    assert counts(s.entities["Product"]) == (0, 0, 1)
    assert counts(s.entities["Site"]) == (0, 0, 0)
    assert counts(s.entities_micro) == (0, 1, 1)
    assert "JH920 [Company; gold JH920 is Product]" in s.errors["entities"]["fp"]
    assert s.errors["entities"]["fn"] == ["JH920 [Product]"]


def test_duplicate_predictions_of_one_gold_entity_count_neither_way():
    gold = {"doc": "d", "entities": [ent("英伟达", aliases=["NVIDIA"])]}
    pred = {"entities": [ent("英伟达"), ent("NVIDIA"), ent("nvidia")]}
    s = score_document(gold, pred)
    assert counts(s.entities["Company"]) == (1, 0, 0)
    assert len(s.ignored["entities"]) == 1  # "NVIDIA" and "nvidia" merge first


def test_one_to_one_matching_is_maximal():
    """A prediction carrying two gold names must not steal the only match of another."""
    gold = {"doc": "d", "entities": [ent("三星显示", aliases=["三星"]), ent("三星电子")]}
    pred = {"entities": [ent("三星电子", aliases=["三星"]), ent("三星显示")]}
    assert counts(score_document(gold, pred).entities["Company"]) == (2, 0, 0)


@pytest.mark.parametrize("predicted", [True, False])
def test_optional_entity_counts_neither_way(predicted):
    gold = {"doc": "d", "entities": [ent("景嘉微"), ent("微信", "Product", optional=True)]}
    pred = {"entities": [ent("景嘉微")] + ([ent("微信", "Product")] if predicted else [])}
    s = score_document(gold, pred)
    assert counts(s.entities_micro) == (1, 0, 0)
    assert counts(s.entities["Product"]) == (0, 0, 0)


@pytest.mark.parametrize("anaphor", ["公司", "该公司", "其", "本公司", "集团"])
def test_generic_anaphor_alias_does_not_match(anaphor):
    s = score_document(SEED_LIKE, {"entities": [ent(anaphor)]})
    assert s.entities["Company"].tp == 0
    assert f"{anaphor} [Company]" in s.errors["entities"]["fp"]
    assert "寒武纪 [Company]" in s.errors["entities"]["fn"]


def test_generic_anaphor_cannot_stand_for_relation_endpoint():
    pred = seed_pred(relations=[rel("公司", "hasCustomer", "阿里巴巴")])
    s = score_document(SEED_LIKE, pred)
    assert counts(s.relations["hasCustomer"]) == (0, 1, 2)


def test_spurious_entity_is_false_positive_and_recall_drop_is_exact():
    gold = {"doc": "d", "entities": [ent("A"), ent("B"), ent("C"), ent("D"), ent("X", "Site")]}
    pred = {"entities": [ent("A"), ent("B"), ent("C"), ent("Z"), ent("X", "Site")]}
    s = score_document(gold, pred)
    assert counts(s.entities["Company"]) == (3, 1, 1)
    assert s.entities["Company"].recall == 0.75
    assert s.entities_micro.recall == 0.8


# --------------------------------------------------------------------------- relations


def rel_score(gold_rels, pred_rels, entities=None):
    entities = entities or [ent("X"), ent("Y"), ent("P", "Product"), ent("黄仁勋", "Person")]
    gold = {"doc": "d", "entities": entities, "relations": gold_rels}
    pred = {"entities": [e for e in entities if e["type"] in TARGET], "relations": pred_rels}
    return score_document(gold, pred)


@pytest.mark.parametrize(
    "gold_p,pred_p", [("supplierOf", "hasCustomer"), ("hasCustomer", "supplierOf"), ("supplierOf", "supplierOf")]
)
def test_supplier_of_equals_has_customer(gold_p, pred_p):
    s = rel_score([rel("X", gold_p, "Y")], [rel("X", pred_p, "Y")])
    assert counts(s.relations["hasCustomer"]) == (1, 0, 0)
    assert set(s.relations) == {"hasCustomer"}


def test_has_customer_direction_matters():
    s = rel_score([rel("X", "supplierOf", "Y")], [rel("Y", "hasCustomer", "X")])
    assert counts(s.relations["hasCustomer"]) == (0, 1, 1)


def test_customer_of_is_inverse_of_has_customer():
    s = rel_score([rel("X", "hasCustomer", "Y")], [rel("Y", "customerOf", "X")])
    assert counts(s.relations_micro) == (1, 0, 0)


@pytest.mark.parametrize("predicate", ["partnerOf", "competitor"])
@pytest.mark.parametrize("reverse", [False, True])
def test_symmetric_predicates(predicate, reverse):
    pred = rel("Y", predicate, "X") if reverse else rel("X", predicate, "Y")
    s = rel_score([rel("X", predicate, "Y")], [pred])
    assert counts(s.relations[predicate]) == (1, 0, 0)


def test_symmetric_relation_predicted_both_ways_counts_once():
    s = rel_score([rel("X", "partnerOf", "Y")], [rel("X", "partnerOf", "Y"), rel("Y", "partnerOf", "X")])
    assert counts(s.relations_micro) == (1, 0, 0)


def test_non_symmetric_predicate_is_directional():
    s = rel_score([rel("X", "invests", "Y")], [rel("Y", "invests", "X")])
    assert counts(s.relations["invests"]) == (0, 1, 1)


@pytest.mark.parametrize(
    "gold_r,pred_r",
    [
        (rel("P", "manufacturedBy", "X"), rel("X", "manufactures", "P")),
        (rel("X", "manufactures", "P"), rel("P", "manufacturedBy", "X")),
        (rel("P", "manufacturedBy", "X"), rel("P", "manufacturedBy", "X")),
    ],
)
def test_manufactures_is_inverse_of_manufactured_by(gold_r, pred_r):
    s = rel_score([gold_r], [pred_r])
    assert counts(s.relations["manufactures"]) == (1, 0, 0)
    assert set(s.relations) == {"manufactures"}


def test_manufactures_with_wrong_direction_does_not_match():
    s = rel_score([rel("P", "manufacturedBy", "X")], [rel("P", "manufactures", "X")])
    assert counts(s.relations["manufactures"]) == (0, 1, 1)


@pytest.mark.parametrize("predicted", [True, False])
def test_optional_relation_counts_neither_way(predicted):
    gold_rels = [rel("X", "develops", "P"), rel("X", "partnerOf", "Y", optional=True)]
    pred_rels = [rel("X", "develops", "P")] + ([rel("Y", "partnerOf", "X")] if predicted else [])
    s = rel_score(gold_rels, pred_rels)
    assert counts(s.relations_micro) == (1, 0, 0)
    assert s.relations.get("partnerOf", Counts()) == Counts()
    assert len(s.ignored["relations"]) == int(predicted)


def test_relation_to_person_is_ignored():
    s = rel_score([rel("X", "develops", "P")], [rel("X", "develops", "P"), rel("黄仁勋", "partnerOf", "X")])
    assert counts(s.relations_micro) == (1, 0, 0)
    assert s.ignored["relations"] == ["黄仁勋 partnerOf X: endpoint is a gold Person/Other"]


def test_relation_endpoints_resolve_through_aliases_and_variants():
    entities = [ent("GlobalFoundries", aliases=["格芯"]), ent("高通", customer=True)]
    gold = {"doc": "d", "entities": entities, "relations": [rel("GlobalFoundries", "hasCustomer", "高通")]}
    pred = {
        "entities": [ent("格芯", aliases=["Global Foundries"]), ent("高通", customer=True)],
        "relations": [rel("格芯", "supplierOf", "高通")],
    }
    s = score_document(gold, pred)
    assert counts(s.relations["hasCustomer"]) == (1, 0, 0)
    assert counts(s.customers) == (1, 0, 0)


def test_relation_errors_are_listed_by_name():
    s = rel_score([rel("X", "develops", "P")], [rel("Y", "develops", "P")])
    assert s.errors["relations"] == {"fp": ["Y develops P"], "fn": ["X develops P"]}


# --------------------------------------------------------------------------- customers and facts


def test_customer_flag_on_non_customer_is_false_positive():
    gold = {"doc": "d", "entities": [ent("LG Display"), ent("三星电子"), ent("苹果", customer=True)]}
    pred = {"entities": [ent("LG Display"), ent("三星电子", customer=True), ent("苹果", customer=False)]}
    s = score_document(gold, pred)
    assert counts(s.customers) == (0, 1, 1)
    assert s.errors["customers"] == {"fp": ["三星电子"], "fn": ["苹果"]}
    assert counts(s.entities_micro) == (3, 0, 0)


def test_optional_customer_is_ignored():
    gold = {"doc": "d", "entities": [ent("小米汽车", customer=True, optional=True)]}
    s = score_document(gold, {"entities": [ent("小米汽车", customer=True)]})
    assert counts(s.customers) == (0, 0, 0)


@pytest.mark.parametrize(
    "pred_fact,expected",
    [
        ({"subject": "寒武纪", "kind": "revenue", "value": "7.21亿元"}, (1, 0, 0)),
        ({"subject": "寒武纪", "kind": "revenue", "value": "营业收入为 7.21 亿元"}, (1, 0, 0)),
        ({"subject": "寒武纪", "kind": "revenue", "value": "7.21 亿", "period": "2021"}, (1, 0, 0)),
        ({"subject": "寒武纪", "kind": "growth", "value": "7.21 亿元"}, (0, 1, 1)),
        ({"subject": "台积电", "kind": "revenue", "value": "7.21 亿元"}, (0, 1, 1)),
        ({"subject": "寒武纪", "kind": "revenue", "value": "4.56 亿元"}, (0, 1, 1)),
        ({"subject": "寒武纪", "kind": "revenue", "value": ""}, (0, 1, 1)),
    ],
)
def test_fact_matching(pred_fact, expected):
    gold = {
        "doc": "d",
        "entities": [ent("寒武纪"), ent("台积电")],
        "facts": [{"subject": "寒武纪", "kind": "revenue", "value": "7.21 亿元", "evidence": "..."}],
    }
    s = score_document(gold, {"entities": gold["entities"], "facts": [pred_fact]})
    assert counts(s.facts) == expected


# --------------------------------------------------------------------------- counts, corpus, output


@pytest.mark.parametrize(
    "c,p,r,f",
    [
        (Counts(0, 0, 0), 1.0, 1.0, 1.0),
        (Counts(0, 0, 3), 0.0, 0.0, 0.0),
        (Counts(0, 2, 0), 0.0, 0.0, 0.0),
        (Counts(2, 2, 0), 0.5, 1.0, 2 / 3),
        (Counts(1, 1, 3), 0.5, 0.25, 1 / 3),
    ],
)
def test_counts_scores(c, p, r, f):
    assert (c.precision, c.recall) == (p, r)
    assert c.f1 == pytest.approx(f)


def test_score_corpus_is_micro_average():
    g1 = {"doc": "a", "entities": [ent("A"), ent("B")]}
    g2 = {"doc": "b", "entities": [ent("C"), ent("S", "Site")]}
    score = score_corpus([(g1, {"entities": [ent("A"), ent("Q")]}), (g2, {"entities": [ent("C"), ent("S", "Site")]})])
    assert counts(score.entities["Company"]) == (2, 1, 1)
    assert counts(score.entities_micro) == (3, 1, 1)
    assert [d.doc for d in score.documents] == ["a", "b"]


def test_to_dict_is_json_and_lists_errors_per_document():
    pred = seed_pred(entities=seed_pred()["entities"][1:] + [ent("寒武纪科技", "Product")])
    score = score_corpus([(SEED_LIKE, pred)])
    data = json.loads(json.dumps(score.to_dict(), ensure_ascii=False))
    assert data["documents"] == 1
    assert set(data["entities"]) == {"Company", "Product", "Site", "micro"}
    assert "micro" in data["relations"] and "hasCustomer" in data["relations"]
    doc = data["per_document"][0]
    assert doc["doc"] == "000_seed.txt"
    assert doc["errors"]["entities"] == {"fp": ["寒武纪科技 [Product]"], "fn": ["寒武纪 [Company]"]}
    assert data["entities"]["Company"]["recall"] == pytest.approx(2 / 3, abs=1e-4)


@pytest.mark.parametrize("score_kind", ["corpus", "document"])
def test_format_table_rows_and_columns(score_kind):
    doc = score_document(SEED_LIKE, seed_pred())
    score = CorpusScore([doc]) if score_kind == "corpus" else doc
    table = format_table(score)
    assert isinstance(table, Table)
    assert [c.header for c in table.columns] == ["", "tp", "fp", "fn", "P", "R", "F1"]
    labels = list(table.columns[0].cells)
    assert labels[:5] == ["Company", "Product", "Site", "entities (micro)", "customers"]
    assert labels[-2:] == ["relations (micro)", "facts"]
    assert {"hasCustomer", "manufactures", "partnerOf", "competitor"} <= set(labels)
    assert "supplierOf" not in labels and "manufacturedBy" not in labels
    console = Console(width=120, record=True)
    console.print(table)
    assert "1.000" in console.export_text()


# --------------------------------------------------------------------------- directories


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_evaluate_dirs_missing_doc_raises_input_error(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "docs").mkdir()
    write_json(tmp_path / "gold" / "01_a.json", {"doc": "01_a.md", "entities": []})
    write_json(tmp_path / "gold" / "02_b.json", {"doc": "02_b.md", "entities": []})
    (tmp_path / "docs" / "01_a.md").write_text("x", encoding="utf-8")
    calls = []
    with pytest.raises(InputError, match=r"02_b\.json.*02_b\.md") as info:
        evaluate_dirs(tmp_path / "gold", tmp_path / "docs", lambda p: calls.append(p) or {})
    assert isinstance(info.value, KGError)
    assert calls == []  # fails before running the pipeline


def test_evaluate_dirs_falls_back_to_stem(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "docs").mkdir()
    write_json(tmp_path / "gold" / "07_x.json", {"doc": "renamed.md", "entities": [ent("高通")]})
    write_json(tmp_path / "gold" / "08_y.json", {"entities": [ent("英特尔")]})
    (tmp_path / "docs" / "07_x.txt").write_text("高通", encoding="utf-8")
    (tmp_path / "docs" / "08_y.md").write_text("英特尔", encoding="utf-8")
    seen = []

    def predict(path: Path) -> dict:
        seen.append(path.name)
        return {"entities": [ent(path.read_text(encoding="utf-8"))]}

    score = evaluate_dirs(tmp_path / "gold", tmp_path / "docs", predict)
    assert seen == ["07_x.txt", "08_y.md"]
    assert score.entities_micro.f1 == 1.0
    assert [d.doc for d in score.documents] == ["renamed.md", "08_y.md"]


@pytest.mark.parametrize("what", ["no_gold_dir", "no_docs_dir", "empty_gold", "bad_json"])
def test_evaluate_dirs_bad_input(tmp_path, what):
    gold, docs = tmp_path / "gold", tmp_path / "docs"
    if what != "no_gold_dir":
        gold.mkdir()
    if what != "no_docs_dir":
        docs.mkdir()
    if what == "bad_json":
        (gold / "a.json").write_text("{not json", encoding="utf-8")
        (docs / "a.md").write_text("", encoding="utf-8")
    with pytest.raises(InputError):
        evaluate_dirs(gold, docs, lambda p: {})
