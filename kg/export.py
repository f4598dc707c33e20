"""Exports of the NetworkX views for Gephi and other tools.

Example:
    >>> write_gexf(kg.build(["seeds/"]), "out/graph.gexf")   # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import networkx as nx

from .store import atomic_write

GEXF_NS = "http://gexf.net/1.3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def gexf_bytes(G: nx.Graph) -> bytes:
    """GEXF 1.3 of ``G``, with networkx's deviations from the schema repaired."""
    G = G.copy()
    G.graph.pop("name", None)  # networkx writes name="" on <graph>, which the XSD forbids
    buf = io.BytesIO()
    nx.write_gexf(G, buf, version="1.3")
    data = buf.getvalue()
    # networkx 1.3 output names the XML Schema instance namespace wrongly
    return data.replace(b"http://w3.org/2001/XMLSchema-instance", XSI_NS.encode()).replace(
        b'<graph defaultedgetype="directed" mode="static" name="">', b'<graph defaultedgetype="directed" mode="static">'
    )


def write_gexf(graph, path: str | os.PathLike[str], *, view: str = "entities") -> Path:
    """Write the ``view`` of ``graph`` as GEXF 1.3 to ``path`` (atomically)."""
    path = Path(path)
    atomic_write(path, gexf_bytes(graph.to_networkx(view=view)))
    return path
