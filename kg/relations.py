"""Relation rules: which sentences state which facts between the entities of a document."""

from __future__ import annotations

from .model import Extraction, Relation


def find_relations(extraction: Extraction) -> list[Relation]:
    """Relations stated in the sentences of ``extraction`` (placeholder: filled in by the relations work)."""
    return []
