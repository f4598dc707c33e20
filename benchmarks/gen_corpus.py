"""Write N synthetic IT之家-style posts (YAML front matter + HTML body) for benchmarks.

The posts follow the seed's format (``seeds/*.md``): a front matter block with title,
categories, image, author and date, then ``<p data-vmark="…">`` paragraphs. Names are drawn
from the bundled gazetteers (companies, products with their developers, cities), and sentences
from varied templates for customers, development, sites and figures, mixed with filler prose.
The same ``--seed`` always gives the same files, byte for byte.

    python benchmarks/gen_corpus.py 1000 /tmp/corpus-1k [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GAZ = REPO / "kg" / "data" / "gazetteers"


def _rows(name: str) -> list[dict[str, str]]:
    with open(GAZ / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


class Names:
    """Companies, products (with developers) and cities from the gazetteers."""

    def __init__(self) -> None:
        companies = [r for r in _rows("companies.tsv") if r["needs_context"] == "0" and r["name_zh"]]
        self.companies = [r["name_zh"] for r in companies]
        by_key = {r["key"]: r["name_zh"] for r in companies}
        self.products = [(r["name"], by_key[r["developer_key"]]) for r in _rows("products.tsv")
                         if r["needs_context"] == "0" and r["developer_key"] in by_key]
        places = _rows("places.tsv")
        self.cities = [r["name"] for r in places if r["level"] == "city" and r["needs_context"] == "0"]
        self.provinces = [r["name"] for r in places if r["level"] == "province" and r["needs_context"] == "0"]


CUSTOMER = [
    "{a}与{b}达成战略合作，{b}将在多个业务场景中采用{a}的{p}。",
    "{a}表示，{b}已成为其重要客户，双方合作范围持续扩大。",
    "据悉，{a}向{b}批量供应{p}，首批产品已于近期交付。",
    "{b}采购了{a}的{p}，用于其数据中心的升级改造。",
    "{a}的客户包括{b}、{c}等头部企业。",
    "在金融行业，{a}与{b}展开了深度合作，产品通过了{b}的测试。",
]
DEVELOPS = [
    "{a}正式发布了{p}，这是其自主研发的最新一代产品。",
    "{p}由{a}研发，采用了全新的架构设计。",
    "{a}推出{p}，主要面向云端推理和训练场景。",
    "此前，{a}曾在发布会上展示了{p}的样品。",
]
SITES = [
    "{a}在{city}建设的生产基地已正式投产。",
    "{a}宣布将在{city}设立研发中心，总投资约 {n} 亿元。",
    "{a}位于{prov}{city}的工厂目前产能已经满载。",
    "{a}总部位于{city}，在全国设有多个分支机构。",
]
FIGURES = [
    "{year} 年，{a}实现营业收入 {rev} 亿元，同比增长 {pct}%。",
    "{a}发布财报称，{year} 年净利润为 {rev} 亿元，同比下降 {pct}%。",
    "报告期内，{a}综合毛利率为 {pct}%，较上年同期基本持平。",
    "{p}累计出货量已超过 {n} 万片，同比增长 {pct}%。",
    "{a}{year} 年研发投入 {rev} 亿元，占营业收入的 {pct}%。",
]
FILLER = [
    "业内人士认为，随着人工智能应用的普及，相关市场需求将持续增长。",
    "IT之家了解到，该项目从立项到落地仅用了不到一年时间。",
    "分析师指出，行业竞争日趋激烈，企业需要在技术和成本之间找到平衡。",
    "目前，相关产品已经在互联网、金融、能源等多个领域实现规模化应用。",
    "公司表示，未来将继续加大研发投入，提升核心竞争力。",
    "据介绍，新产品在性能和能效方面均有明显提升。",
    "此次合作标志着双方在产业链上下游的协同进一步加深。",
    "受全球供应链波动影响，部分原材料价格出现上涨。",
    "多位专家在会上就产业发展趋势进行了深入交流。",
    "该消息发布后，资本市场反应积极，相关板块普遍上涨。",
]
CATEGORIES = ["新媒体", "IT 之家", "分类资讯", "智能时代", "业界资讯", "科技前沿", "汽车之家", "手机通讯"]
TITLES = [
    "{a} {year} 年营收 {rev} 亿元同比增长 {pct}%",
    "{a}发布{p}，{b}成为首批客户",
    "{a}在{city}新建基地正式投产",
    "{a}与{b}达成战略合作",
    "{p}出货量突破 {n} 万片",
]


def _fill(rng: random.Random, names: Names, template: str) -> str:
    p, dev = rng.choice(names.products)
    a = dev if "{p}" in template and rng.random() < 0.9 else rng.choice(names.companies)
    b, c = rng.sample(names.companies, 2)
    return template.format(
        a=a, b=b, c=c, p=p, city=rng.choice(names.cities), prov=rng.choice(names.provinces),
        year=rng.randint(2018, 2023), rev=f"{rng.uniform(0.5, 900):.2f}", pct=f"{rng.uniform(0.5, 120):.2f}",
        n=rng.randint(2, 500),
    )


#: sentence kinds (customer, develops, sites, figures, filler), weighted so that the posts are as
#: dense in facts as real ones: measured with `kg build` on ../shared/dev/docs and tests/heldout
#: (31 real posts), see benchmarks/README.md, "Corpus". ``DENSE`` is the first version's mix,
#: about 2.2x denser in quads per character than real posts.
REALISTIC = (3, 2, 2, 3, 28)
DENSE = (3, 2, 2, 3, 4)


def post(rng: random.Random, names: Names, n: int, weights: tuple[int, ...] = REALISTIC) -> tuple[str, str]:
    """(file name, file text) of the n-th post."""
    day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
    title = _fill(rng, names, rng.choice(TITLES))
    image = f"https://img.ithome.com/newsuploadfiles/{day.year}/{day.month}/{rng.getrandbits(64):016x}.png"
    cats = rng.sample(CATEGORIES, rng.randint(1, 3))
    stamp = dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    front = ["---", f"title: '{title}'", "categories: ", *[f" - {c}" for c in cats],
             f"headimg: '{image}'", "author: IT 之家", "comments: false",
             f"date: {stamp.strftime('%a, %d %b %Y %H:%M:%S')} GMT", f"thumbnail: '{image}'", "---", ""]
    paragraphs = []
    for _ in range(rng.randint(8, 16)):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            pool = rng.choices([CUSTOMER, DEVELOPS, SITES, FIGURES, FILLER], weights=weights)[0]
            sentences.append(_fill(rng, names, rng.choice(pool)))
        paragraphs.append(f'<p data-vmark="{rng.getrandbits(16):04x}">{"".join(sentences)}</p>')
        if rng.random() < 0.1:
            paragraphs.append(f'<p style="text-align: center;" data-vmark="{rng.getrandbits(16):04x}">'
                              f'<img src="{image}" w="675" h="450" title="{title}" width="675" height="450"></p>')
    body = "<div>   \n" + "".join(paragraphs) + "\n</div>\n"
    return f"{day.isoformat()}_{n:06d}.md", "\n".join(front) + body


def generate(count: int, out_dir: Path, seed: int = 7, *, dense: bool = False) -> list[Path]:
    """Write ``count`` posts into ``out_dir``; returns their paths."""
    names = Names()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(count):
        rng = random.Random(f"{seed}:{n}")  # per-post seeds: post n is the same in every corpus size
        name, text = post(rng, names, n, DENSE if dense else REALISTIC)
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dense", action="store_true", help="the first version's mix: ~2.2x denser in facts than real posts")
    args = parser.parse_args(argv)
    paths = generate(args.count, args.out_dir, args.seed, dense=args.dense)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} posts ({size / 1e6:.1f} MB) to {args.out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
