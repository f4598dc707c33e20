"""The public API re-exported from kg/__init__.py."""

from __future__ import annotations

import kg


def test_api_all_is_sorted_and_importable():
    assert kg.__all__ == sorted(kg.__all__)
    for name in kg.__all__:
        assert hasattr(kg, name), name


def test_api_build_returns_graph_with_dataset_networkx_and_lookup(seed_build):
    graph, _ = seed_build
    assert len(list(graph.dataset.graphs())) >= 3  # seed graph, entities, build record
    ref = graph.lookup("寒武纪")
    assert ref.kind == "Company"
    assert graph.lookup(" 寒武纪 ").iri == ref.iri
    G = graph.to_networkx()
    assert G.nodes[ref.iri]["label"] == "寒武纪"
    assert G.nodes[ref.iri]["kind"] == "Company"
