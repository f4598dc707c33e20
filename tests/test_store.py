"""Graph fragments joined into the four graph files, and store updates in one transaction."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.store import Fragment, fragments_of_quads, make_fragment, update_store, write_graph_files

E = "http://example.org/"


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(E + name)


def q(s: str, p: str, o, g: str) -> ox.Quad:
    return ox.Quad(n(s), n(p), o if isinstance(o, ox.Literal) else n(o), n(g))


# two document graphs that both state "acme supplies beta"; each also says something of its own
GRAPHS = [
    [q("doc1", "says", ox.Literal("一"), "g1"), q("acme", "supplies", "beta", "g1")],
    [q("doc2", "says", ox.Literal("二", language="zh"), "g2"), q("acme", "supplies", "beta", "g2")],
]


def _local(quad: ox.Quad) -> bool:
    return quad.subject.value.startswith(E + "doc")


@pytest.mark.parametrize("local", [None, _local])
def test_store_fragment_round_trips_through_bytes(local):
    frag = make_fragment(GRAPHS[0], local)
    back = Fragment.from_bytes(frag.to_bytes())
    assert back == frag and back.quads == 2 and back.triples == (2 if local is None else 1)


def test_store_fragment_rejects_truncated_bytes():
    data = make_fragment(GRAPHS[0]).to_bytes()
    with pytest.raises(ValueError):
        Fragment.from_bytes(data[:-3])


def test_store_files_join_fragments_and_state_shared_triples_once(tmp_path):
    written, counts = write_graph_files([make_fragment(g, _local) for g in GRAPHS], tmp_path)
    quads = {x for g in GRAPHS for x in g}
    for fmt in ("trig", "nquads", "jsonld"):
        parsed = list(ox.parse(path=str(written[fmt]), format=ox.RdfFormat.from_extension(written[fmt].suffix[1:])))
        assert len(parsed) == 4 and set(parsed) == quads, fmt
    triples = list(ox.parse(path=str(written["turtle"]), format=ox.RdfFormat.TURTLE))
    assert len(triples) == 3 == len(set(triples))  # the shared triple once
    assert counts.quads == 4 and counts.triples == 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_store_fragments_of_quads_mark_triples_stated_twice_as_shared(tmp_path):
    frags = fragments_of_quads([x for g in GRAPHS for x in g])
    assert [f.triples for f in frags] == [1, 1]  # the supplies triple is shared
    _, counts = write_graph_files(frags, tmp_path)
    assert counts.triples == 3


def _all(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, None))


def test_store_update_replaces_drops_and_patches_graphs():
    store = ox.Store()
    store.extend([*GRAPHS[0], *GRAPHS[1], q("acme", "label", ox.Literal("Acme"), "entities")])
    new_g1 = [q("doc1", "says", ox.Literal("壹"), "g1")]
    written = update_store(
        store, drop=[E + "g2"], insert=[(E + "g1", ox.serialize(new_g1, format=ox.RdfFormat.N_QUADS))],
        remove_quads=[q("acme", "label", ox.Literal("Acme"), "entities")],
        add_quads=[q("acme", "label", ox.Literal("ACME"), "entities")],
    )
    assert written == 3
    assert _all(store) == {*new_g1, q("acme", "label", ox.Literal("ACME"), "entities")}


def test_store_update_writes_nothing_when_its_data_is_broken():
    store = ox.Store()
    store.extend(GRAPHS[0])
    with pytest.raises(SyntaxError):
        update_store(store, drop=[E + "g1"], insert=[(E + "g2", b"<not n-quads")])
    assert _all(store) == set(GRAPHS[0])


@pytest.mark.parametrize("size", [1, 7, 50, 10_000])
def test_store_nquads_chunks_end_at_line_ends(tmp_path, size):
    from kg.store import _nquads_chunks

    path = tmp_path / "g.nq"
    data = ox.serialize([x for g in GRAPHS for x in g], format=ox.RdfFormat.N_QUADS)
    path.write_bytes(data)
    chunks = list(_nquads_chunks(path, size))
    assert b"".join(chunks) == data
    assert all(c.endswith(b"\n") for c in chunks)


def test_store_write_store_loads_every_quad_in_pieces(tmp_path, monkeypatch):
    from kg import store as module

    data = ox.serialize([x for g in GRAPHS for x in g], format=ox.RdfFormat.N_QUADS)
    (tmp_path / "graph.nq").write_bytes(data)
    monkeypatch.setattr(module, "LOAD_CHUNK_BYTES", 60)  # a piece per quad or two
    path = module.write_store(tmp_path / "graph.nq", tmp_path)
    store = ox.Store.read_only(str(path))
    assert _all(store) == {x for g in GRAPHS for x in g}


def _frags(texts: list[str]) -> list[Fragment]:
    # fragments as a build has them: read back from bytes, so they carry their digest
    graphs = [[q(f"doc{i}", "says", ox.Literal(t), f"g{i}"), q("acme", "supplies", "beta", f"g{i}")]
              for i, t in enumerate(texts)]
    return [Fragment.from_bytes(make_fragment(g, _local).to_bytes()) for g in graphs]


def _files(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("graph.trig", "graph.nq", "graph.ttl", "graph.jsonld")}


@pytest.mark.parametrize("changed", [0, 3, 9])
def test_store_files_copy_unchanged_fragments_from_the_last_files(tmp_path, changed):
    texts = [f"第{i}篇" for i in range(10)]
    _, first = write_graph_files(_frags(texts), tmp_path / "inc")
    texts[changed] = "改过的一篇"
    _, counts = write_graph_files(_frags(texts), tmp_path / "inc", previous=first.layout)
    write_graph_files(_frags(texts), tmp_path / "fresh")
    assert _files(tmp_path / "inc") == _files(tmp_path / "fresh")  # byte for byte
    assert counts.copied > 0  # the nine unchanged graphs came from the old files
    assert "改过的一篇" in (tmp_path / "inc" / "graph.nq").read_text(encoding="utf-8")


def test_store_files_ignore_a_layout_whose_files_were_touched(tmp_path):
    texts = [f"第{i}篇" for i in range(4)]
    _, first = write_graph_files(_frags(texts), tmp_path)
    nq = tmp_path / "graph.nq"
    nq.write_bytes(nq.read_bytes().replace("第1篇".encode(), "第X篇".encode()))  # edited by hand
    _, counts = write_graph_files(_frags(texts), tmp_path, previous=first.layout)
    assert counts.copied > 0  # from the three files nobody touched
    assert "第1篇" in nq.read_text(encoding="utf-8") and "第X篇" not in nq.read_text(encoding="utf-8")
    assert _files(tmp_path) == _files(_fresh(tmp_path, texts))


def _fresh(tmp_path, texts):
    write_graph_files(_frags(texts), tmp_path / "fresh")
    return tmp_path / "fresh"


def test_store_files_only_the_chosen_formats_and_never_a_stale_one(tmp_path):
    from kg.store import graph_formats

    texts = ["一", "二"]
    _, first = write_graph_files(_frags(texts), tmp_path)
    texts[1] = "三"
    written, _ = write_graph_files(_frags(texts), tmp_path, previous=first.layout, formats=graph_formats(["nq"]))
    assert set(written) == {"trig", "nquads"}
    assert not (tmp_path / "graph.ttl").exists() and not (tmp_path / "graph.jsonld").exists()
    fresh = _files(_fresh(tmp_path, texts))
    assert (tmp_path / "graph.nq").read_bytes() == fresh["graph.nq"]
    assert (tmp_path / "graph.trig").read_bytes() == fresh["graph.trig"]


@pytest.mark.parametrize("names, expected", [
    (None, ("trig", "nquads", "turtle", "jsonld")),
    (["none"], ("trig",)),
    (["TTL", " jsonld "], ("trig", "turtle", "jsonld")),
])
def test_store_graph_formats_names(names, expected):
    from kg.store import graph_formats

    assert graph_formats(names) == expected


def test_store_graph_formats_rejects_unknown_names():
    from kg.errors import InputError
    from kg.store import graph_formats

    with pytest.raises(InputError, match="unknown graph format rdfxml: choose from trig, nq, ttl, jsonld"):
        graph_formats(["nq", "rdfxml"])
