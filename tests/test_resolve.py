"""Entity resolution across documents: aliases, English names, homonyms, determinism."""

from __future__ import annotations

import pytest

import kg
from kg.model import DocEntity, Mention
from kg.resolve import resolve


def _corpus(tmp_path, posts: dict[str, str]):
    folder = tmp_path / "posts"
    folder.mkdir()
    for name, text in posts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_resolve_chinese_english_and_legal_names_are_one_entity(tmp_path):
    folder = _corpus(tmp_path, {
        "a.txt": "寒武纪发布思元 370 芯片。",
        "b.txt": "Cambricon 与招商银行合作。",
        "c.txt": "中科寒武纪科技股份有限公司发布年报。",
    })
    graph = kg.build([folder])
    iris = {graph.lookup(n).iri for n in ("寒武纪", "Cambricon", "中科寒武纪", "中科寒武纪科技股份有限公司")}
    assert len(iris) == 1
    merge = next(m for m in graph.report.merges if m["label"] == "寒武纪")
    assert set(merge["surfaces"]) >= {"寒武纪", "Cambricon", "中科寒武纪科技股份有限公司"}
    assert merge["documents"] == ["a", "b", "c"]


def test_resolve_text_alias_joins_full_name(tmp_path):
    folder = _corpus(tmp_path, {
        "a.txt": "北京卫蓝新能源科技有限公司（以下简称“卫蓝新能源”）完成融资。卫蓝新能源将扩产。",
    })
    graph = kg.build([folder])
    assert graph.lookup("卫蓝新能源").iri == graph.lookup("北京卫蓝新能源科技有限公司").iri


def _ent(label, aliases=()):
    return DocEntity("e0", "Company", label, [Mention(0, len(label), label, "Company", "test")], aliases=set(aliases))


def test_resolve_homonyms_with_different_full_names_stay_apart():
    res = resolve({
        "d1": [_ent("华星", {"华星光电科技有限公司"})],
        "d2": [_ent("华星", {"华星通信股份有限公司"})],
        "d3": [_ent("华星")],
    })
    k1, k2, k3 = (res.key_of(d, "e0") for d in ("d1", "d2", "d3"))
    assert k1 != k2
    assert k3 not in {k1, k2}  # a bare 华星 cannot be attributed to either


def test_resolve_bare_short_name_joins_its_only_owner():
    res = resolve({"d1": [_ent("华星", {"华星光电科技有限公司"})], "d2": [_ent("华星")]})
    assert res.key_of("d1", "e0") == res.key_of("d2", "e0")
    assert any("short name" in r for m in res.merges for r in m["reasons"])


def test_resolve_never_merges_across_types():
    product = DocEntity("e0", "Product", "天罡", [Mention(0, 2, "天罡", "Product", "test")])
    company = DocEntity("e0", "Company", "天罡", [Mention(0, 2, "天罡", "Company", "test")])
    res = resolve({"d1": [product], "d2": [company]})
    assert res.key_of("d1", "e0") != res.key_of("d2", "e0")


@pytest.mark.slow
def test_resolve_builds_are_deterministic(tmp_path, monkeypatch):
    from .conftest import SEEDS

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        kg.build([SEEDS], out=out)
        outs.append(out)
    for name in ("graph.trig", "graph.nq", "graph.ttl", "graph.jsonld", "graph.gexf"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
