"""Exports (kg/export.py, `kg export`): GEXF 1.3 against the official XSD and graphology-gexf,
GraphML, node-link JSON, CSV tables for Gephi and the PNG picture."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from lxml import etree

from kg.cli import main
from kg.errors import ConfigError, InputError
from kg.export import (CJK_FILES, CJK_PACKAGE, GEXF_NS, KIND_COLORS, VIZ_NS, XSI_NS, check_attribute_names,
                       cjk_font, csv_paths, export, gexf_bytes, gexf_date)
from kg.graphview import EDGE_RESERVED, RESERVED

from .conftest import REPO, SHARED, require_tool
from .test_graphview import CAMBRICON, CMB, KUNSHAN, SIYUAN, TSMC, two_docs  # noqa: F401 (fixture)

XSD = SHARED / "vendor" / "gexf" / "1.3" / "gexf.xsd"
NODE_MODULES = REPO / "tests" / ".node" / "gexf" / "node_modules"
VIZ_NAMES = {"color", "position", "size", "shape", "thickness"}
SAFE = dict(resolve_entities=False, no_network=True)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(**SAFE))


@pytest.fixture(scope="module")
def gexf_schema() -> etree.XMLSchema:
    if not XSD.is_file():
        pytest.skip(f"{XSD} is not there (../shared/vendor/gexf)")
    return etree.XMLSchema(etree.parse(str(XSD), etree.XMLParser(**SAFE)))


def viz_problems(data: bytes) -> list[str]:
    """What is wrong with the viz elements of a GEXF file: they must be in the viz namespace with
    the literal prefix ``viz:`` (the XSD cannot check this, see ../shared/vendor/gexf/README.md)."""
    problems = []
    for el in parse(data).iter():
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace == GEXF_NS and q.localname in VIZ_NAMES:
            problems.append(f"<{q.localname}> in the main namespace")
        if q.namespace == VIZ_NS and el.prefix != "viz":
            problems.append(f"<{q.localname}> with prefix {el.prefix!r}")
    return problems


def xsd_errors(schema: etree.XMLSchema, data: bytes) -> list[str]:
    """Validate a copy in which the viz elements are moved into the main namespace (the XSD's flaw)."""
    root = parse(data)
    for el in root.iter(f"{{{VIZ_NS}}}*"):
        el.tag = f"{{{GEXF_NS}}}{etree.QName(el).localname}"
    etree.cleanup_namespaces(root)
    schema.validate(root)
    return [str(e) for e in schema.error_log]


@pytest.fixture(scope="module")
def seed_graph(seed_build):
    return seed_build[0]


# -- GEXF: schema, namespaces, timeline ------------------------------------------------------


@pytest.mark.parametrize("view", ["entities", "co-mention", "bipartite"])
def test_export_seed_gexf_validates_against_the_xsd(seed_graph, gexf_schema, view, tmp_path):
    path = export(seed_graph, "gexf", tmp_path / "seed.gexf", view=view)[0]
    data = path.read_bytes()
    assert xsd_errors(gexf_schema, data) == []
    assert viz_problems(data) == []
    root = parse(data)
    assert root.nsmap == {None: GEXF_NS, "viz": VIZ_NS, "xsi": XSI_NS}
    assert b"<viz:color " in data and b"<viz:size " in data and b"<viz:position " in data
    graph = root.find(f"{{{GEXF_NS}}}graph")
    assert "name" not in graph.attrib
    assert len(graph.findall(f".//{{{GEXF_NS}}}node")) == len(seed_graph.to_networkx(view=view))


def test_export_gexf_validates_for_the_two_document_fixture(two_docs, gexf_schema):
    for view in ("entities", "co-mention", "bipartite"):
        data = gexf_bytes(two_docs.to_networkx(view=view))
        assert xsd_errors(gexf_schema, data) == [], view
        assert viz_problems(data) == [], view


def test_export_xsd_check_can_fail(two_docs, gexf_schema):
    # networkx's own writer puts name="" on <graph>, which the XSD rejects: why we write GEXF ourselves
    G = two_docs.to_networkx()
    data = "\n".join(nx.generate_gexf(G, version="1.3")).encode()
    assert any("name" in e for e in xsd_errors(gexf_schema, data))
    # and viz elements really in the main namespace are caught even though the XSD accepts them
    ours = gexf_bytes(G).replace(b"<viz:color", b"<color")
    assert xsd_errors(gexf_schema, ours) == []
    assert viz_problems(ours) and "main namespace" in viz_problems(ours)[0]


def test_export_gexf_is_dynamic_with_the_articles_dates(two_docs):
    root = parse(gexf_bytes(two_docs.to_networkx()))
    graph = root.find(f"{{{GEXF_NS}}}graph")
    assert (graph.get("mode"), graph.get("timeformat"), graph.get("defaultedgetype")) == ("dynamic", "date", "directed")
    starts = {n.get("id"): n.get("start") for n in graph.iter(f"{{{GEXF_NS}}}node")}
    assert starts == {CAMBRICON: "2022-04-16", CMB: "2022-04-16", SIYUAN: "2022-04-16",
                      TSMC: "2022-09-01", KUNSHAN: "2022-09-01"}
    edges = {(e.get("source"), e.get("label")): e for e in graph.iter(f"{{{GEXF_NS}}}edge")}
    assert edges[(CAMBRICON, "develops")].get("start") == "2022-04-16"
    assert edges[(CAMBRICON, "develops")].get("weight") == "2"
    assert edges[(TSMC, "manufactures")].get("start") == "2022-09-01"
    assert edges[(CAMBRICON, "operatesAt")].get("kind") == "operatesAt"
    assert root.find(f"{{{GEXF_NS}}}meta").get("lastmodifieddate") == "2022-09-01"
    static = parse(gexf_bytes(two_docs.to_networkx(), dynamic=False)).find(f"{{{GEXF_NS}}}graph")
    assert static.get("mode") == "static" and static.get("timeformat") is None


def test_export_gexf_colours_and_sizes(two_docs):
    root = parse(gexf_bytes(two_docs.to_networkx(view="co-mention")))
    colour, size = {}, {}
    for node in root.iter(f"{{{GEXF_NS}}}node"):
        c = node.find(f"{{{VIZ_NS}}}color")
        colour[node.get("id")] = tuple(int(c.get(k)) for k in "rgb")
        size[node.get("id")] = float(node.find(f"{{{VIZ_NS}}}size").get("value"))
    assert colour[CAMBRICON] == colour[TSMC] == KIND_COLORS["Company"]
    assert colour[SIYUAN] == KIND_COLORS["Product"] and colour[KUNSHAN] == KIND_COLORS["Site"]
    assert size[CAMBRICON] > size[CMB]  # degree 4 against 2


def test_export_gexf_declares_no_reserved_attribute(two_docs):
    for view in ("entities", "co-mention", "bipartite"):
        root = parse(gexf_bytes(two_docs.to_networkx(view=view)))
        for decl in root.iter(f"{{{GEXF_NS}}}attributes"):
            names = {a.get("title") for a in decl}
            assert names and not names & (EDGE_RESERVED if decl.get("class") == "edge" else RESERVED), names


@pytest.mark.parametrize("name, where", [("type", "node"), ("start", "node"), ("id", "edge"), ("kind", "edge")])
def test_export_rejects_reserved_attribute_names(name, where):
    G = nx.Graph()
    G.add_node("a", label="a")
    G.add_edge("a", "b")
    if where == "node":
        G.nodes["a"][name] = "x"
    else:
        G.edges["a", "b"][name] = "x"
    with pytest.raises(ValueError, match=name):
        check_attribute_names(G)


@pytest.mark.parametrize("value, expected", [
    ("2022-04-16", "2022-04-16"), ("2022-04-16T08:00:00+08:00", "2022-04-16"), ("2022-4-16", None), ("", None),
])
def test_export_gexf_timeline_takes_only_dates(value, expected):
    assert gexf_date(value) == expected
    G = nx.Graph()
    G.add_node("a", label="a", kind="Company", first_seen=value)
    graph = parse(gexf_bytes(G)).find(f"{{{GEXF_NS}}}graph")
    assert graph.get("mode") == ("dynamic" if expected else "static")
    assert graph.find(f".//{{{GEXF_NS}}}node").get("start") == expected


def test_export_gexf_is_deterministic(two_docs):
    assert gexf_bytes(two_docs.to_networkx()) == gexf_bytes(two_docs.to_networkx())


# -- GEXF read by graphology (Gephi Lite's parser) and by networkx ------------------------------


def graphology(path: Path) -> dict:
    node = require_tool("node", "Node.js reads the GEXF with graphology-gexf")
    require_tool(str(NODE_MODULES / "graphology-gexf"), "npm install by .ci/setup.d/20-export.sh")
    proc = subprocess.run([node, str(REPO / "tests" / "gexf_check.mjs"), str(NODE_MODULES), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("view", ["entities", "co-mention", "bipartite"])
def test_export_graphology_reads_the_gexf_like_networkx(two_docs, view, tmp_path):
    G = two_docs.to_networkx(view=view)
    got = graphology(export(G, "gexf", tmp_path / "g.gexf")[0])
    assert (got["order"], got["size"]) == (len(G), G.number_of_edges())
    assert got["type"] == ("directed" if G.is_directed() else "undirected")
    for n, d in G.nodes(data=True):
        js = got["nodes"][n]
        assert js["label"] == d["label"] and js["kind"] == d["kind"]
        assert js["color"] == "rgb({},{},{})".format(*KIND_COLORS[d["kind"]])
        assert js["size"] > 0 and "x" in js and "y" in js
        for k, v in d.items():
            assert js[k] == v, (n, k)
    edges = {(e["source"], e["target"], e.get("label")): e for e in got["edges"]}
    for u, v, d in G.edges(data=True):
        key = (u, v, d.get("label"))
        if not G.is_directed() and key not in edges:
            key = (v, u, d.get("label"))
        assert edges[key]["weight"] == d["weight"]


def test_export_graphology_reads_the_seed_gexf(seed_graph, tmp_path):
    G = seed_graph.to_networkx(view="co-mention")
    got = graphology(export(seed_graph, "gexf", tmp_path / "seed.gexf", view="co-mention")[0])
    assert (got["order"], got["size"]) == (len(G), G.number_of_edges())
    assert got["nodes"][CAMBRICON]["label"] == "寒武纪"
    assert got["nodes"][CAMBRICON]["color"] == "rgb(31,119,180)"
    assert {d["label"] for d in got["nodes"].values()} == {d["label"] for _, d in G.nodes(data=True)}


@pytest.mark.parametrize("view", ["entities", "co-mention", "bipartite"])
def test_export_gexf_round_trips_through_networkx(two_docs, view, tmp_path):
    G = two_docs.to_networkx(view=view)
    H = nx.read_gexf(export(G, "gexf", tmp_path / "g.gexf")[0], version="1.3")
    assert set(H.nodes) == set(G.nodes)
    for n, d in G.nodes(data=True):
        back = H.nodes[n]
        assert {k: back[k] for k in d} == d  # same values and types (bool stays bool, int stays int)
        assert back["viz"]["color"]["r"] == KIND_COLORS[d["kind"]][0]
        assert back["start"] == G.nodes[n].get("first_seen", G.nodes[n].get("date"))
    want = sorted((u, v, d.get("label", ""), d["weight"]) for u, v, d in G.edges(data=True))
    if not G.is_directed():
        want = sorted((*sorted((u, v)), lab, w) for u, v, lab, w in want)
    got = sorted((u, v, d.get("label", ""), int(d["weight"])) for u, v, d in H.edges(data=True))
    if not G.is_directed():
        got = sorted((*sorted((u, v)), lab, w) for u, v, lab, w in got)
    assert got == want
    for u, v, d in H.edges(data=True):
        if "documents" in d:
            assert isinstance(d["documents"], int)


# -- GraphML, JSON, CSV ----------------------------------------------------------------------


def test_export_graphml_round_trips_with_typed_keys(two_docs, tmp_path):
    G = two_docs.to_networkx(view="entities")
    path = export(G, "graphml", tmp_path / "g.graphml")[0]
    root = parse(path.read_bytes())
    ns = "{http://graphml.graphdrawing.org/xmlns}"
    types = {(k.get("for"), k.get("attr.name")): k.get("attr.type") for k in root.iter(f"{ns}key")}
    assert types[("node", "label")] == "string"
    assert types[("node", "documents")] in {"int", "long"}
    assert types[("node", "customer")] == "boolean"
    assert types[("edge", "weight")] in {"int", "long"}
    assert types[("edge", "relation")] == "string"
    H = nx.read_graphml(path, force_multigraph=True)
    assert isinstance(H, nx.MultiDiGraph)
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert sorted((u, v, k, tuple(sorted(d.items()))) for u, v, k, d in H.edges(keys=True, data=True)) == \
        sorted((u, v, k, tuple(sorted(d.items()))) for u, v, k, d in G.edges(keys=True, data=True))


def test_export_graphml_typed_double(tmp_path):
    G = nx.Graph(view="x")
    G.add_edge("a", "b", weight=0.5)
    root = parse(export(G, "graphml", tmp_path / "g.graphml")[0].read_bytes())
    assert [k.get("attr.type") for k in root.iter("{http://graphml.graphdrawing.org/xmlns}key")
            if k.get("attr.name") == "weight"] == ["double"]


def test_export_node_link_json(two_docs, tmp_path):
    G = two_docs.to_networkx(view="entities")
    data = json.loads(export(G, "json", tmp_path / "g.json")[0].read_text(encoding="utf-8"))
    assert set(data) >= {"nodes", "edges", "directed", "multigraph"} and "links" not in data
    assert data["directed"] is True and data["multigraph"] is True
    node = next(n for n in data["nodes"] if n["id"] == CAMBRICON)
    assert node["label"] == "寒武纪" and node["documents"] == 2
    edge = next(e for e in data["edges"] if e["key"] == "hasCustomer")
    assert (edge["source"], edge["target"], edge["weight"]) == (CAMBRICON, CMB, 2)
    H = nx.node_link_graph(data, edges="edges")
    assert nx.utils.edges_equal(H.edges(keys=True, data=True), G.edges(keys=True, data=True))
    assert "寒武纪" in (tmp_path / "g.json").read_text(encoding="utf-8")  # not \\u-escaped


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_csv_tables_for_gephi(two_docs, tmp_path):
    nodes_path, edges_path = export(two_docs, "csv", tmp_path / "g.csv", view="entities")
    assert (nodes_path.name, edges_path.name) == ("g_nodes.csv", "g_edges.csv")
    header = nodes_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:3] == ["Id", "Label", "kind"] and "first_seen" in header
    nodes = {r["Id"]: r for r in _read_csv(nodes_path)}
    assert set(nodes) == {CAMBRICON, CMB, TSMC, SIYUAN, KUNSHAN}
    assert (nodes[CAMBRICON]["Label"], nodes[CAMBRICON]["kind"], nodes[CAMBRICON]["documents"]) == ("寒武纪", "Company", "2")
    assert nodes[CMB]["customer"] == "true"
    header = edges_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:6] == ["Source", "Target", "Type", "Weight", "Label", "relation"]
    edges = {(r["Source"], r["Target"], r["Label"]): r for r in _read_csv(edges_path)}
    assert len(edges) == 4
    e = edges[(CAMBRICON, CMB, "hasCustomer")]
    assert (e["Type"], e["Weight"], e["relation"], e["first_date"]) == (
        "Directed", "2", "https://w3id.org/kg-news/ontology#hasCustomer", "2022-04-16")


def test_export_csv_co_mention_is_undirected(two_docs, tmp_path):
    _, edges_path = export(two_docs, "csv", tmp_path / "cm", view="co-mention")
    rows = _read_csv(edges_path)
    assert edges_path.name == "cm_edges.csv" and len(rows) == 8
    assert {r["Type"] for r in rows} == {"Undirected"}
    row = next(r for r in rows if {r["Source"], r["Target"]} == {CAMBRICON, SIYUAN})
    assert (row["Weight"], row["documents"], row["sentences"]) == ("4", "2", "2")


@pytest.mark.parametrize("name, expected", [
    ("graph.csv", ("graph_nodes.csv", "graph_edges.csv")),
    ("graph", ("graph_nodes.csv", "graph_edges.csv")),
    ("graph.CSV", ("graph_nodes.csv", "graph_edges.csv")),
    ("folder/", ("folder/nodes.csv", "folder/edges.csv")),
])
def test_export_csv_paths(tmp_path, name, expected):
    nodes, edges = csv_paths(f"{tmp_path}/{name}")
    assert (str(nodes.relative_to(tmp_path)), str(edges.relative_to(tmp_path))) == expected


# -- PNG -------------------------------------------------------------------------------------


def _require_cjk_font() -> None:
    try:
        cjk_font()
    except ConfigError:
        require_tool(CJK_FILES[0], f"the Debian package {CJK_PACKAGE}, installed by .ci/setup.d/20-export.sh")


def _colour_pixels(path: Path) -> dict[str, int]:
    import numpy as np
    from matplotlib.image import imread

    img = (imread(str(path))[:, :, :3] * 255).round().astype(int)
    return {kind: int((np.abs(img - np.array(rgb)).max(axis=2) <= 2).sum()) for kind, rgb in KIND_COLORS.items()}


@pytest.mark.slow
def test_export_seed_png_size_and_kind_colours(seed_graph, tmp_path):
    _require_cjk_font()
    from matplotlib.image import imread

    path = export(seed_graph, "png", tmp_path / "seed.png", view="bipartite")[0]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(str(path)).shape[:2] == (1200, 1600)
    counts = _colour_pixels(path)
    for kind in ("Company", "Product", "Site", "Document"):
        assert counts[kind] > 200, (kind, counts)  # node discs and legend patches


def test_export_png_colours_follow_the_kinds_drawn(two_docs, tmp_path):
    _require_cjk_font()
    from matplotlib.image import imread

    G = two_docs.to_networkx(view="entities").subgraph([CAMBRICON, CMB])  # companies only
    path = export(G, "png", tmp_path / "c.png", width=800, height=600)[0]
    assert imread(str(path)).shape[:2] == (600, 800)
    counts = _colour_pixels(path)
    assert counts["Company"] > 200 and counts["Product"] == 0 and counts["Site"] == 0


def test_export_png_without_a_cjk_font_names_the_debian_package(two_docs, tmp_path, monkeypatch):
    import kg.export

    monkeypatch.setattr(kg.export, "_draws_chinese", lambda path: False)
    with pytest.raises(ConfigError, match=CJK_PACKAGE):
        export(two_docs, "png", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


# -- the kg export command and errors --------------------------------------------------------


def test_export_cli_writes_the_requested_format(two_docs, tmp_path):
    trig = two_docs.path
    out = tmp_path / "cm.json"
    result = CliRunner().invoke(main, ["export", "--format", "json", "--view", "co-mention",
                                       "--out-dir", str(trig), str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["nodes"]) == 5 and len(data["edges"]) == 8 and data["directed"] is False
    # the format follows the suffix when --format is not given
    result = CliRunner().invoke(main, ["export", "--out-dir", str(trig), str(tmp_path / "g.gexf")])
    assert result.exit_code == 0, result.output
    assert parse((tmp_path / "g.gexf").read_bytes()).get("version") == "1.3"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files left


@pytest.mark.parametrize("args", [
    ["--out-dir", "{tmp}/missing", "{tmp}/g.gexf"],   # no graph there
    ["--out-dir", "{trig}", "{tmp}/g.txt"],           # format unknown from the suffix
    ["--out-dir", "{trig}", "--view", "nope", "{tmp}/g.gexf"],
])
def test_export_cli_bad_input_exits_2(two_docs, tmp_path, args):
    args = [a.format(tmp=tmp_path, trig=two_docs.path) for a in args]
    result = CliRunner().invoke(main, ["export", *args])
    assert result.exit_code == 2, result.output


def test_export_unknown_format_is_an_input_error(two_docs, tmp_path):
    with pytest.raises(InputError, match="gexf"):
        export(two_docs, "svg", tmp_path / "g.svg")
