"""One locator for the data files kg ships: ontology, queries, gazetteers, pipeline config.

In an installed wheel, ``ontology/`` and ``queries/`` live under ``kg/_bundled/``; in a source
checkout they sit at the repository root. Package data (``kg/data/``) is always in the package.

Example:
    >>> resource_path("ontology", "kg.ttl").name
    'kg.ttl'
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"
_REPO = _PACKAGE.parent
_TOP_LEVEL = {"ontology", "queries"}


def resource_path(*parts: str) -> Path:
    """Return the path of a bundled resource, e.g. ``resource_path("queries")``.

    ``parts[0]`` is ``"ontology"``, ``"queries"`` or ``"data"`` (package data).
    """
    if not parts:
        raise ValueError("resource_path needs at least one part")
    head, *rest = parts
    if head in _TOP_LEVEL:
        base = _BUNDLED / head if (_BUNDLED / head).is_dir() else _REPO / head
    else:
        base = _PACKAGE / head
    return base.joinpath(*rest)
