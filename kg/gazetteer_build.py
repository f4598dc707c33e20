"""Build the gazetteer TSV files in ``kg/data/gazetteers/``.

Usage::

    python -m kg.gazetteer_build [--shared ../shared/data] [--out kg/data/gazetteers]

The output is regenerated deterministically (rows sorted by key, aliases sorted,
``\\n`` line endings) from two inputs:

* the public data in ``shared/data`` (see ``shared/data/SOURCES.md``), by default the
  ``shared/data`` folder next to the repository;
* the hand-curated lists in ``kg/data/curated/`` (UTF-8 TSV with a header row):

  ``companies.tsv``
      ``key name_zh aliases_zh name_en aliases_en qid sector country ticker needs_context``.
      ``ticker`` is the A-share ``ts_code`` (``688256.SH``) when the company is A-share
      listed: that A-share row is then merged into the curated row (curated key, name,
      English name, sector, country and needs_context win; aliases are the union, including
      the legal full name and the exchange short name).  For companies not listed in
      mainland China the ticker is left empty.  ``qid`` holds a Wikidata id only when it was
      verified against at least one public file naming the company next to the id;
      otherwise it is empty.
  ``zones.tsv``
      ``key name aliases level parent_key country needs_context nbs_code``: national new
      areas, well-known parks and business districts.  A row whose key already exists in
      the generated places (``cn-310115``) only adds aliases to that row; a row with an
      ``nbs_code`` replaces the NBS development-zone row with that code.
  ``world_places.tsv``
      ``key name aliases level parent_key country needs_context``: regions (continents,
      economic regions, US states ...) and major world cities with readable slugs.
  ``products.tsv``
      ``key name aliases name_en developer_key subtype needs_context``.
  ``product_lines.tsv``
      ``line developer_key subtype``.
  ``needs_context.tsv``
      ``kind name needs_context note``: hand overrides of the needs_context rule
      (``kind`` is ``place`` or ``company``; ``name`` is the row's ``name``/``name_zh``).

How ``needs_context`` is decided
--------------------------------
``needs_context = 1`` marks entries whose surface form is also an ordinary word or is
ambiguous on its own, so the tagger must see supporting context before using it.

Places (county, zone, town and world-city rows; provinces, prefecture cities and
countries are only flagged by hand):

* single-character names and generic names (城区, 郊区, 新区, 开发区, 高新区 ...);
* names that jieba's dictionary knows as a frequent ordinary word: never when jieba tags
  it as a place (``ns``); frequency >= ``FREQ_COMMON`` for proper-name tags (nr, nz, j);
  frequency >= ``FREQ_NONPLACE`` for any other tag (n, v, a ...: 资源, 合作, 成功, 比如);
* short names shared by several rows of the same level (鼓楼, 朝阳区 ...);
* short names that are also a company short name (长安).

Short forms that collide across levels stay with the higher level only (西安 is the
city; the two 西安区 keep their full names).  Order: country, province, city, region,
county, zone, world city, town.  A foreign region/city that shares a name with a Chinese
city (德州 = Texas / 德州市) keeps it too, and both rows need context.  NBS zone rows whose
name repeats a curated or administrative row are dropped.

A-share companies: the normalised short name is flagged when it is a frequent jieba word
(>= ``FREQ_NONPLACE``), when it is entirely made of generic industry or place words
(``companynameparser/trade.txt``, a small list of generic words, province/city names),
or when it equals a place name.  Curated companies carry a hand decision (e.g. 联想,
理想, 大众, 长城, 长安, 平安 are 1; 苹果, 小米, 华为, 京东, 蔚来 are 0 because in tech
news they overwhelmingly denote the company).  ``needs_context.tsv`` overrides both.

Keys
----
ASCII slugs: curated companies use readable slugs (``cambricon``); other A-share
companies ``cn-<code>-<exchange>`` (``cn-688256-sh``); places ``cn-<AreaCity id>``,
``zone-<slug or NBS code>``, ``world-<alpha2>``, ``world-city-<slug>``, ``region-<slug>``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "kg" / "data" / "gazetteers"
CURATED = REPO / "kg" / "data" / "curated"

COMPANY_COLS = ["key", "name_zh", "aliases_zh", "name_en", "aliases_en", "qid", "sector",
                "country", "ticker", "needs_context"]
PLACE_COLS = ["key", "name", "aliases", "level", "parent_key", "country", "needs_context"]
PRODUCT_COLS = ["key", "name", "aliases", "name_en", "developer_key", "subtype", "needs_context"]
LINE_COLS = ["line", "developer_key", "subtype"]

PLACE_LEVELS = ("country", "province", "city", "region", "county", "zone", "world_city", "town")
LEVEL_RANK = {lvl: i for i, lvl in enumerate(PLACE_LEVELS)}
SUBTYPES = {"Chip", "AcceleratorCard", "Platform", "Device", "Software", "Vehicle", "Other"}
SECTORS = {"semiconductors", "ai_chips", "cloud_internet", "telecom", "ev_battery", "automotive",
           "consumer_electronics", "banking", "investment", "media", "other"}

FREQ_COMMON = 1500      # jieba frequency above which a word tagged nr/nz/j is an ordinary word
FREQ_NONPLACE = 300     # ... and above which a common-noun/verb/adjective word is one
NAME_TAGS = {"nr", "nrt", "nrfg", "nz", "j"}

MUNICIPALITIES = {"11", "12", "31", "50", "81", "82"}   # + 香港, 澳门
SPECIAL_REGIONS = {"71": "TW", "81": "HK", "82": "MO"}

GENERIC_PLACE_NAMES = {
    "城区", "郊区", "新区", "矿区", "市辖区", "开发区", "高新区", "经开区", "高新", "经开", "新城",
    "市中", "市中区", "园区", "工业园", "工业园区", "中心", "城关", "城中", "城东", "城西", "城南",
    "城北", "东区", "西区", "南区", "北区", "中区", "河东", "河西", "江北", "江南", "江东", "新市",
    "老城", "新华", "和平", "长安", "平安", "太平", "东方", "红旗", "光明", "先锋", "白云", "青山",
    "大同", "永安", "安全", "新兴", "胜利", "友谊", "团结", "前进", "解放", "向阳", "东风", "五一", "凤凰",
}
GENERIC_COMPANY_WORDS = {
    "国际", "全国", "股份", "集团", "控股", "实业", "发展", "科技", "技术", "电子",
    "信息", "智能", "数据", "网络", "软件", "医药", "医学", "医疗", "生物", "化工", "材料", "能源",
    "新能源", "电力", "电气", "环保", "建设", "建工", "基建", "交通", "运输", "物流", "港口", "航空",
    "机场", "高速", "地产", "置业", "投资", "金融", "证券", "保险", "银行", "信托", "农业", "农产品",
    "食品", "饮料", "旅游", "酒店", "传媒", "文化", "教育", "钢铁", "有色", "矿业", "煤业", "水泥",
    "机械", "重工", "汽车", "电器", "家电", "服装", "纺织", "商业", "百货", "贸易", "城", "电子城",
    "机器人", "太阳能", "新材料", "城建", "城投", "水务", "燃气", "热电", "高新", "创新",
    "未来", "先进", "精工", "精密", "动力", "设备", "仪器", "光电", "通信", "通讯", "数码", "数字",
    "健康", "养老", "环境", "资源", "工业", "商贸", "股", "份", "公司", "世纪", "时代", "联合",
    "天然气", "石油", "石化", "船舶", "重机", "机床", "电机", "电缆", "塑料", "橡胶", "纸业", "造纸",
}
LEGAL_SUFFIXES = sorted([
    "集团股份有限公司", "股份有限公司", "有限责任公司", "有限公司", "(集团)股份有限公司",
    "(集团)有限公司", "股份公司", "集团有限公司", "集团公司",
], key=len, reverse=True)

ZONE_GENERIC_TOKENS = sorted([
    "国家级", "国家", "高新技术产业开发区", "高新技术开发区", "经济技术开发区", "经济开发区",
    "高技术产业开发区", "工业园区", "产业园区", "科技园区", "高科技园区", "开发区", "工业园",
    "产业园", "科技园", "园区", "新区", "新城", "片区", "管理委员会", "管委会", "街道", "直属乡镇",
    "北区", "南区", "东区", "西区", "城市", "工业", "经济", "高新", "科技", "综合", "示范区",
    "试验区", "合作区", "产业", "集中区", "聚集区", "省级", "市级", "县级", "飞地", "管理区",
    "办事处", "区", "县", "市", "镇", "乡", "省",
], key=len, reverse=True)
ZONE_PATTERN = re.compile(r"高新|开发区|园区|新区|新城|合作区|科技城|科学城|自贸|保税|试验区|"
                          r"示范区|产业园|工业园|经济区|科技园|港区")
ZONE_EXCLUDE = re.compile(r"农场|林场|牧场|监狱|良种|渔场|茶场|种畜|盐场|垦殖|片区|直属|管理委员会|管委会")


# --------------------------------------------------------------------------- helpers

def nfkc(text: str) -> str:
    """Full-width → half-width, trimmed, inner runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


def surface_key(text: str) -> str:
    """Key used to detect collisions between surface forms (spaces and case ignored)."""
    return nfkc(text).replace(" ", "").casefold()


def split_aliases(value: str) -> list[str]:
    return [nfkc(a) for a in (value or "").split("|") if nfkc(a)]


def join_aliases(aliases, exclude: str = "") -> str:
    seen, out = {surface_key(exclude)} if exclude else set(), []
    for alias in sorted({nfkc(a) for a in aliases if nfkc(a)}):
        k = surface_key(alias)
        if k and k not in seen:
            seen.add(k)
            out.append(alias)
    return "|".join(out)


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{k: (v or "").strip() for k, v in r.items()} for r in rows]


def write_tsv(path: Path, cols: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(cols) + "\n")
        for row in rows:
            cells = ["" if row.get(c) is None else str(row.get(c)) for c in cols]
            cells = [c.replace("\t", " ").replace("\n", " ") for c in cells]
            fh.write("\t".join(cells) + "\n")


def ascii_slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug


def pinyin_slug(text: str) -> str:
    try:
        from pypinyin import lazy_pinyin
        return ascii_slug("".join(lazy_pinyin(text)))
    except Exception:  # pragma: no cover - pypinyin is a declared dependency
        return ascii_slug(text.encode("unicode_escape").decode("ascii"))


class WordStats:
    """jieba dictionary frequencies and POS tags (loaded lazily, once)."""

    def __init__(self) -> None:
        import logging

        import jieba
        import jieba.posseg
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        self.freq = jieba.dt.FREQ
        self.tags = jieba.posseg.dt.word_tag_tab
        self._jieba = jieba

    def is_common_word(self, word: str) -> bool:
        f = self.freq.get(word, 0)
        tag = self.tags.get(word, "")
        if tag.startswith("ns"):
            return False                       # jieba knows it as a place name
        if tag in NAME_TAGS:
            return f >= FREQ_COMMON            # proper-name tags: only very frequent ones
        return f >= FREQ_NONPLACE

    def cut(self, text: str) -> list[str]:
        return [t for t in self._jieba.lcut(text, HMM=False) if t.strip()]


# --------------------------------------------------------------------------- places

def _mk_place(key, name, aliases=(), level="", parent="", country="", nc=0, source=""):
    return {"key": key, "name": nfkc(name), "aliases": set(nfkc(a) for a in aliases if a),
            "level": level, "parent_key": parent, "country": country, "needs_context": nc,
            "source": source}


def build_admin_places(shared: Path) -> dict[str, dict]:
    rows = read_csv(shared / "admin_divisions/areacity/ok_data_level3.csv", "utf-8-sig")
    places: dict[str, dict] = {}
    skipped_parent: dict[str, str] = {}
    for r in rows:
        rid, pid, deep, name, full = r["id"], r["pid"], int(r["deep"]), r["name"], r["ext_name"]
        if name == "国外" or rid.startswith("91"):
            continue
        if deep == 1 and pid in MUNICIPALITIES:      # 北京市 under 北京: use the province row
            skipped_parent[rid] = pid
            continue
        if deep == 2 and rid in (pid + "00", pid + "000"):   # filler child of 东莞, 仙桃 ...
            continue
        prov = rid[:2]
        country = SPECIAL_REGIONS.get(prov, "CN")
        if deep == 0:
            level = "province"
            parent = "" if prov in SPECIAL_REGIONS else "world-cn"
        elif deep == 1:
            level = "county" if len(rid) == 6 else "city"   # 省直辖县级 units
            parent = f"cn-{pid}"
        else:
            level = "county"
            parent = f"cn-{skipped_parent.get(pid, pid)}"
        aliases = {full} if full != name else set()
        places[f"cn-{rid}"] = _mk_place(f"cn-{rid}", name, aliases, level, parent, country,
                                        source="areacity")
    _add_former_city_names(shared, places)
    return places


def _add_former_city_names(shared: Path, places: dict[str, dict]) -> None:
    """Former names of prefecture-level cities that were renamed (襄樊 → 襄阳)."""
    path = shared / "admin_divisions/areacodes_mca/result.csv"
    if not path.exists():
        return
    for r in read_csv(path, "utf-8-sig"):
        if r["级别"] != "地级" or r["状态"] not in ("变更", "弃用"):
            continue
        new = [c for c in r["新代码"].split(";") if c]
        if len(new) != 1:
            continue
        target = places.get(f"cn-{new[0][:4]}")
        old = r["名称"]
        if not target or target["level"] != "city" or not old.endswith("市"):
            continue
        if old[:2] != target["name"][:2] and old not in target["aliases"] and old != target["name"]:
            target["aliases"].add(old)
            short = old[:-1]
            if len(short) >= 2:
                target["aliases"].add(short)


def _zone_core(name: str, strip_places: set[str]) -> str:
    core = name
    for tok in ZONE_GENERIC_TOKENS:
        core = core.replace(tok, "")
    return core


def _zone_aliases(name: str) -> set[str]:
    out = set()
    for long, short in (("高新技术产业开发区", "高新区"), ("高新技术开发区", "高新区"),
                        ("经济技术开发区", "经开区")):
        if name.endswith(long) and len(name) - len(long) >= 2:
            out.add(name[: -len(long)] + short)
    return out


def build_nbs_zones(shared: Path, places: dict[str, dict]) -> dict[str, dict]:
    base = shared / "admin_divisions/modood_nbs2023"
    zones: dict[str, dict] = {}
    for r in read_csv(base / "areas.csv"):
        code = r["code"]
        if code[4] != "7":
            continue
        parent = f"cn-{r['cityCode']}" if f"cn-{r['cityCode']}" in places else f"cn-{r['provinceCode']}"
        zones[f"zone-{code}"] = _mk_place(f"zone-{code}", r["name"], _zone_aliases(r["name"]),
                                          "zone", parent, "CN", source="nbs")
    candidates = []
    for r in read_csv(base / "streets.csv"):
        code, name = r["code"], r["name"]
        if code[6] != "4" or not ZONE_PATTERN.search(name) or ZONE_EXCLUDE.search(name):
            continue
        if len(_zone_core(name, set())) < 2:
            continue                                  # 经济开发区, 城市新区: no proper name
        candidates.append(r)
    counts = defaultdict(int)
    for r in candidates:
        counts[r["name"]] += 1
    for r in candidates:
        if counts[r["name"]] > 1:
            continue                                  # same long name in several places
        area = r["areaCode"]
        parent = next((k for k in (f"cn-{area}", f"zone-{area}", f"cn-{r['cityCode']}",
                                   f"cn-{r['provinceCode']}") if k in places or k in zones), "")
        key = f"zone-{r['code']}"
        zones[key] = _mk_place(key, r["name"], _zone_aliases(r["name"]), "zone", parent, "CN",
                               source="nbs")
    return zones


def build_world(shared: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    by_cn: dict[str, str] = {}
    for r in read_csv(shared / "world/country.csv"):
        a2 = r["alpha2"].strip().upper()
        if a2 in SPECIAL_REGIONS.values():
            continue
        key = f"world-{a2.lower()}"
        aliases = set()
        en = re.sub(r"\s*\(the\)$", "", r["name"].strip())
        if en and not re.search(r"[(),]", en):
            aliases.add(en)
        out[key] = _mk_place(key, r["cnname"], aliases, "country", "", a2, source="country")
        by_cn[nfkc(r["cnname"])] = key
    wl = shared / "world/world_location.txt"
    if wl.exists():
        for line in wl.read_text(encoding="utf-8").splitlines():
            parts = [p.strip() for p in line.split("\t")]
            if len(parts) < 3 or parts[0].endswith(":"):
                continue
            short, full, capital = parts[0], parts[1], parts[2]
            others = parts[3].split("/") if len(parts) > 3 else []
            key = by_cn.get(short) or by_cn.get(full)
            if not key:
                continue
            if out[key]["name"] != short:             # 俄罗斯联邦 → 俄罗斯
                out[key]["aliases"].add(out[key]["name"])
                out[key]["name"] = nfkc(short)
            if full != short:
                out[key]["aliases"].add(full)
            if key == "world-cn":
                continue                               # Chinese cities come from AreaCity
            country = out[key]["country"]
            for city in [capital, *others]:
                city = nfkc(city)
                if city in WORLD_CITY_IS_COUNTRY_ALIAS:
                    out[key]["aliases"].add(city)
                    continue
                if not city or city == short:
                    continue
                ckey = f"world-city-{pinyin_slug(city)}"
                if ckey in out:
                    continue
                out[ckey] = _mk_place(ckey, city, (), "world_city", key, country,
                                      source="world_location")
    return out


WORLD_CITY_IS_COUNTRY_ALIAS = {"巴新"}       # listed as a city in world_location.txt


def drop_redundant_zones(places: dict[str, dict]) -> None:
    """NBS zone rows that repeat a curated or administrative name are dropped."""
    taken: dict[str, str] = {}
    for key, p in sorted(places.items(), key=lambda kv: (kv[1]["source"] == "nbs", len(kv[0]), kv[0])):
        surfaces = {surface_key(p["name"])} | {surface_key(a) for a in p["aliases"]}
        if p["source"] == "nbs" and surface_key(p["name"]) in taken:
            places.pop(key)
            continue
        for s in surfaces:
            taken.setdefault(s, key)


def apply_curated_places(places: dict[str, dict], rows: list[dict], kind: str) -> None:
    for r in rows:
        key = r["key"]
        aliases = split_aliases(r.get("aliases", ""))
        if key in places and places[key]["source"] not in ("curated",) and key.startswith("cn-"):
            places[key]["aliases"].update(aliases)          # enrich a generated row
            if r.get("needs_context") == "1":
                places[key]["forced_nc"] = 1
            continue
        code = r.get("nbs_code", "")
        if code and f"zone-{code}" in places:
            old = places.pop(f"zone-{code}")
            aliases = [*aliases, old["name"], *old["aliases"]]
        # a curated world city replaces a generated one with the same name
        for k in [k for k, p in places.items() if p["source"] == "world_location"
                  and p["name"] == nfkc(r["name"])]:
            places.pop(k)
        p = _mk_place(key, r["name"], aliases, r["level"], r.get("parent_key", ""),
                      r.get("country", ""), source="curated")
        p["forced_nc"] = int(r.get("needs_context") or 0)
        places[key] = p


def resolve_place_collisions(places: dict[str, dict], words: WordStats,
                             company_names: set[str]) -> None:
    """Needs_context rule + cross-level collision handling (see module docstring)."""
    owners: dict[str, list[str]] = defaultdict(list)
    for key, p in places.items():
        for s in {p["name"], *p["aliases"]}:
            owners[surface_key(s)].append(key)
    for skey, keys in owners.items():
        if len(keys) < 2:
            continue
        best = min(LEVEL_RANK[places[k]["level"]] for k in keys)
        top = [k for k in keys if LEVEL_RANK[places[k]["level"]] == best]
        top_countries = {places[k]["country"] for k in top}
        # a foreign place and a Chinese one with the same name (德州 = Texas / 德州市) are
        # both kept and both need context; within one country the higher level wins.
        top += [k for k in keys if k not in top and places[k]["country"] not in top_countries
                and places[k]["level"] in ("region", "world_city", "country", "city", "province")]
        for k in keys:
            p = places[k]
            if k not in top:
                # drop the colliding surface from the lower-level row
                p["aliases"] = {a for a in p["aliases"] if surface_key(a) != skey}
                if surface_key(p["name"]) == skey:
                    rest = sorted(p["aliases"], key=lambda a: (len(a), a))
                    if rest:
                        p["name"] = rest[0]
                        p["aliases"].discard(rest[0])
                    else:
                        p["needs_context"] = 1
            elif len(top) > 1:
                p["needs_context"] = 1                 # same-level homonyms: 鼓楼, 南山 ...
    for p in places.values():
        p["aliases"].discard(p["name"])
        name = p["name"]
        if p["level"] in ("county", "zone", "town", "world_city"):
            if (len(name) == 1 or name in GENERIC_PLACE_NAMES or words.is_common_word(name)
                    or surface_key(name) in company_names):
                p["needs_context"] = 1
        if "forced_nc" in p:
            p["needs_context"] = p["forced_nc"] or p["needs_context"] if p["source"] != "curated" \
                else p["forced_nc"]


def build_places(shared: Path, curated: Path, words: WordStats,
                 company_names: set[str]) -> dict[str, dict]:
    places = build_admin_places(shared)
    places.update(build_nbs_zones(shared, places))
    places.update(build_world(shared))
    apply_curated_places(places, read_tsv(curated / "world_places.tsv"), "world")
    apply_curated_places(places, read_tsv(curated / "zones.tsv"), "zone")
    drop_redundant_zones(places)
    resolve_place_collisions(places, words, company_names)
    return places


# --------------------------------------------------------------------------- companies

def normalize_stock_name(raw: str) -> str:
    """寒武纪-U → 寒武纪, *ST 金泰 → 金泰, 万科Ａ → 万科A."""
    name = nfkc(raw).replace(" ", "")
    name = re.sub(r"^(S\*ST|\*ST|SST|ST|S|XD|XR|DR|N|C)(?=[\u4e00-\u9fff])", "", name)
    name = re.sub(r"-[A-Z]{1,2}$", "", name)
    return name


def legal_short_forms(full: str, trade: set[str], place_names: set[str]) -> set[str]:
    """中科寒武纪科技股份有限公司 → {中科寒武纪科技, 中科寒武纪}."""
    full = nfkc(full).replace("（", "(").replace("）", ")")
    out = set()
    base = full
    for suf in LEGAL_SUFFIXES:
        if base.endswith(suf):
            base = base[: -len(suf)]
            break
    else:
        return out
    base = re.sub(r"\([^)]*\)$", "", base)            # 中微半导体设备(上海) → 中微半导体设备
    base = re.sub(r"\([^)]*\)", "", base)
    if base.endswith("集团"):
        base = base[:-2]
    if len(base) >= 3 and base not in place_names:
        out.add(base)
        for w in sorted(trade, key=len, reverse=True):
            if len(w) >= 2 and base.endswith(w):
                core = base[: -len(w)]
                if len(core) >= 3 and core not in place_names and core not in trade:
                    out.add(core)
                break
    return out


def is_generic_company_name(name: str, words: WordStats, trade: set[str],
                            place_names: set[str]) -> bool:
    if re.fullmatch(r"[A-Za-z0-9.\- ]+", name):
        return False
    bare = re.sub(r"[AB]$", "", name)
    if bare in place_names or name in place_names:
        return True
    if words.is_common_word(bare) and words.freq.get(bare, 0) >= FREQ_NONPLACE:
        return True
    toks = words.cut(bare)
    generic = trade | GENERIC_COMPANY_WORDS
    return bool(toks) and all(t in generic for t in toks)


def build_companies(shared: Path, curated: Path, words: WordStats,
                    place_names: set[str], all_place_names: set[str]) -> list[dict]:
    trade = {nfkc(w) for w in (shared / "companies/companynameparser/trade.txt")
             .read_text(encoding="utf-8").split() if nfkc(w)}
    trade -= all_place_names                     # trade.txt also lists 杭州, 常熟 ...
    ashare = read_csv(shared / "companies/a_share/stock_basic.csv", "utf-8-sig")
    cur_rows = read_tsv(curated / "companies.tsv")
    by_ticker = {r["ticker"]: r for r in cur_rows if r.get("ticker")}
    out: dict[str, dict] = {}

    for r in cur_rows:
        if r["sector"] not in SECTORS:
            raise ValueError(f"curated company {r['key']}: unknown sector {r['sector']!r}")
        out[r["key"]] = {
            "key": r["key"], "name_zh": nfkc(r["name_zh"]),
            "aliases_zh": set(split_aliases(r["aliases_zh"])), "name_en": nfkc(r["name_en"]),
            "aliases_en": set(split_aliases(r["aliases_en"])), "qid": r.get("qid", ""),
            "sector": r["sector"], "country": r["country"], "ticker": r.get("ticker", ""),
            "needs_context": int(r.get("needs_context") or 0), "curated": True,
        }
    for a in ashare:
        code = a["股票代码"].strip()
        raw = nfkc(a["股票名称"])
        name = normalize_stock_name(raw)
        full = nfkc(a["公司全称"])
        aliases = {full} | legal_short_forms(full, trade, place_names)
        if raw.replace(" ", "") != name:
            aliases.add(raw)
        if re.search(r"[\u4e00-\u9fff][AB]$", name) and len(name) >= 3:
            aliases.add(name[:-1])                     # 万科A → 万科
        en = nfkc(a["英文名称"])
        if code in by_ticker:
            row = out[by_ticker[code]["key"]]
            row["aliases_zh"] |= aliases | {name}
            if en and en != row["name_en"]:
                row["aliases_en"].add(en)
            continue
        key = "cn-" + code.lower().replace(".", "-")
        out[key] = {
            "key": key, "name_zh": name, "aliases_zh": aliases, "name_en": en,
            "aliases_en": set(), "qid": "", "sector": a["行业"].strip(), "country": "CN",
            "ticker": code, "curated": False,
            "needs_context": int(is_generic_company_name(name, words, trade, place_names)),
        }
    missing = [t for t in by_ticker if t not in {a["股票代码"].strip() for a in ashare}]
    if missing:
        print(f"warning: curated tickers not in stock_basic.csv: {missing}", file=sys.stderr)

    # aliases must not steal another company's name; shared aliases are dropped from
    # generated rows (a curated row keeps its hand-written alias).
    names = defaultdict(set)
    for k, r in out.items():
        names[surface_key(r["name_zh"])].add(k)
    alias_owners = defaultdict(set)
    for k, r in out.items():
        for al in r["aliases_zh"]:
            alias_owners[surface_key(al)].add(k)
    for k, r in out.items():
        keep = set()
        for al in r["aliases_zh"]:
            sk = surface_key(al)
            if sk == surface_key(r["name_zh"]):
                continue
            if names.get(sk, set()) - {k}:
                continue
            if len(alias_owners[sk]) > 1 and not r["curated"]:
                continue
            keep.add(al)
        r["aliases_zh"] = keep
    return [out[k] for k in sorted(out)]


# --------------------------------------------------------------------------- products

def build_products(curated: Path, company_keys: set[str]) -> tuple[list[dict], list[dict]]:
    products = []
    for r in read_tsv(curated / "products.tsv"):
        if r["developer_key"] and r["developer_key"] not in company_keys:
            raise ValueError(f"product {r['key']}: unknown developer_key {r['developer_key']}")
        if r["subtype"] not in SUBTYPES:
            raise ValueError(f"product {r['key']}: unknown subtype {r['subtype']}")
        name = nfkc(r["name"])
        products.append({"key": r["key"], "name": name,
                         "aliases": join_aliases(split_aliases(r["aliases"]), exclude=name),
                         "name_en": nfkc(r["name_en"]), "developer_key": r["developer_key"],
                         "subtype": r["subtype"], "needs_context": int(r["needs_context"] or 0)})
    lines = []
    for r in read_tsv(curated / "product_lines.tsv"):
        if r["developer_key"] not in company_keys:
            raise ValueError(f"product line {r['line']}: unknown developer_key")
        if r["subtype"] not in SUBTYPES:
            raise ValueError(f"product line {r['line']}: unknown subtype {r['subtype']}")
        lines.append({"line": nfkc(r["line"]), "developer_key": r["developer_key"],
                      "subtype": r["subtype"]})
    products.sort(key=lambda r: r["key"])
    lines.sort(key=lambda r: (r["line"], r["developer_key"]))
    return products, lines


# --------------------------------------------------------------------------- main

def check_keys(rows: list[dict], what: str) -> None:
    seen = set()
    for r in rows:
        k = r["key"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", k):
            raise ValueError(f"{what}: key {k!r} is not an ASCII slug")
        if k in seen:
            raise ValueError(f"{what}: duplicate key {k!r}")
        seen.add(k)


def build(shared: Path, out: Path, curated: Path = CURATED) -> dict[str, int]:
    if not shared.exists():
        raise SystemExit(f"shared data folder not found: {shared}")
    words = WordStats()
    overrides = {(r["kind"], nfkc(r["name"])): int(r["needs_context"])
                 for r in read_tsv(curated / "needs_context.tsv")}

    # first pass over places (names only) so that companies can see place names
    admin = build_admin_places(shared)
    place_names = {p["name"] for p in admin.values() if p["level"] in ("province", "city")}
    place_names |= {a for p in admin.values() if p["level"] in ("province", "city")
                    for a in p["aliases"]}
    all_place_names = {p["name"] for p in admin.values()}
    companies = build_companies(shared, curated, words, place_names, all_place_names)
    company_keys = {c["key"] for c in companies}
    company_short = {surface_key(c["name_zh"]) for c in companies}
    company_short |= {surface_key(a) for c in companies if c["curated"] for a in c["aliases_zh"]
                      if len(a) <= 3}

    places = build_places(shared, curated, words, company_short)
    for p in places.values():
        if ("place", p["name"]) in overrides:
            p["needs_context"] = overrides[("place", p["name"])]
        if p["parent_key"] and p["parent_key"] not in places:
            raise ValueError(f"place {p['key']}: unknown parent {p['parent_key']}")
        if p["level"] not in LEVEL_RANK:
            raise ValueError(f"place {p['key']}: unknown level {p['level']}")
    for c in companies:
        if ("company", c["name_zh"]) in overrides:
            c["needs_context"] = overrides[("company", c["name_zh"])]

    company_rows = [{**c, "aliases_zh": join_aliases(c["aliases_zh"], exclude=c["name_zh"]),
                     "aliases_en": join_aliases(c["aliases_en"], exclude=c["name_en"])}
                    for c in companies]
    place_rows = [{**p, "aliases": join_aliases(p["aliases"], exclude=p["name"])}
                  for _, p in sorted(places.items())]
    products, lines = build_products(curated, company_keys)
    check_keys(company_rows, "companies")
    check_keys(place_rows, "places")
    check_keys(products, "products")

    write_tsv(out / "companies.tsv", COMPANY_COLS, company_rows)
    write_tsv(out / "places.tsv", PLACE_COLS, place_rows)
    write_tsv(out / "products.tsv", PRODUCT_COLS, products)
    write_tsv(out / "product_lines.tsv", LINE_COLS, lines)
    return {"companies": len(company_rows), "places": len(place_rows),
            "products": len(products), "product_lines": len(lines)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kg.gazetteer_build",
        description="Regenerate kg/data/gazetteers/*.tsv from shared/data and kg/data/curated.")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"folder with the public gazetteer data (default: {DEFAULT_SHARED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--curated", type=Path, default=CURATED,
                        help=f"folder with the hand-curated TSV files (default: {CURATED})")
    args = parser.parse_args(argv)
    counts = build(args.shared.resolve(), args.out, args.curated)
    for name, n in counts.items():
        print(f"{name}.tsv: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
