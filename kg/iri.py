"""Mint resource IRIs: the one place where kg decides what an IRI looks like.

IRIs are ASCII only: Chinese names go into labels. Keys that are not ASCII are turned into
pinyin plus a short hash, so that two names that read alike never share an IRI.

Example:
    >>> str(mint("company", "cambricon"))
    'https://w3id.org/kg-news/id/company/cambricon'
    >>> str(mint("company", "寒武纪")).startswith('https://w3id.org/kg-news/id/company/han-wu-ji-')
    True
"""

from __future__ import annotations

import functools
import hashlib
import os
import re

from rdflib import URIRef

DEFAULT_BASE = "https://w3id.org/kg-news/id/"
KINDS = ("company", "product", "site", "doc", "graph", "evidence", "figure", "build", "input")
_SAFE = re.compile(r"[^a-z0-9]+")


def base_iri() -> str:
    """The resource namespace; set ``KG_BASE_IRI`` to publish under your own domain."""
    base = os.environ.get("KG_BASE_IRI", DEFAULT_BASE)
    return base if base.endswith(("/", "#")) else base + "/"


@functools.lru_cache(maxsize=65536)
def slugify(key: str) -> str:
    """An ASCII slug for ``key``: readable where possible, unique always.

    >>> slugify("MLU370-X4")
    'mlu370-x4'
    >>> slugify("思元 370").startswith("si-yuan-370-")
    True
    """
    if key.isascii():
        slug = _SAFE.sub("-", key.lower()).strip("-")
        if slug and slug == key.lower():
            return slug
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
        return f"{slug}-{digest}" if slug else digest
    from pypinyin import lazy_pinyin  # imported lazily: its dictionaries take time to load

    readable = _SAFE.sub("-", "-".join(lazy_pinyin(key)).lower()).strip("-")[:60].strip("-")
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
    return f"{readable}-{digest}" if readable else digest


def mint(kind: str, key: str, *more: str | int) -> URIRef:
    """Return the IRI of a ``kind`` resource with canonical ``key`` (and sub-parts)."""
    return URIRef(mint_str(kind, key, *more))


def mint_str(kind: str, key: str, *more: str | int) -> str:
    """:func:`mint` as a plain string (the mapping makes millions of these)."""
    if kind not in KINDS:
        raise ValueError(f"unknown IRI kind {kind!r}; expected one of {', '.join(KINDS)}")
    parts = [slugify(key)] + [slugify(str(p)) for p in more]
    return base_iri() + kind + "/" + "/".join(parts)
