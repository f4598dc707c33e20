"""Property-based tests (hypothesis) for ingestion and normalisation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import InputError
from kg.ingest import (
    MAX_PARAGRAPH, clean_line, decode, fold_fullwidth_alnum, normalize_date, parse_document, split_long,
)
from kg.normalize import norm_key

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
LATIN = st.sampled_from("abcXYZ0189")
FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in [*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B)]}
# text made of the pieces that hostile posts are made of
PIECES = st.sampled_from([
    "<p>", "</p>", "<div>", "</div>", "<br>", "<script>", "</script>", "<style>", "<iframe>", "<!--", "-->",
    "&amp;", "&lt;", "&gt;", "&#x4e2d;", "&nbsp;", "&#0;", "\u200b", "\ufeff", "\u202e", "\x00", "\x1b",
    "---\n", "title: ", "[", "](", ")", "![", "*", "**", "_", "`", "#", "> ", "- ", "\n", "\n\n", "\r\n",
    " ", "\t", "\u3000", "。", "，", "寒武纪", "招商银行", "ＭＬＵ３７０", "&", "<", ">", "'", '"', ":", "{", "}",
])
HOSTILE_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=60).map("".join)
SUFFIXES = st.sampled_from([".md", ".html", ".txt"])


@SETTINGS
@given(st.text())
def test_properties_decode_round_trips_utf8(text):
    if not text.encode("utf-8").strip() or "\x00" in text:
        return  # empty and NUL-laden input are refused (other tests)
    decoded, encoding, warnings = decode(text.encode("utf-8"))
    assert (decoded, encoding, warnings) == (text.removeprefix("\ufeff"), "utf-8", [])


@SETTINGS
@given(st.binary(max_size=2000))
def test_properties_decode_raises_only_input_error(data):
    try:
        text, encoding, _ = decode(data)
    except InputError:
        return
    assert isinstance(text, str) and encoding


@SETTINGS
@given(HOSTILE_TEXT, SUFFIXES)
def test_properties_read_document_raises_only_input_error_and_text_is_clean(text, suffix):
    try:
        doc = parse_document(Path("x" + suffix), text.encode("utf-8"))
    except InputError:
        return
    assert "<script" not in doc.text.lower()
    for bad in ("\x00", "\x1b", "\u200b", "\ufeff", "\u202e"):
        assert bad not in doc.text
    # paragraph offsets slice the text into non-empty, stripped paragraphs joined by blank lines
    assert doc.paragraphs and doc.paragraphs[0][0] == 0 and doc.paragraphs[-1][1] == len(doc.text)
    for start, end in doc.paragraphs:
        para = doc.text[start:end]
        assert para and para == para.strip() and "\n" not in para and len(para) <= MAX_PARAGRAPH
    for (_, e1), (s2, _) in zip(doc.paragraphs, doc.paragraphs[1:]):
        assert doc.text[e1:s2] == "\n\n"


@SETTINGS
@given(st.text(max_size=300), st.sampled_from(["<script>alert(1)</script>", "<SCRIPT src=x>", "<script"]))
def test_properties_script_never_reaches_the_text(text, script):
    for suffix in (".md", ".html", ".txt"):
        try:
            doc = parse_document(Path("x" + suffix), (text + script + text).encode("utf-8"))
        except InputError:
            continue
        assert "<script" not in doc.text.lower() and "alert(1)" not in doc.text


@SETTINGS
@given(st.text(max_size=3000), st.integers(min_value=10, max_value=200))
def test_properties_split_long_keeps_every_character_in_order(text, limit):
    text = clean_line(text)
    pieces = split_long(text, limit)
    assert all(0 < len(p) <= limit and p == p.strip() for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


@SETTINGS
@given(st.text())
def test_properties_norm_key_is_idempotent(text):
    assert norm_key(norm_key(text)) == norm_key(text)


@SETTINGS
@given(st.lists(st.one_of(CJK, LATIN), min_size=1, max_size=20), st.data())
def test_properties_norm_key_ignores_cjk_latin_spacing_and_fullwidth(chars, data):
    text = "".join(chars)
    spaced = "".join(ch + (" " if data.draw(st.booleans()) else "") for ch in chars)
    wide = "".join(FULLWIDTH.get(ch, ch) for ch in text)
    assert norm_key(spaced) == norm_key(text) == norm_key(wide)


@SETTINGS
@given(st.text())
def test_properties_fold_fullwidth_alnum_preserves_length_and_folds_only_alnum(text):
    folded = fold_fullwidth_alnum(text)
    assert len(folded) == len(text)
    for a, b in zip(text, folded):
        assert a == b or (FULLWIDTH.get(b) == a)


@SETTINGS
@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none(), st.booleans(),
                 st.lists(st.text(max_size=5), max_size=3), st.dates(), st.datetimes(),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                 st.from_regex(r"\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2}.{0,10}", fullmatch=True),
                 st.from_regex(r"(Mon|Sat), \d{1,2} (Jan|Apr|Foo) \d{1,6} \d\d:\d\d:\d\d (GMT|\+\d{4})", fullmatch=True)))
def test_properties_normalize_date_raises_only_input_error(value):
    try:
        result = normalize_date(value)
    except InputError:
        return
    assert result is None or dt.date.fromisoformat(result)
