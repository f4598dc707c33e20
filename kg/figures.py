"""Figure rules: revenue, growth, shipments and specs reported about an entity."""

from __future__ import annotations

from .model import Extraction, Figure


def find_figures(extraction: Extraction) -> list[Figure]:
    """Figures reported in ``extraction`` (placeholder: filled in by the figures work)."""
    return []
