"""The W3C Reconciliation Service API at /reconcile (what OpenRefine speaks)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.serve import NameIndex, background, create_app

CAMBRICON = "https://w3id.org/kg-news/id/company/cambricon"


@pytest.fixture(scope="module")
def service(seed_build):
    _, out = seed_build
    with background(create_app(out)) as url:
        yield url


def fetch(url: str, data: dict | None = None) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode("utf-8")


def test_reconcile_manifest(service):
    status, ctype, body = fetch(service + "/reconcile")
    assert status == 200 and ctype.startswith("application/json")
    manifest = json.loads(body)
    assert manifest["identifierSpace"] == "https://w3id.org/kg-news/id/"
    assert manifest["schemaSpace"] == "https://w3id.org/kg-news/ontology#"
    assert [t["id"] for t in manifest["defaultTypes"]] == ["Company", "Product", "Site"]
    assert manifest["view"]["url"] == service + "/id/{{id}}"
    assert manifest["preview"]["url"] == service + "/reconcile/preview?id={{id}}"
    assert manifest["suggest"]["entity"] == {"service_url": service, "service_path": "/reconcile/suggest/entity"}


def test_reconcile_openrefine_batch(service):
    """The batch OpenRefine sends: a form field ``queries`` holding q0..qN."""
    queries = {
        "q0": {"query": "Cambricon", "type": "Company", "type_strict": "should", "limit": 3},
        "q1": {"query": "寒武纪芯片", "type": "Company"},
        "q2": {"query": "Cambricon", "type": "Product"},
        "q3": {"query": "招商銀行"},  # traditional characters: no exact match
        "q4": {"query": "ＭＬＵ３７０－Ｘ４"},  # full-width
    }
    status, _, body = fetch(service + "/reconcile", {"queries": json.dumps(queries, ensure_ascii=False)})
    assert status == 200
    result = json.loads(body)
    assert set(result) == set(queries)
    top = result["q0"]["result"][0]
    assert top == {"id": "company/cambricon", "name": "寒武纪", "type": [{"id": "Company", "name": "Company"}],
                   "score": 100.0, "match": True}
    assert len(result["q0"]["result"]) <= 3
    assert all(not c["match"] and c["score"] < 100 for c in result["q0"]["result"][1:])
    fuzzy = result["q1"]["result"][0]
    assert fuzzy["name"] == "寒武纪" and fuzzy["match"] is False and 40 <= fuzzy["score"] < 100
    assert all(c["id"] != "company/cambricon" for c in result["q2"]["result"])
    assert all(t["id"] == "Product" for c in result["q2"]["result"] for t in c["type"])
    assert all(not c["match"] for c in result["q3"]["result"])
    assert result["q4"]["result"][0]["name"] == "MLU370-X4" and result["q4"]["result"][0]["match"] is True


def test_reconcile_get_queries_and_jsonp(service):
    queries = json.dumps({"q0": {"query": "cambricon"}})
    status, ctype, body = fetch(service + "/reconcile?" + urllib.parse.urlencode({"queries": queries, "callback": "cb"}))
    assert status == 200 and ctype.startswith("application/javascript")
    assert body.startswith("cb(") and body.endswith(")")
    assert json.loads(body[3:-1])["q0"]["result"][0]["id"] == "company/cambricon"


def test_reconcile_bad_batch_is_400(service):
    status, _, body = fetch(service + "/reconcile", {"queries": "{not json"})
    assert status == 400 and "not a JSON object" in body


def test_reconcile_preview_and_suggest(service):
    status, ctype, body = fetch(service + "/reconcile/preview?id=company/cambricon")
    assert status == 200 and ctype.startswith("text/html")
    assert "寒武纪" in body and "Cambricon" in body and '<meta charset="utf-8">' in body
    status, _, body = fetch(service + "/reconcile/suggest/entity?" + urllib.parse.urlencode({"prefix": "寒武"}))
    first = json.loads(body)["result"][0]
    assert first["id"] == "company/cambricon" and first["name"] == "寒武纪"
    assert first["notable"] == [{"id": "Company", "name": "Company"}]
    status, _, body = fetch(service + "/reconcile/preview?id=company/nothing-here")
    assert status == 404


@pytest.mark.parametrize("query, kind, expected_iri, match", [
    ("Cambricon", None, "c", True),
    ("cambricon ", None, "c", True),
    ("中科寒武纪", None, "c", True),
    ("寒武纪股份有限公司", None, "c", True),  # legal suffix ignored
    ("寒武", None, "c", False),
    ("Cambricon", "Product", None, False),
])
def test_reconcile_name_index(query, kind, expected_iri, match):
    index = NameIndex([("c", "Company", "寒武纪", "zh", True), ("c", "Company", "Cambricon", "en", True),
                       ("c", "Company", "中科寒武纪", "zh", False), ("p", "Product", "思元 370", "zh", True)])
    hits = index.reconcile(query, kind=kind)
    if expected_iri is None:
        assert all(h.iri != "c" for h in hits)
        return
    assert hits[0].iri == expected_iri and hits[0].name == "寒武纪"
    assert hits[0].match is match
    assert (hits[0].score == 100) is match


def test_reconcile_ambiguous_exact_name_is_not_a_match():
    index = NameIndex([("a", "Company", "长城", "zh", True), ("b", "Site", "长城", "zh", True)])
    hits = index.reconcile("长城")
    assert {h.iri for h in hits} == {"a", "b"} and all(h.score == 100 and not h.match for h in hits)
    assert index.reconcile("长城", kind="Site")[0].match is True
