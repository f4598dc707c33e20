"""Hostile inputs: broken, binary, oddly encoded, huge, nested, linked, piped and vanishing files.

One folder of more than 100 generated inputs (nothing binary is committed) goes through a full
``kg.build``: nothing crashes or hangs, every input is in report.json exactly once with a clear
status and reason, and the good posts beside them are in the graph.
"""

from __future__ import annotations

import codecs
import importlib
import contextlib
import json
import os
import random
import signal
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import kg

ingest_mod = importlib.import_module("kg.ingest")  # kg.ingest is also the name of a function
from kg.errors import InputError
from kg.ingest import HIDDEN, MAX_BYTES, display_path, ingest, read_document

ROOT = os.geteuid() == 0  # root reads files whatever their mode

GOOD = "寒武纪与招商银行合作，思元 370 芯片在招商银行多个业务场景完成测试。"
LONG_ZH = ("集微网报道，寒武纪发布年度报告称，公司实现营业收入 7.21 亿元，同比增长 57.12%。"
           "思元 220 智能芯片及加速卡出货近百万片，客户包括招商银行等。") * 3
TRAD = "台灣積體電路製造公司與輝達合作，蘋果公司是最大客戶。聯發科技發表新款處理器，效能提升百分之二十。"


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail with TimeoutError instead of hanging (SIGALRM interrupts blocking reads too)."""
    def expired(signum, frame):
        raise TimeoutError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Case:
    """One generated input and what report.json must say about it."""

    name: str  # path relative to the folder (the reported path); str, may hold surrogates
    make: Callable[[Path], None]  # writes the input at the given path
    status: str  # ok | failed | skipped | hidden | any
    reason: tuple[str, ...] = ()  # one of these must be in the reason (failed, skipped)
    warn: str = ""  # must be in a warning (ok)
    text_has: tuple[str, ...] = ()  # the clean text contains these …
    text_lacks: tuple[str, ...] = ()  # … and not these
    at: str = ""  # where ``make`` is called, when not at ``name`` (a folder holding it)


def data(content: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(content)


def utf8(text: str) -> Callable[[Path], None]:
    return data(text.encode("utf-8"))


def rand(size: int, seed: int, nul: bool = True) -> bytes:
    raw = random.Random(seed).randbytes(size)
    if not nul:
        return bytes(b | 0x80 for b in raw)  # high bytes only: no NUL, no ASCII
    return b"\x00" + raw[1:]


def post(title: str, body: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2022-04-16\n{extra}---\n{body}\n"


def fm(front: str, body: str = GOOD) -> Callable[[Path], None]:
    return utf8(f"---\n{front}\n---\n{body}\n")


def fifo(p: Path) -> None:
    os.mkfifo(p)


def unix_socket(p: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()


def sparse(size: int) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        with open(p, "wb") as fh:
            fh.truncate(size)
    return make


def link(target: str) -> Callable[[Path], None]:
    return lambda p: p.symlink_to(target)


def folder_with(*files: tuple[str, bytes], mode: int | None = None) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        p.mkdir()
        for name, content in files:
            (p / name).write_bytes(content)
        if mode is not None:
            p.chmod(mode)
    return make


def chmod0(content: bytes) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        p.write_bytes(content)
        p.chmod(0)
    return make


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)
NUL_BINARY = [  # (name, magic): file signatures, each followed by random bytes with NULs
    ("png.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ("zip.txt", b"PK\x03\x04\x14\x00\x00\x00"),
    ("elf.md", b"\x7fELF\x02\x01\x01\x00"), ("gzip.txt", b"\x1f\x8b\x08\x00\x00\x00\x00\x00"),
    ("pdf.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00"), ("jpeg.html", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ("sqlite.md", b"SQLite format 3\x00"), ("wasm.txt", b"\x00asm\x01\x00\x00\x00"),
    ("class.md", b"\xca\xfe\xba\xbe\x00\x00\x00\x34"), ("pyc.txt", b"\xa7\r\r\n\x00\x00\x00\x00"),
]
BINARY = ("binary",)
NO_TEXT = ("no text",)
DECODE_OR_WARN = ("binary", "encoding")


def _cases() -> list[Case]:
    c: list[Case] = [
        # good posts: they must come through whatever lies beside them
        Case("good.md", utf8(post("寒武纪与招商银行合作", GOOD)), "ok", text_has=("招商银行",)),
        Case("good2.txt", utf8(LONG_ZH), "ok", text_has=("思元 220",)),
        Case("x.md/inner.md", folder_with(("inner.md", GOOD.encode())), "ok", text_has=("寒武纪",), at="x.md"),
        # empty and whitespace
        Case("empty.md", data(b""), "failed", ("empty file",)),
        Case("ws_spaces.txt", data(b"   \n\t \r\n  "), "failed", ("empty file",)),
        Case("ws_ideographic.md", utf8("\u3000\u3000\n\u3000"), "failed", NO_TEXT),
        Case("ws_nbsp_zw.txt", utf8("\u00a0 \u200b\u200d \ufeff"), "failed", NO_TEXT),
        Case("bom_only.txt", data(codecs.BOM_UTF8), "failed", ("empty file",)),
        Case("crlf_ws.md", data(b"\r\n\r\n\r\n"), "failed", ("empty file",)),
    ]
    # binary: random bytes with NULs, file signatures, NUL-laden text
    c += [Case(f"random_{n}.md", data(rand(n, n)), "failed", BINARY) for n in (1, 7, 64, 512, 4096, 65536, 300_000)]
    c += [Case(f"random_high_{n}.txt", data(rand(n, n, nul=False)), "any", DECODE_OR_WARN) for n in (3, 100, 5000)]
    c += [Case(name, data(magic + rand(2048, i)), "failed", BINARY) for i, (name, magic) in enumerate(NUL_BINARY)]
    c += [
        Case("nul_in_text.md", data(GOOD.encode() + b"\x00" + GOOD.encode()), "failed", BINARY),
        Case("nul_only.txt", data(b"\x00" * 1000), "failed", BINARY),
        Case("nul_every_4.md", data(b"\x00\x00\x00a" * 500), "failed", BINARY),
        Case("picture.png", data(b"\x89PNG\r\n\x1a\n" + rand(100, 1)), "skipped", ("unsupported file type",)),
        Case("archive.zip", data(b"PK\x03\x04" + rand(100, 2)), "skipped", ("unsupported file type",)),
        Case("no_suffix", utf8(GOOD), "skipped", ("unsupported file type",)),
    ]
    # truncated or damaged UTF-8
    enc = LONG_ZH.encode()
    c += [
        Case("trunc_end1.md", data(enc[:-1]), "ok", warn="middle of a UTF-8 character"),
        Case("trunc_end2.txt", data(enc[:-2]), "ok", warn="middle of a UTF-8 character"),
        Case("trunc_emoji.md", data((LONG_ZH + "😀").encode()[:-2]), "ok", warn="middle of a UTF-8 character"),
        Case("trunc_start.md", data(enc[1:]), "ok", warn="replaced by U+FFFD"),
        Case("trunc_middle.txt", data(enc[:40] + enc[41:]), "ok", warn="replaced by U+FFFD"),
        Case("trunc_front_matter.md", data(post("标题", LONG_ZH).encode()[:-3]), "ok", warn="UTF-8 character"),
        Case("trunc_only_partial.md", data("寒".encode()[:2]), "failed", NO_TEXT),
        Case("latin1.txt", data("café résumé naïve".encode("latin-1")), "any", DECODE_OR_WARN),
    ]
    # encodings without a declaration
    c += [
        Case("gbk.txt", data(LONG_ZH.encode("gbk")), "ok", warn="GB18030", text_has=("寒武纪",)),
        Case("gb18030.md", data(post("标题𠮷", LONG_ZH).encode("gb18030")), "ok", warn="GB18030", text_has=("𠮷",)),
        Case("big5.txt", data(TRAD.encode("big5")), "ok", warn="Big5", text_has=("台灣積體電路",)),
        Case("big5_post.md", data(post("台積電", TRAD).encode("big5")), "ok", warn="Big5", text_has=("聯發科技",)),
        Case("utf16le_bom.md", data(codecs.BOM_UTF16_LE + post("标题", LONG_ZH).encode("utf-16-le")), "ok",
             warn="UTF-16 LE", text_has=("寒武纪",)),
        Case("utf16be_bom.txt", data(codecs.BOM_UTF16_BE + LONG_ZH.encode("utf-16-be")), "ok", warn="UTF-16 BE",
             text_has=("寒武纪",)),
        Case("utf16le_nobom.txt", data(LONG_ZH.encode("utf-16-le")), "ok", warn="UTF-16 LE", text_has=("寒武纪",)),
        Case("utf16be_nobom.md", data(LONG_ZH.encode("utf-16-be")), "ok", warn="UTF-16 BE", text_has=("寒武纪",)),
        Case("utf16le_ascii.txt", data("Cambricon and Huawei\n".encode("utf-16-le") * 20), "ok", warn="UTF-16",
             text_has=("Cambricon",)),
        Case("utf32le_bom.txt", data(codecs.BOM_UTF32_LE + GOOD.encode("utf-32-le")), "ok", warn="UTF-32",
             text_has=("寒武纪",)),
        Case("utf8_bom_post.md", data(codecs.BOM_UTF8 + post("带 BOM 的标题", GOOD).encode()), "ok",
             text_has=("带 BOM 的标题",)),
        Case("declared_gbk.html", data(f'<html><head><meta charset="gbk"></head><body><p>{GOOD}</p></body></html>'
                                       .encode("gbk")), "ok", warn="declares", text_has=("招商银行",)),
        Case("crlf_post.md", data(post("回车换行", GOOD).replace("\n", "\r\n").encode()), "ok", text_has=("回车换行",)),
    ]
    # YAML front matter: broken, hostile, wrongly typed
    broken = ("broken YAML front matter",)
    c += [
        Case("fm_unclosed_bracket.md", fm("title: [unclosed\ndate: x"), "failed", broken),
        Case("fm_unclosed_brace.md", fm("categories: {a: 1, b"), "failed", broken),
        Case("fm_tab_indent.md", fm("title: x\n\tdate: y"), "failed", ("tabs",)),
        Case("fm_bad_indent.md", fm("categories:\n    - a\n  - b"), "failed", broken),
        Case("fm_unterminated_squote.md", fm("title: 'abc\ndate: x"), "failed", broken),
        Case("fm_unterminated_dquote.md", fm('title: "abc\ndate: x'), "failed", broken),
        Case("fm_duplicate_keys.md", fm("title: 第一\ntitle: 第二"), "ok", warn="appears more than once",
             text_has=("第二",), text_lacks=("第一",)),
        Case("fm_alias_bomb.md", fm(BILLION_LAUGHS), "failed", ("alias bomb",)),
        Case("fm_deep_nesting.md", fm("title: " + "[" * 5000 + "]" * 5000), "failed", ("nested",)),
        Case("fm_deep_mapping.md", fm("".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1"),
             "failed", ("nested",)),
        Case("fm_few_aliases.md", fm("a: &n 寒武纪\ntitle: *n"), "ok", text_has=("寒武纪",)),
        Case("fm_python_object.md", fm("x: !!python/object/apply:os.system ['echo pwned']"), "failed", ("YAML tag",)),
        Case("fm_python_name.md", fm("title: !!python/name:os.system"), "failed", ("YAML tag",)),
        Case("fm_custom_tag.md", fm("title: !mytag x"), "failed", ("YAML tag",)),
        Case("fm_bad_int_tag.md", fm("title: !!int abc"), "failed", ("cannot be read",)),
        Case("fm_binary_tag.md", fm("title: !!binary aGVsbG8="), "ok", warn="'title' is a bytes"),
        Case("fm_bad_date.md", fm("date: 2022-13-45"), "ok", warn="not a date"),
        Case("fm_date_list.md", fm("date: [2022, 4]"), "ok", warn="'date' is a list"),
        Case("fm_date_dict.md", fm("date: {y: 2022}"), "ok", warn="'date' is a dict"),
        Case("fm_date_int.md", fm("date: 20220416"), "ok", warn="'date' is a int"),
        Case("fm_title_number.md", fm("title: 12345"), "ok", text_has=("12345",)),
        Case("fm_title_bool.md", fm("title: yes"), "ok", warn="'title' is a bool"),
        Case("fm_title_dict.md", fm("title: {zh: 标题}"), "ok", warn="'title' is a dict"),
        Case("fm_categories_dict.md", fm("categories: {a: 1}"), "ok", warn="'categories' is a dict"),
        Case("fm_categories_nested.md", fm("categories: [[a], b]"), "ok", warn="'categories' is a list"),
        Case("fm_is_list.md", fm("- a\n- b"), "failed", ("front matter is a YAML list",)),
        Case("fm_is_scalar.md", fm("just some words"), "failed", ("front matter is a YAML str",)),
        Case("fm_is_null.md", fm("~"), "ok", text_has=("招商银行",)),
        Case("fm_huge.md", fm("title: x\nnote: " + "长" * 70_000), "failed", ("front matter too large",)),
        Case("fm_unclosed.md", utf8("---\ntitle: 没有结尾\n" + GOOD), "ok", text_has=("没有结尾",)),
        Case("fm_only_title.md", utf8("---\ntitle: 只有标题\n---\n"), "ok", text_has=("只有标题",)),
        Case("fm_only_author.md", utf8("---\nauthor: 某人\n---\n"), "failed", NO_TEXT),
    ]
    # HTML and markup
    secret = ("SECRET",)
    c += [
        Case("unclosed.html", utf8("<html><body><p>寒武纪<div><span>发布思元芯片"), "ok", text_has=("寒武纪", "发布思元芯片")),
        Case("nested_div.html", utf8("<div>" * 10_000 + "深层内容" + "</div>" * 10_000), "ok", text_has=("深层内容",)),
        Case("nested_unclosed.md", utf8("<div><span>" * 10_000 + "未闭合深层"), "ok", text_has=("未闭合深层",)),
        Case("nested_table.html", utf8("<table><tr><td>" * 3000 + "表格内容"), "ok", text_has=("表格内容",)),
        Case("script.html", utf8("<script>alert('SECRET1')</script><style>.SECRET2{}</style><iframe>SECRET3</iframe>"
                                 "<noscript>SECRET4</noscript><p>正文段落</p>"), "ok", text_has=("正文段落",), text_lacks=secret),
        Case("script.md", utf8(post("脚本", "正文 <script>document.write('SECRET')</script> 结束")), "ok",
             text_has=("结束",), text_lacks=secret + ("<script",)),
        Case("script_unclosed.html", utf8("<p>正文段落</p><script>SECRET never closed"), "ok", text_lacks=secret),
        Case("script_escaped.html", utf8("<p>&lt;script&gt;alert(1)&lt;/script&gt;正文</p>"), "ok",
             text_has=("正文",), text_lacks=("<script",)),
        Case("script_in_svg.html", utf8("<svg><script>SECRET</script></svg><p>正文段落</p>"), "ok", text_lacks=secret),
        Case("script_txt.txt", utf8("正文段落。<script>SECRET</script>"), "ok", text_has=("正文段落",), text_lacks=secret),
        Case("entities.html", utf8("<p>AT&amp;T &#x4e2d;&#22269; a&nbsp;b &lt;b&gt;</p>"), "ok",
             text_has=("AT&T 中国 a b <b>",), text_lacks=("&amp;", "&nbsp;")),
        Case("entities.md", utf8(post("实体", "AT&amp;T &#x4e2d;&#22269; a&nbsp;b")), "ok", text_has=("AT&T 中国 a b",)),
        Case("comments.md", utf8(post("注释", "<!-- SECRET --> 正文 <!-- unclosed SECRET")), "ok",
             text_has=("正文",), text_lacks=secret),
        Case("zero_width.txt", utf8("寒\u200b武\u200c纪\u200d与\u2060招\ufeff商\u00ad银\u202e行\u2066合作。"), "ok",
             text_has=("寒武纪与招商银行合作。",)),
        Case("fullwidth.txt", utf8("ＭＬＵ３７０－Ｘ４，寒武纪发布。"), "ok", text_has=("MLU370－X4，寒武纪",)),
        Case("control_chars.txt", utf8("寒武纪\x01\x02\x1b[31m发布\x7f芯片。"), "ok", text_has=("寒武纪[31m发布芯片",)),
        Case("markup_only.html", utf8("<html><head><title></title></head><body><img src=x></body></html>"),
             "failed", NO_TEXT),
        Case("xhtml.xhtml", utf8('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
                                 "<p>寒武纪发布芯片</p></body></html>"), "ok", text_has=("寒武纪发布芯片",)),
        Case("huge_attribute.html", utf8('<p title="' + "x" * 1_000_000 + '">属性很长</p>'), "ok", text_has=("属性很长",)),
        Case("many_tags.html", utf8("<b>字</b>" * 20_000), "ok", warn="split"),
        Case("brackets.md", utf8("[" * 200_000), "ok", warn="split"),
        Case("emphasis.md", utf8("*a " * 100_000), "ok", warn="split"),
        Case("comment_opens.md", utf8("<!--" * 100_000), "failed", NO_TEXT),
    ]
    # long texts
    c += [
        Case("long_line_zh.txt", utf8("".join(random.Random(3).choice("寒武纪与招商银行合作思元芯片") for _ in range(70_000))), "ok",
             warn="split"),
        Case("long_line_ascii.md", utf8("a" * 500_000), "ok", warn="split"),
        Case("too_long_text.txt", utf8("ab " * 400_000), "failed", ("text too long",)),
        Case("too_large.md", sparse(50 * 1024 * 1024), "failed", ("file too large",)),
        Case("many_paragraphs.txt", utf8("段落。\n\n" * 3000), "ok", text_has=("段落。\n\n段落。",)),
    ]
    # odd names
    c += [
        Case("with space.md", utf8(GOOD), "ok"),
        Case("new\nline.md", utf8(GOOD), "ok"),
        Case("tab\tname.txt", utf8(GOOD), "ok"),
        Case("emoji_😀🎉.md", utf8(GOOD), "ok"),
        Case("-leading-dash.md", utf8(GOOD), "ok"),
        Case("--help.md", utf8(GOOD), "ok"),
        Case("semi;colon&$(touch pwned).md", utf8(GOOD), "ok"),
        Case("back\\slash.md", utf8(GOOD), "ok"),
        Case("a" * 251 + ".md", utf8(GOOD), "ok"),
        Case("长" * 83 + ".md", utf8(GOOD), "ok"),
        Case(os.fsdecode(b"caf\xe9-\xff.md"), utf8(GOOD), "ok", warn="not valid UTF-8"),
        Case("中文名称.md", utf8(GOOD), "ok"),
        Case("UPPER.MD", utf8(GOOD), "ok"),
        Case("trailing-space.md ", utf8(GOOD), "skipped", ("unsupported file type",)),
        Case("..md", utf8(GOOD), "hidden"),
        Case(".hidden.md", utf8(GOOD), "hidden"),
        Case(".md", utf8(GOOD), "hidden"),
        Case(".git", folder_with(("config", b"[core]\n"), ("HEAD.md", b"ref")), "hidden"),
    ]
    # links, permissions, special files
    c += [
        Case("loop/self", lambda p: (p.parent.mkdir(), p.symlink_to(".")), "failed", ("loop",)),
        Case("link_a.md", link("link_b.md"), "failed", ("symbolic link loop",)),
        Case("link_b.md", link("link_a.md"), "failed", ("symbolic link loop",)),
        Case("broken_link.md", link("does-not-exist.md"), "failed", ("broken symbolic link",)),
        Case("good_link.md", link("good.md"), "ok", text_has=("招商银行",)),
        Case("secret.md", chmod0(GOOD.encode()), "ok" if ROOT else "failed", ("permission denied",)),
        (Case("locked/inner.md", folder_with(("inner.md", GOOD.encode()), mode=0), "ok", at="locked") if ROOT else
         Case("locked", folder_with(("inner.md", GOOD.encode()), mode=0), "failed", ("permission denied",))),
        Case("pipe.md", fifo, "failed", ("named pipe",)),
        Case("pipe.txt", fifo, "failed", ("named pipe",)),
        Case("socket.md", unix_socket, "failed", ("socket",)),
        # these change after the folder is listed (see `vanish`)
        Case("vanishing.md", utf8(GOOD), "failed", ("disappeared",)),
        Case("becomes_fifo.md", utf8(GOOD), "failed", ("named pipe",)),
        Case("becomes_folder.md", utf8(GOOD), "failed", ("is a folder",)),
        Case("becomes_huge.md", utf8(GOOD), "failed", ("file too large",)),
    ]
    return c


CASES = _cases()
BY_NAME = {c.name: c for c in CASES}


def _make(folder: Path) -> None:
    for case in CASES:
        case.make(folder / (case.at or case.name))


def vanish(folder: Path) -> None:
    """What happens to some files between listing and reading."""
    (folder / "vanishing.md").unlink()
    (folder / "becomes_fifo.md").unlink()
    os.mkfifo(folder / "becomes_fifo.md")
    (folder / "becomes_folder.md").unlink()
    (folder / "becomes_folder.md").mkdir()
    sparse(MAX_BYTES + 1)(folder / "becomes_huge.md")


@contextlib.contextmanager
def changes_after_listing(folder: Path):
    """Run ``vanish`` once the file listing is complete (reading starts after it)."""
    real = ingest_mod.iter_files
    done = []

    def listing(*args, **kwargs):
        yield from real(*args, **kwargs)
        vanish(folder)
        done.append(True)

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ingest_mod, "iter_files", listing)
            yield
    finally:
        if done:
            vanish_undo(folder)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _make(folder)
    yield folder
    for p in (folder / "locked", folder / "secret.md"):
        if p.exists():
            p.chmod(0o700)


@pytest.fixture(scope="module")
def hostile_build(hostile, tmp_path_factory):
    """kg.build over the hostile folder; returns (graph, report.json as dict, seconds)."""
    out = tmp_path_factory.mktemp("hostile-out")
    t0 = time.monotonic()
    with deadline(600), changes_after_listing(hostile):
        graph = kg.build([hostile], out=out)
    seconds = time.monotonic() - t0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return graph, report, seconds


def test_hostile_case_count():
    assert len(CASES) >= 100


def _records(report, folder: Path) -> dict[str, list[dict]]:
    by_name: dict[str, list[dict]] = {}
    prefix = display_path(str(folder)) + os.sep
    for f in report["files"]:
        assert f["path"].startswith(prefix), f["path"]
        by_name.setdefault(f["path"][len(prefix):], []).append(f)
    return by_name


def _expected_names() -> dict[str, Case]:
    return {display_path(c.name): c for c in CASES}


@pytest.mark.slow
def test_hostile_build_accounts_for_every_input_once(hostile, hostile_build):
    _, report, seconds = hostile_build
    records = _records(report, hostile)
    expected = _expected_names()
    for name, recs in records.items():
        assert name in expected, f"unexpected path in report.json: {name!r}"
        assert len(recs) == 1, (name, recs)
    for name, case in expected.items():
        assert name in records, f"missing from report.json: {name!r}"
        if case.status == "hidden":
            # hidden files are accounted for as skipped, and never read
            assert records[name][0]["status"] == "skipped", records[name]
    summary = report["summary"]
    assert summary["files"] == len(report["files"])
    assert summary["ok"] + summary["skipped"] + summary["failed"] == summary["files"]
    assert seconds < 600


@pytest.mark.slow
@pytest.mark.parametrize("name", [c.name for c in CASES if c.status != "hidden"], ids=repr)
def test_hostile_status_reason_and_text(hostile, hostile_build, name):
    graph, report, _ = hostile_build
    case = BY_NAME[name]
    rec = _records(report, hostile)[display_path(name)][0]
    if case.status == "any":
        ok_with_warning = rec["status"] == "ok" and any("decoded as" in w for w in rec["warnings"])
        assert ok_with_warning or any(r in rec["reason"] for r in case.reason), rec
        return
    assert rec["status"] == case.status, rec
    if case.status in ("failed", "skipped"):
        assert any(r in rec["reason"] for r in case.reason), rec
        assert rec["doc_id"] is None
        return
    if case.warn:
        assert any(case.warn in w for w in rec["warnings"]), rec
    doc = next(x.doc for x in graph.extractions if x.doc.doc_id == rec["doc_id"])
    assert doc.path == rec["path"]
    for s in case.text_has:
        assert s in doc.text, (s, doc.text[:300])
    for s in case.text_lacks:
        assert s not in doc.text, (s, doc.text[:300])
    assert "\x00" not in doc.text and "\u200b" not in doc.text
    for start, end in doc.paragraphs:
        assert 0 < end - start <= ingest_mod.MAX_PARAGRAPH


@pytest.mark.slow
def test_hostile_good_posts_are_in_the_graph(hostile_build):
    graph, report, _ = hostile_build
    rows = graph.query(
        """PREFIX kg: <https://w3id.org/kg-news/ontology#>
           PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT DISTINCT ?label WHERE { ?s rdfs:label "寒武纪"@zh ; kg:hasCustomer ?c . ?c rdfs:label ?label
                                          FILTER(lang(?label) = "zh") }""")
    assert "招商银行" in {r["label"] for r in rows}
    ok = [f for f in report["files"] if f["status"] == "ok"]
    assert report["summary"]["documents"] == len(ok) > 40
    good = next(f for f in report["files"] if f["path"].endswith(os.sep + "good.md"))
    assert good["entities"] >= 2 and good["relations"] >= 1 and good["triples"] > 10


# --------------------------------------------------------------------------------------------
# Single hazards, checked in isolation


def test_hostile_big_file_is_refused_without_reading_it(tmp_path, monkeypatch):
    big = tmp_path / "big.md"
    sparse(50 * 1024 * 1024)(big)
    read = []
    real_read = os.read
    monkeypatch.setattr(ingest_mod.os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"file too large \(52428800 bytes; limit 20971520\)"):
        read_document(big)
    assert time.monotonic() - t0 < 1 and read == []


def test_hostile_fifo_given_directly_does_not_hang(tmp_path):
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    with deadline(10):
        report = ingest([pipe])
    assert [(f.status, f.reason) for f in report.files] == [("failed", "not a regular file: named pipe (FIFO)")]


def test_hostile_unreadable_folder_is_reported_even_as_root(tmp_path, monkeypatch):
    # chmod 000 does not stop root: simulate the refusal the kernel gives other users
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inner.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(ingest_mod.os, "scandir", scandir)
    report = ingest([tmp_path])
    assert sorted((Path(f.path).name, f.status, f.reason) for f in report.files) == [
        ("good.md", "ok", ""), ("locked", "failed", "cannot list folder: permission denied")]


def test_hostile_unreadable_file_is_reported_even_as_root(tmp_path, monkeypatch):
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD, encoding="utf-8")
    real_open = os.open

    def deny(path, *args, **kwargs):
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ingest_mod.os, "open", deny)
    report = ingest([tmp_path])
    assert [(f.status, f.reason) for f in report.files] == [("failed", "permission denied: the file is not readable")]


def test_hostile_hidden_files_are_reported_as_skipped_by_ingest(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.md").write_text("x", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "..md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    report = ingest([tmp_path], strict=True)  # hidden files are no failure, even when strict
    assert sorted((Path(f.path).name, f.status, f.reason) for f in report.files) == [
        ("..md", "skipped", HIDDEN), (".DS_Store", "skipped", HIDDEN), (".git", "skipped", HIDDEN),
        ("a.md", "ok", "")]


def test_hostile_every_generated_path_is_accounted_for_by_ingest(hostile):
    with deadline(300), changes_after_listing(hostile):
        report = ingest([hostile])
    records = _records({"files": [f.to_dict() for f in report.files]}, hostile)
    expected = _expected_names()
    assert sorted(records) == sorted(expected)
    assert all(len(v) == 1 for v in records.values())
    assert {records[n][0]["status"] for n, c in expected.items() if c.status == "hidden"} == {"skipped"}


def vanish_undo(folder: Path) -> None:
    """Put back what `vanish` changed, so that the next listing sees the files again."""
    (folder / "vanishing.md").write_text(GOOD, encoding="utf-8")
    (folder / "becomes_fifo.md").unlink()
    (folder / "becomes_fifo.md").write_text(GOOD, encoding="utf-8")
    (folder / "becomes_folder.md").rmdir()
    (folder / "becomes_folder.md").write_text(GOOD, encoding="utf-8")
    (folder / "becomes_huge.md").write_text(GOOD, encoding="utf-8")


@pytest.mark.slow
def test_hostile_two_megabyte_line_builds_in_bounded_time(tmp_path):
    rng = random.Random(7)
    chars = [ch for ch in LONG_ZH if "\u4e00" <= ch <= "\u9fff"]
    line = "".join(rng.choice(chars) for _ in range(700_000))  # 2.1 MB of UTF-8, no 。
    (tmp_path / "line.txt").write_text(line, encoding="utf-8")
    t0 = time.monotonic()
    with deadline(300):
        graph = kg.build([tmp_path])
    assert time.monotonic() - t0 < 300
    (rec,) = graph.report.files
    assert rec.status == "ok" and any("split into shorter ones" in w for w in rec.warnings)
    (x,) = graph.extractions
    assert len(x.doc.text) >= 700_000 and max(e - s for s, e in x.doc.paragraphs) <= ingest_mod.MAX_PARAGRAPH
    assert max(e - s for s, e in x.sentences) <= ingest_mod.MAX_PARAGRAPH


def test_hostile_alias_bomb_is_refused_fast(tmp_path):
    bomb = tmp_path / "bomb.md"
    bomb.write_text(f"---\n{BILLION_LAUGHS}title: x\n---\n正文", encoding="utf-8")
    t0 = time.monotonic()
    with pytest.raises(InputError, match="alias bomb"):
        read_document(bomb)
    assert time.monotonic() - t0 < 1


def test_hostile_special_file_kinds(tmp_path):
    os.mkfifo(tmp_path / "p.md")
    assert stat.S_ISFIFO(os.stat(tmp_path / "p.md").st_mode)
    with deadline(10):
        (rec,) = ingest([tmp_path]).files
    assert rec.status == "failed" and rec.reason == "not a regular file: named pipe (FIFO)"
