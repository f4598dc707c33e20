"""Exports of the NetworkX views (:mod:`kg.graphview`) for Gephi and other tools.

Formats (``export(graph, fmt, path, view=...)`` or ``kg export --format FMT --view VIEW OUT``):

* ``gexf``: GEXF 1.3, written with lxml so that it validates against the official XSD. Nodes
  are coloured by kind (``viz:color``), sized by degree (``viz:size``) and placed by a seeded
  spring layout (``viz:position``, graphs up to :data:`LAYOUT_MAX_NODES` nodes). When the
  documents have dates the graph is ``mode="dynamic"`` with ``timeformat="date"``: every node
  and edge has a ``start`` (the first article that mentions or supports it), so Gephi's timeline
  replays how the network grew.
* ``graphml``: GraphML with typed keys (``int``/``double``/``boolean``/``string``).
* ``json``: networkx node-link JSON (keys ``nodes`` and ``edges``).
* ``csv``: two tables for Gephi's spreadsheet import (Data Laboratory → Import Spreadsheet):
  ``<OUT>_nodes.csv`` (``Id``, ``Label``, ``kind``, …) and ``<OUT>_edges.csv`` (``Source``,
  ``Target``, ``Type``, ``Weight``, ``Label``, ``relation``, …); a trailing ``.csv`` of OUT is
  dropped, and when OUT is a folder the files are ``OUT/nodes.csv`` and ``OUT/edges.csv``.
* ``png``: a picture (matplotlib, Agg) with nodes coloured by kind, a legend and the Chinese
  labels drawn with a CJK font (Debian: ``fonts-wqy-microhei``).

Every file is written atomically.

Example:
    >>> export(kg.build(["seeds/"]), "gexf", "out/seed.gexf", view="co-mention")  # doctest: +SKIP
    [PosixPath('out/seed.gexf')]
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from pathlib import Path

import networkx as nx
from lxml import etree

from .errors import ConfigError, InputError
from .graphview import EDGE_RESERVED, RESERVED, edge_time, node_time
from .store import atomic_write

FORMATS = ("gexf", "graphml", "json", "csv", "png")
SUFFIXES = {".gexf": "gexf", ".graphml": "graphml", ".json": "json", ".csv": "csv", ".png": "png"}
GEXF_NS = "http://gexf.net/1.3"
VIZ_NS = "http://gexf.net/1.3/viz"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GEXF_SCHEMA_LOCATION = "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd"
#: node colours by kind (matplotlib's tab10), shared by the GEXF and PNG exports
KIND_COLORS = {
    "Company": (31, 119, 180),
    "Product": (255, 127, 14),
    "Site": (44, 160, 44),
    "Document": (127, 127, 127),
}
OTHER_COLOR = (148, 103, 189)
LAYOUT_MAX_NODES = 500  # above this spring_layout needs scipy and Gephi lays out better anyway
LAYOUT_SEED = 42
#: fonts that draw Simplified Chinese, by family name, then by file (the matplotlib font cache may
#: predate the font's installation)
CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "Source Han Sans CN", "Droid Sans Fallback", "AR PL UMing CN",
                "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
CJK_PACKAGE = "fonts-wqy-microhei"


# -- shared helpers --------------------------------------------------------------------------


def _view_graph(graph, view: str) -> nx.Graph:
    """``graph`` itself when it is already a networkx graph, else its ``view``."""
    return graph if isinstance(graph, nx.Graph) else graph.to_networkx(view=view)


def kind_color(kind: str | None) -> tuple[int, int, int]:
    """The RGB colour of a node kind: ``kind_color("Company")`` → ``(31, 119, 180)``."""
    return KIND_COLORS.get(kind or "", OTHER_COLOR)


def node_sizes(G: nx.Graph, smallest: float = 5.0, largest: float = 30.0) -> dict[str, float]:
    """Node sizes from ``smallest`` to ``largest``, growing with the square root of the degree."""
    degrees = dict(G.degree())
    top = max(degrees.values(), default=0) or 1
    return {n: round(smallest + (largest - smallest) * math.sqrt(d / top), 2) for n, d in degrees.items()}


def layout(G: nx.Graph, seed: int = LAYOUT_SEED) -> dict[str, tuple[float, float]]:
    """A deterministic spring layout in [-1, 1]², nodes visited in sorted order."""
    H = nx.Graph()
    H.add_nodes_from(sorted(G.nodes))
    H.add_edges_from((u, v) for u, v in G.edges() if u != v)
    if len(H) == 0:
        return {}
    k = 2.0 / math.sqrt(len(H))  # more room than the default 1/sqrt(n): labels need it
    pos = nx.spring_layout(H, seed=seed, k=k, iterations=100)
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


def gexf_date(value: str | None) -> str | None:
    """``value`` as an ``xs:date`` for GEXF's timeline (``2022-04-16T08:00:00`` → ``2022-04-16``),
    or ``None`` when it is not a date."""
    if value and re.match(r"\d{4}-\d{2}-\d{2}($|[T ])", value):
        return value[:10]
    return None


def _value_type(values: list) -> str:
    """The GEXF attribute type of a column: boolean, integer, double or string."""
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "double"
    return "string"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_attribute_names(G: nx.Graph) -> None:
    """Raise :class:`ValueError` when a node or edge attribute uses a GEXF-reserved name
    other than ``label`` and ``weight`` (the only ones the views use, with their GEXF meaning)."""
    for n, attrs in G.nodes(data=True):
        bad = (set(attrs) & RESERVED) - {"label"}
        if bad:
            raise ValueError(f"node {n} has attributes with GEXF-reserved names: {sorted(bad)}")
    for u, v, attrs in G.edges(data=True):
        bad = (set(attrs) & EDGE_RESERVED) - {"label", "weight"}
        if bad:
            raise ValueError(f"edge {u} → {v} has attributes with GEXF-reserved names: {sorted(bad)}")


# -- GEXF ------------------------------------------------------------------------------------


def _declare(parent, cls: str, items: list[dict], skip: set[str]) -> dict[str, str]:
    """Write ``<attributes class=cls>`` for the columns of ``items``; return name → type."""
    columns: dict[str, list] = {}
    for attrs in items:
        for k, v in attrs.items():
            if k not in skip:
                columns.setdefault(k, []).append(v)
    types = {k: _value_type(vs) for k, vs in sorted(columns.items())}
    if types:
        el = etree.SubElement(parent, f"{{{GEXF_NS}}}attributes", {"class": cls, "mode": "static"})
        for name, typ in types.items():
            etree.SubElement(el, f"{{{GEXF_NS}}}attribute", id=name, title=name, type=typ)
    return types


def _attvalues(parent, attrs: dict, types: dict[str, str]) -> None:
    present = [k for k in types if k in attrs]
    if present:
        el = etree.SubElement(parent, f"{{{GEXF_NS}}}attvalues")
        for k in present:
            etree.SubElement(el, f"{{{GEXF_NS}}}attvalue", {"for": k, "value": _text(attrs[k])})


def gexf_bytes(G: nx.Graph, *, dynamic: bool = True, positions: bool = True) -> bytes:
    """GEXF 1.3 of ``G`` (see the module docstring); valid against the official XSD.

    ``dynamic=False`` leaves out the timeline; ``positions=False`` the spring layout.
    """
    check_attribute_names(G)
    nodes = sorted(G.nodes(data=True), key=lambda item: item[0])
    edges = sorted(G.edges(keys=True, data=True) if G.is_multigraph() else
                   ((u, v, None, d) for u, v, d in G.edges(data=True)),
                   key=lambda e: (e[0], e[1], str(e[2])))
    times = [t for _, d in nodes if (t := gexf_date(node_time(d)))] + \
        [t for *_, d in edges if (t := gexf_date(edge_time(d)))]
    dynamic = dynamic and bool(times)

    root = etree.Element(f"{{{GEXF_NS}}}gexf", nsmap={None: GEXF_NS, "viz": VIZ_NS, "xsi": XSI_NS},
                         version="1.3")
    root.set(f"{{{XSI_NS}}}schemaLocation", GEXF_SCHEMA_LOCATION)
    meta = etree.SubElement(root, f"{{{GEXF_NS}}}meta")
    if times:  # the newest article, not today: the same graph always gives the same file
        meta.set("lastmodifieddate", max(times))
    etree.SubElement(meta, f"{{{GEXF_NS}}}creator").text = "kg"
    view = G.graph.get("view")
    etree.SubElement(meta, f"{{{GEXF_NS}}}description").text = (
        f"kg knowledge graph, {view} view" if view else "kg knowledge graph")

    graph_el = etree.SubElement(root, f"{{{GEXF_NS}}}graph",
                                defaultedgetype="directed" if G.is_directed() else "undirected")
    if dynamic:
        graph_el.set("mode", "dynamic")
        graph_el.set("timeformat", "date")
        graph_el.set("timerepresentation", "interval")
    else:
        graph_el.set("mode", "static")
    node_types = _declare(graph_el, "node", [d for _, d in nodes], {"label"})
    edge_types = _declare(graph_el, "edge", [d for *_, d in edges], {"label", "weight"})

    sizes = node_sizes(G)
    pos = layout(G) if positions and len(G) <= LAYOUT_MAX_NODES else {}
    nodes_el = etree.SubElement(graph_el, f"{{{GEXF_NS}}}nodes", count=str(len(nodes)))
    for n, d in nodes:
        el = etree.SubElement(nodes_el, f"{{{GEXF_NS}}}node", id=str(n), label=str(d.get("label", n)))
        if dynamic and (t := gexf_date(node_time(d))):
            el.set("start", t)
        _attvalues(el, d, node_types)
        r, g, b = kind_color(d.get("kind"))
        etree.SubElement(el, f"{{{VIZ_NS}}}color", r=str(r), g=str(g), b=str(b))
        etree.SubElement(el, f"{{{VIZ_NS}}}size", value=str(sizes[n]))
        if n in pos:
            x, y = pos[n]
            etree.SubElement(el, f"{{{VIZ_NS}}}position", x=f"{x * 1000:.2f}", y=f"{y * 1000:.2f}")

    edges_el = etree.SubElement(graph_el, f"{{{GEXF_NS}}}edges", count=str(len(edges)))
    for i, (u, v, key, d) in enumerate(edges):
        el = etree.SubElement(edges_el, f"{{{GEXF_NS}}}edge", id=str(i), source=str(u), target=str(v))
        if key is not None:
            el.set("kind", str(key))  # GEXF's parallel-edge kind: Gephi keeps one edge per relation
        if "label" in d:
            el.set("label", str(d["label"]))
        if "weight" in d:
            el.set("weight", _text(d["weight"]))
        if dynamic and (t := gexf_date(edge_time(d))):
            el.set("start", t)
        _attvalues(el, d, edge_types)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_gexf(graph, path: str | os.PathLike[str], *, view: str = "entities", dynamic: bool = True) -> Path:
    """Write the ``view`` of ``graph`` as GEXF 1.3 to ``path`` (atomically)."""
    path = Path(path)
    atomic_write(path, gexf_bytes(_view_graph(graph, view), dynamic=dynamic))
    return path


# -- GraphML, JSON, CSV ----------------------------------------------------------------------


def write_graphml(graph, path: str | os.PathLike[str], *, view: str = "entities") -> Path:
    """Write the ``view`` of ``graph`` as GraphML with typed keys."""
    G = _view_graph(graph, view)
    check_attribute_names(G)
    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8", prettyprint=True)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def node_link(G: nx.Graph) -> dict:
    """networkx node-link data with the edge list under ``edges`` (explicitly, whatever the
    networkx version's default)."""
    try:
        return nx.node_link_data(G, edges="edges")
    except TypeError:  # networkx < 3.4 calls the argument ``link``
        return nx.node_link_data(G, link="edges")


def write_json(graph, path: str | os.PathLike[str], *, view: str = "entities") -> Path:
    """Write the ``view`` of ``graph`` as node-link JSON (UTF-8, Chinese unescaped)."""
    G = _view_graph(graph, view)
    path = Path(path)
    text = json.dumps(node_link(G), ensure_ascii=False, indent=2, sort_keys=True)
    atomic_write(path, (text + "\n").encode("utf-8"))
    return path


def csv_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Where :func:`write_csv` writes: ``x.csv`` or ``x`` → ``x_nodes.csv``, ``x_edges.csv``;
    an existing folder (or a path ending in ``/``) → ``folder/nodes.csv``, ``folder/edges.csv``."""
    raw = os.fspath(path)
    p = Path(raw)
    if p.is_dir() or raw.endswith(("/", os.sep)):
        return p / "nodes.csv", p / "edges.csv"
    stem = p.name[:-4] if p.name.lower().endswith(".csv") else p.name
    return p.with_name(f"{stem}_nodes.csv"), p.with_name(f"{stem}_edges.csv")


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _text(v) for v in row])
    return buf.getvalue().encode("utf-8")


def csv_tables(G: nx.Graph) -> tuple[tuple[list[str], list[list]], tuple[list[str], list[list]]]:
    """The node and edge tables (header, rows) of :func:`write_csv`."""
    nodes = sorted(G.nodes(data=True), key=lambda item: item[0])
    extra = sorted({k for _, d in nodes for k in d} - {"label", "kind"})
    node_header = ["Id", "Label", "kind", *extra]
    node_rows = [[n, d.get("label", n), d.get("kind"), *(d.get(k) for k in extra)] for n, d in nodes]

    edges = sorted(((u, v, d) for u, v, d in G.edges(data=True)),
                   key=lambda e: (e[0], e[1], str(e[2].get("label", ""))))
    extra = sorted({k for *_, d in edges for k in d} - {"label", "weight", "relation"})
    edge_header = ["Source", "Target", "Type", "Weight", "Label", "relation", *extra]
    kind = "Directed" if G.is_directed() else "Undirected"
    edge_rows = [[u, v, kind, d.get("weight", 1), d.get("label"), d.get("relation"), *(d.get(k) for k in extra)]
                 for u, v, d in edges]
    return (node_header, node_rows), (edge_header, edge_rows)


def write_csv(graph, path: str | os.PathLike[str], *, view: str = "entities") -> tuple[Path, Path]:
    """Write the node and edge tables of the ``view`` for Gephi's spreadsheet import."""
    G = _view_graph(graph, view)
    (nh, nr), (eh, er) = csv_tables(G)
    nodes_path, edges_path = csv_paths(path)
    atomic_write(nodes_path, _csv_bytes(nh, nr))
    atomic_write(edges_path, _csv_bytes(eh, er))
    return nodes_path, edges_path


# -- PNG -------------------------------------------------------------------------------------


def _draws_chinese(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(c)) for c in "中国芯片")


def cjk_font(path: str | os.PathLike[str] | None = None) -> Path:
    """A font file that draws Simplified Chinese: ``path`` if given, else an installed one.

    Raises :class:`~kg.errors.ConfigError` naming the Debian package when there is none.
    """
    from matplotlib import font_manager

    if path is not None:
        if not Path(path).is_file() or not _draws_chinese(str(path)):
            raise ConfigError(f"font {path} does not exist or cannot draw Chinese; "
                              f"install {CJK_PACKAGE} (apt-get install {CJK_PACKAGE}) or pass another font")
        return Path(path)
    by_family = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    candidates = [by_family[f] for f in CJK_FAMILIES if f in by_family] + list(CJK_FILES)
    for candidate in candidates:
        if Path(candidate).is_file() and _draws_chinese(candidate):
            return Path(candidate)
    raise ConfigError(f"no font that can draw the Chinese labels of the PNG export is installed: "
                      f"install the Debian package {CJK_PACKAGE} (apt-get install {CJK_PACKAGE}, "
                      f"or bash .ci/setup.d/20-export.sh) or pass font=PATH")


def png_bytes(G: nx.Graph, *, width: int = 1600, height: int = 1200, dpi: int = 100,
              max_nodes: int = 80, font: str | os.PathLike[str] | None = None, title: str | None = None) -> bytes:
    """A PNG picture of ``G``, ``width`` × ``height`` pixels (see the module docstring).

    Only the ``max_nodes`` best-connected nodes are drawn, and no isolated node when there are
    edges, so that labels stay readable; edge labels only when there are at most 40 edges.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    font_path = str(cjk_font(font))
    fontprops = FontProperties(fname=font_path, size=12)
    shown = len(G)
    if G.number_of_edges():
        G = G.subgraph([n for n in G.nodes if G.degree(n)])
    if len(G) > max_nodes:
        keep = sorted(G.nodes, key=lambda n: (-G.degree(n), n))[:max_nodes]
        G = G.subgraph(keep)
    pos = layout(G)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.90))
    ax.set_axis_off()
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.15, 1.15)

    weights = [float(d.get("weight", 1)) for *_, d in G.edges(data=True)]
    top = max(weights, default=1.0)
    for (u, v, d) in G.edges(data=True):
        if u == v:
            continue
        lw = 0.3 + 3.5 * float(d.get("weight", 1)) / top
        style = "-|>" if G.is_directed() else "-"
        ax.annotate("", xy=pos[v], xytext=pos[u], zorder=1,
                    arrowprops=dict(arrowstyle=style, color="#9a9a9a", lw=lw, alpha=0.5,
                                    shrinkA=12, shrinkB=12, mutation_scale=14))
        if G.is_directed() and d.get("label") and G.number_of_edges() <= 40:
            mx, my = (pos[u][0] + pos[v][0]) / 2, (pos[u][1] + pos[v][1]) / 2
            ax.text(mx, my, d["label"], fontsize=9, color="#444444", ha="center", va="center", zorder=2)

    nodes = sorted(G.nodes)
    sizes = node_sizes(G, smallest=16.0, largest=36.0)
    xs = [pos[n][0] for n in nodes]
    ys = [pos[n][1] for n in nodes]
    colors = [tuple(c / 255 for c in kind_color(G.nodes[n].get("kind"))) for n in nodes]
    ax.scatter(xs, ys, s=[sizes[n] ** 2 for n in nodes], c=colors, edgecolors="white", linewidths=1.0, zorder=3)
    for n in nodes:
        label = str(G.nodes[n].get("label", n))
        if len(label) > 18:
            label = label[:17] + "…"
        ax.text(pos[n][0], pos[n][1] - 0.05, label, fontproperties=fontprops,
                ha="center", va="top", zorder=4,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))

    kinds = sorted({G.nodes[n].get("kind") or "other" for n in nodes})
    handles = [Patch(facecolor=tuple(c / 255 for c in kind_color(k)), edgecolor="none", label=k) for k in kinds]
    if handles:
        ax.legend(handles=handles, loc="upper right", frameon=False, prop=FontProperties(fname=font_path, size=14))
    heading = title or f"kg · {G.graph.get('view', 'graph')} view · {shown} nodes, {G.number_of_edges()} edges"
    if shown > len(G):
        heading += f" (the {len(G)} best connected shown)"
    fig.suptitle(heading, fontproperties=FontProperties(fname=font_path, size=16))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


def write_png(graph, path: str | os.PathLike[str], *, view: str = "entities", **options) -> Path:
    """Write a PNG picture of the ``view`` of ``graph``; ``options`` go to :func:`png_bytes`."""
    path = Path(path)
    atomic_write(path, png_bytes(_view_graph(graph, view), **options))
    return path


# -- entry point -----------------------------------------------------------------------------


def format_of(path: str | os.PathLike[str]) -> str:
    """The export format a file name asks for: ``graph.gexf`` → ``gexf``."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"cannot tell the export format of {path}: give one of {', '.join(FORMATS)}")
    return SUFFIXES[suffix]


def export(graph, fmt: str | None, path: str | os.PathLike[str], *, view: str = "entities", **options) -> list[Path]:
    """Export the ``view`` of ``graph`` (a KnowledgeGraph or a networkx graph) as ``fmt``
    (``None``: from the suffix of ``path``) and return the files written.

    Example:
        >>> export(g, "csv", "out/seed", view="entities")       # doctest: +SKIP
        [PosixPath('out/seed_nodes.csv'), PosixPath('out/seed_edges.csv')]
    """
    fmt = fmt or format_of(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    G = _view_graph(graph, view)
    if fmt == "gexf":
        return [write_gexf(G, path, **options)]
    if fmt == "graphml":
        return [write_graphml(G, path)]
    if fmt == "json":
        return [write_json(G, path)]
    if fmt == "csv":
        return list(write_csv(G, path))
    return [write_png(G, path, **options)]
