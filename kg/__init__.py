"""kg: knowledge graphs of companies, products, customers and sites from Chinese tech news.

Example:
    >>> import kg
    >>> graph = kg.build(["seeds/"])          # doctest: +SKIP
    >>> graph.lookup("Cambricon").label       # doctest: +SKIP
    '寒武纪'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kg")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

from .build import BuildReport, build
from .errors import ConfigError, InputError, KGError, NotFoundError, QueryError
from .graph import KnowledgeGraph
from .lookup import Entity, Match
from .ingest import ingest, read_document
from .model import DocEntity, Document, Extraction, Figure, Mention, Relation

__all__ = [
    "BuildReport",
    "ConfigError",
    "DocEntity",
    "Document",
    "Entity",
    "Extraction",
    "Figure",
    "InputError",
    "KGError",
    "KnowledgeGraph",
    "Match",
    "Mention",
    "NotFoundError",
    "QueryError",
    "Relation",
    "__version__",
    "build",
    "ingest",
    "read_document",
]
