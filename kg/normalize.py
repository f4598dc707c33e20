"""Text normalisation shared by matching, entity resolution and lookup.

ITHome writes a space between Chinese and Latin letters or digits (``思元 370``); users type
``思元370``, ``ＭＬＵ３７０`` or ``cambricon``. :func:`norm_key` maps all of these to one key.

Example:
    >>> norm_key("思元 370") == norm_key("思元370") == norm_key("思元３７０")
    True
    >>> norm_key(" Cambricon ")
    'cambricon'
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# zero-width, soft hyphen and bidirectional controls (the same set as kg.ingest removes)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_LATIN_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])\s+(?=[{_CJK}])")

#: Legal-form suffixes stripped when comparing company names (longest first).
LEGAL_SUFFIXES = (
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "控股有限公司",
    "有限公司",
    "(中国)",
    "（中国）",
    "股份公司",
    "公司",
)


def nfkc(text: str) -> str:
    """Full-width to half-width and compatibility forms, and drop zero-width characters."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


def close_cjk_gaps(text: str) -> str:
    """Remove the spaces ITHome puts between Chinese and Latin letters or digits.

    >>> close_cjk_gaps("思元 370 芯片")
    '思元370芯片'
    """
    return _CJK_LATIN_GAP.sub("", text)


def norm_key(text: str) -> str:
    """Key for comparing surface forms: NFKC, no whitespace, case-folded; idempotent.

    >>> norm_key("ＭＬＵ ３７０") == norm_key("mlu370") == norm_key(norm_key("MLU 370"))
    True
    """
    key = _SPACE.sub("", nfkc(text)).casefold()
    # case folding can leave text that is not NFKC (U+01F0 ǰ folds to j + U+030C), and NFKC can
    # expose more to fold or new spaces: repeat until stable (once or twice in practice)
    for _ in range(4):
        again = _SPACE.sub("", nfkc(key)).casefold()
        if again == key:
            break
        key = again
    return key


def strip_legal_suffix(name: str) -> str:
    """Drop one legal-form suffix: ``中科寒武纪科技股份有限公司`` → ``中科寒武纪科技``."""
    for suffix in LEGAL_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
