"""Build the spaCy pipeline from ``kg/data/pipeline.cfg``.

Example:
    >>> nlp = load_pipeline()
    >>> nlp.pipe_names
    ['kg_sentences', 'kg_gazetteer', 'kg_patterns', 'kg_fallback']
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from spacy.language import Language
from spacy.util import load_config, load_model_from_config

from . import components as _components  # noqa: F401  (registers the factories)
from . import patterns as _patterns  # noqa: F401
from .errors import ConfigError
from .resources import resource_path


def default_config_path() -> Path:
    return resource_path("data", "pipeline.cfg")


def load_pipeline(config: str | None = None, overrides: dict | None = None) -> Language:
    """The kg pipeline, built once per process from ``config`` (default: the bundled one).

    ``overrides`` set config values by dotted path, e.g. to plug in an installed spaCy model:
    ``load_pipeline(overrides={"components.kg_fallback.model": "zh_core_web_sm"})``.
    """
    return _load(str(config) if config else None, json.dumps(overrides or {}, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _load(config: str | None, overrides: str) -> Language:
    path = Path(config) if config else default_config_path()
    if not path.exists():
        raise ConfigError(f"pipeline config not found: {path}")
    try:
        cfg = load_config(path, overrides=json.loads(overrides))
        return load_model_from_config(cfg, auto_fill=True, validate=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot build the pipeline from {path}: {exc}") from exc
