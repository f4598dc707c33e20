"""Extraction quality on the seed gold and the dev set, measured with the kg eval scorer.

The dev floor keeps quality from dropping silently: it is the score reached when it was
written, minus a small margin. Raise it when the pipeline improves.
"""

from __future__ import annotations

import json

import pytest

from kg.evaluate import evaluate_dirs, score_document
from kg.extract import extract, to_gold_format
from kg.ingest import read_document

from .conftest import SEED_FILE, SHARED, needs_shared

#: entity scores on ../shared/dev when the floor was set (P 0.904, R 0.942, F1 0.923)
DEV_ENTITY_FLOOR = {"precision": 0.88, "recall": 0.92, "f1": 0.90}


def predict(path):
    return to_gold_format(extract(read_document(path)))


@needs_shared()
def test_quality_seed_entities_all_found_with_no_false_ones():
    gold = json.loads((SHARED / "gold" / "000_f3b62b74784ae4bb.json").read_text(encoding="utf-8"))
    score = score_document(gold, predict(SEED_FILE))
    for kind in ("Company", "Product", "Site"):
        counts = score.entities[kind]
        assert counts.fn == 0, (kind, score.errors["entities"]["fn"])
        assert counts.fp == 0, (kind, score.errors["entities"]["fp"])


@pytest.mark.slow
@needs_shared()
def test_quality_dev_entity_floor():
    score = evaluate_dirs(SHARED / "dev" / "gold", SHARED / "dev" / "docs", predict)
    micro = score.entities_micro
    assert micro.precision >= DEV_ENTITY_FLOOR["precision"], micro.to_dict()
    assert micro.recall >= DEV_ENTITY_FLOOR["recall"], micro.to_dict()
    assert micro.f1 >= DEV_ENTITY_FLOOR["f1"], micro.to_dict()
