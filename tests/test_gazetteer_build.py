"""Content tests for the gazetteer files built by ``kg.gazetteer_build``.

The committed files in ``kg/data/gazetteers`` are checked directly; when the public data
folder (``../shared/data``) exists, the build is also re-run into a temporary folder and
must reproduce the committed files byte for byte.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pytest

from kg import gazetteer_build as gb

REPO = Path(__file__).resolve().parent.parent
GAZ = REPO / "kg" / "data" / "gazetteers"
SHARED = REPO.parent / "shared" / "data"

FILES = {
    "companies.tsv": gb.COMPANY_COLS,
    "places.tsv": gb.PLACE_COLS,
    "products.tsv": gb.PRODUCT_COLS,
    "product_lines.tsv": gb.LINE_COLS,
}


def load(name: str) -> list[dict]:
    with (GAZ / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def companies() -> dict[str, dict]:
    return {r["key"]: r for r in load("companies.tsv")}


@pytest.fixture(scope="module")
def places() -> dict[str, dict]:
    return {r["key"]: r for r in load("places.tsv")}


@pytest.fixture(scope="module")
def products() -> dict[str, dict]:
    return {r["key"]: r for r in load("products.tsv")}


def aliases(row: dict, col: str = "aliases") -> set[str]:
    return {a for a in row[col].split("|") if a}


def by_name(rows: dict[str, dict], name: str, col: str = "name") -> list[dict]:
    return [r for r in rows.values() if r[col] == name]


def test_gazetteer_build_exact_columns_and_header():
    for name, cols in FILES.items():
        with (GAZ / name).open(encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")
            assert header == cols, name
            for n, line in enumerate(fh, 2):
                assert len(line.rstrip("\n").split("\t")) == len(cols), (name, n)


def test_gazetteer_build_keys_unique_and_ascii():
    for name in ("companies.tsv", "places.tsv", "products.tsv"):
        keys = [r["key"] for r in load(name)]
        assert len(keys) == len(set(keys)), name
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9\-]*", k) for k in keys), name
        assert keys == sorted(keys), f"{name} is not sorted by key"


def test_gazetteer_build_needs_context_is_binary():
    for name in ("companies.tsv", "places.tsv", "products.tsv"):
        assert {r["needs_context"] for r in load(name)} <= {"0", "1"}, name


def test_gazetteer_build_cambricon_stripped_and_merged(companies):
    row = companies["cambricon"]
    assert row["name_zh"] == "寒武纪"
    assert row["ticker"] == "688256.SH"
    assert "中科寒武纪科技股份有限公司" in aliases(row, "aliases_zh")
    assert "中科寒武纪" in aliases(row, "aliases_zh")
    assert row["name_en"] == "Cambricon"
    assert "cn-688256-sh" not in companies            # merged into one row
    assert sum(r["ticker"] == "688256.SH" for r in companies.values()) == 1


def test_gazetteer_build_a_share_names_normalised(companies):
    for row in companies.values():
        name = row["name_zh"]
        assert not re.match(r"^\*?ST", name), name
        assert not re.search(r"-(U|W|UW)$", name), name
        assert unicodedata.normalize("NFKC", name) == name, name
    vanke = companies["cn-000002-sz"]
    assert vanke["name_zh"] == "万科A"
    assert "万科" in aliases(vanke, "aliases_zh")
    assert vanke["name_en"] and vanke["country"] == "CN" and vanke["ticker"] == "000002.SZ"


def test_gazetteer_build_st_prefix_is_kept_as_alias(companies):
    st_rows = [r for r in companies.values() if any(a.startswith(("ST", "*ST"))
                                                    for a in aliases(r, "aliases_zh"))]
    assert len(st_rows) > 10
    for r in st_rows:
        assert not r["name_zh"].startswith(("ST", "*ST"))


def test_gazetteer_build_global_companies_have_english(companies):
    expected = {"tsmc": ("台积电", "TSMC"), "nvidia": ("英伟达", "NVIDIA"),
                "samsung": ("三星", "Samsung"), "globalfoundries": ("格芯", "GlobalFoundries"),
                "smic": ("中芯国际", "SMIC"), "china-merchants-bank": ("招商银行", "China Merchants Bank")}
    for key, (zh, en) in expected.items():
        assert companies[key]["name_zh"] == zh
        assert companies[key]["name_en"] == en
    assert "格罗方德" in aliases(companies["globalfoundries"], "aliases_zh")
    assert "Taiwan Semiconductor Manufacturing" in aliases(companies["tsmc"], "aliases_en")
    assert companies["tsmc"]["country"] == "TW"
    assert companies["smic"]["ticker"] == "688981.SH"
    curated = [r for r in companies.values() if not r["key"].startswith("cn-")]
    assert len(curated) >= 400
    # English names are left empty only where no reliable one is known
    assert sum(not r["name_en"] for r in curated) <= 5


def test_gazetteer_build_qids_well_formed(companies):
    qids = [r["qid"] for r in companies.values() if r["qid"]]
    assert all(re.fullmatch(r"Q[1-9][0-9]*", q) for q in qids)
    assert len(qids) == len(set(qids))
    assert companies["tsmc"]["qid"] == "Q713418"


def test_gazetteer_build_company_needs_context(companies):
    flagged = {"lenovo", "li-auto", "volkswagen", "great-wall", "changan", "ping-an"}
    clear = {"huawei", "baidu", "tencent", "jd", "meituan", "xpeng", "nio", "xiaomi", "citic",
             "apple", "tsmc", "cambricon"}
    for k in flagged:
        assert companies[k]["needs_context"] == "1", k
    for k in clear:
        assert companies[k]["needs_context"] == "0", k
    generic = {r["name_zh"]: r["needs_context"] for r in companies.values()
               if r["key"].startswith("cn-")}
    for name in ("机器人", "农产品", "太阳能", "电子城", "国际医学"):
        assert generic[name] == "1", name
    for name in ("东方财富", "青岛啤酒", "南京银行"):
        assert generic[name] == "0", name


def test_gazetteer_build_kunshan_hierarchy(places):
    kunshan = places["cn-320583"]
    assert kunshan["name"] == "昆山" and kunshan["level"] == "county"
    assert "昆山市" in aliases(kunshan)
    suzhou = places[kunshan["parent_key"]]
    assert suzhou["name"] == "苏州" and suzhou["level"] == "city"
    jiangsu = places[suzhou["parent_key"]]
    assert jiangsu["name"] == "江苏" and jiangsu["level"] == "province"
    assert "江苏省" in aliases(jiangsu)
    assert kunshan["needs_context"] == "0"


def test_gazetteer_build_zones_present(places):
    surfaces = {}
    for r in places.values():
        for s in {r["name"], *aliases(r)}:
            surfaces.setdefault(s, r)
    for name in ("横琴", "沣东", "张江", "中关村", "雄安新区", "前海", "光谷", "亦庄",
                 "横琴粤澳深度合作区", "张江高科技园区", "苏州工业园区"):
        assert name in surfaces, name
    new_areas = ["浦东新区", "滨海新区", "两江新区", "舟山群岛新区", "兰州新区", "南沙新区",
                 "西咸新区", "贵安新区", "西海岸新区", "金普新区", "天府新区", "湘江新区",
                 "江北新区", "福州新区", "滇中新区", "哈尔滨新区", "长春新区", "赣江新区", "雄安新区"]
    for name in new_areas:
        assert name in surfaces, name
    assert places["zone-zhangjiang"]["parent_key"] == "cn-310115"
    assert places["zone-fengdong"]["parent_key"] == "zone-xixian"


def test_gazetteer_build_world_places(places):
    names = {r["name"]: r for r in places.values()}
    for name, level in (("美国", "country"), ("日本", "country"), ("纽约", "world_city"),
                        ("东京", "world_city"), ("首尔", "world_city"), ("硅谷", "region"),
                        ("加州", "region"), ("北美", "region"), ("欧洲", "region"),
                        ("东南亚", "region"), ("中国大陆", "region"), ("台湾", "province"),
                        ("香港", "province"), ("澳门", "province")):
        assert names[name]["level"] == level, name
    assert "United States" in aliases(places["world-us"])
    assert "加利福尼亚州" in aliases(places["region-california"])


def test_gazetteer_build_cross_level_collision_keeps_higher_level(places):
    xian = [r for r in places.values() if r["name"] == "西安" or "西安" in aliases(r)]
    assert [r["key"] for r in xian] == ["cn-6101"]
    assert places["cn-6101"]["level"] == "city"
    assert places["cn-220403"]["name"] == "西安区"
    jilin = [r for r in places.values() if r["name"] == "吉林"]
    assert [r["level"] for r in jilin] == ["province"]


def test_gazetteer_build_place_needs_context(places):
    for r in places.values():
        if len(r["name"]) == 1:
            assert r["needs_context"] == "1", r
    for name in ("和平", "城区", "郊区", "鼓楼", "长安"):
        rows = by_name(places, name)
        assert rows and all(r["needs_context"] == "1" for r in rows), name
    for key in ("cn-32", "cn-3205", "cn-6101", "cn-110108", "world-us", "zone-zhangjiang"):
        assert places[key]["needs_context"] == "0", key


def test_gazetteer_build_place_parents_and_levels(places):
    for r in places.values():
        assert r["level"] in gb.PLACE_LEVELS, r
        if r["parent_key"]:
            assert r["parent_key"] in places, r
    assert not any(r["name"] == "国外" for r in places.values())
    # municipalities: the districts hang directly under the province-level row
    assert places["cn-110108"]["parent_key"] == "cn-11"


def test_gazetteer_build_products_and_lines(products, companies):
    for r in products.values():
        assert r["developer_key"] in companies, r
        assert r["subtype"] in gb.SUBTYPES, r
    assert len(products) >= 150
    names = {r["name"]: r for r in products.values()}
    assert names["倚天 710"]["developer_key"] == "t-head"
    assert names["DRIVE Orin"]["developer_key"] == "nvidia"
    assert names["秦"]["needs_context"] == "1"
    lines = load("product_lines.tsv")
    assert len(lines) >= 60
    line_map = {(r["line"], r["developer_key"]) for r in lines}
    for item in (("思元", "cambricon"), ("昇腾", "huawei"), ("骁龙", "qualcomm"),
                 ("天玑", "mediatek"), ("Exynos", "samsung-electronics"), ("EPYC", "amd")):
        assert item in line_map, item
    assert all(r["developer_key"] in companies and r["subtype"] in gb.SUBTYPES for r in lines)


def test_gazetteer_build_normalize_stock_name():
    assert gb.normalize_stock_name("寒武纪-U") == "寒武纪"
    assert gb.normalize_stock_name("*ST国华") == "国华"
    assert gb.normalize_stock_name("ST张家界") == "张家界"
    assert gb.normalize_stock_name("万科Ａ") == "万科A"
    assert gb.normalize_stock_name("云从科技-UW") == "云从科技"
    assert gb.normalize_stock_name("TCL科技") == "TCL科技"


def test_gazetteer_build_help(capsys):
    with pytest.raises(SystemExit) as exc:
        gb.main(["--help"])
    assert exc.value.code == 0
    assert "--shared" in capsys.readouterr().out


def test_gazetteer_build_files_small():
    assert sum((GAZ / n).stat().st_size for n in FILES) < 5 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not available")
def test_gazetteer_build_regenerates_committed_files(tmp_path):
    gb.build(SHARED, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (GAZ / name).read_bytes(), name
