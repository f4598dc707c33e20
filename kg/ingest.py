"""Read news posts from files and folders into clean-text :class:`~kg.model.Document` objects.

Formats: Markdown with YAML front matter and an HTML or Markdown body (the IT之家 mirror's
format), Markdown, HTML and plain text. Every input path ends up in the :class:`IngestReport`
as ``ok``, ``skipped`` or ``failed`` with a reason, so nothing is silently lost.

Input is not trusted: files are read with a size limit and without blocking (a named pipe is
refused, not read), encodings are detected (UTF-8, UTF-16, GB18030, Big5), YAML front matter is
checked for alias bombs and deep nesting before it is loaded, HTML is walked without recursion,
and over-long paragraphs are split so that the NLP stage stays fast. SECURITY.md lists the
limits.

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_text("寒武纪发布思元 370。", encoding="utf-8")
    >>> report = ingest([p])
    >>> report.documents[0].text
    '寒武纪发布思元 370。'
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import errno
import hashlib
import html as html_lib
import os
import re
import stat
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .iri import slugify
from .model import Document

TEXT_SUFFIXES = {".md", ".markdown", ".mdown", ".txt", ".text", ".html", ".htm", ".xhtml"}
MAX_BYTES = 20 * 1024 * 1024  # larger files are refused: no news post is this long
MAX_FRONT_MATTER = 64 * 1024
MAX_YAML_ALIASES = 50  # real front matter has none; billion-laughs bombs need many
MAX_YAML_DEPTH = 20
#: longer paragraphs are split: relation extraction is superlinear in the sentence length
MAX_PARAGRAPH = 1000
#: longer clean texts are refused (spaCy's own default ``max_length``)
MAX_TEXT_CHARS = 1_000_000
MAX_DOC_ID = 80
#: the reason given for hidden files and folders (``.git``, ``.DS_Store``), which are not read
HIDDEN = "hidden file or folder (names starting with '.' are not read)"

_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
# block tags, and tags whose content must never reach the text (so the body goes through the
# HTML parser, which drops them with their content)
_HTML_HINT = re.compile(
    r"<\s*(p|div|br|span|html|body|h[1-6]|article|section|ul|li|table|script|style|iframe|noscript|"
    r"object|embed|svg|template|form|canvas|video|audio|head|title)\b",
    re.I,
)
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
# zero-width, soft hyphen and bidirectional controls: invisible, and they break name matching
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# tag-like leftovers of dangerous elements (from escaped markup such as &lt;script&gt;)
_RESIDUAL_TAG = re.compile(r"<\s*/?\s*(?:script|style|iframe|object|embed|noscript|template)(?:\b[^<>]{0,200}>)?", re.I)
_INLINE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>]{0,500})?/?>")
_BLANK_LINES = re.compile(r"\n\s*\n")
_BLOCK_TAGS = frozenset((
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "td",
    "th", "section", "article", "header", "footer", "figcaption", "dd", "dt", "table", "ul", "ol",
))
_DROP_TAGS = frozenset(("script", "style", "img", "iframe", "noscript", "svg", "object", "embed", "video",
                        "audio", "picture", "source", "template", "head", "canvas", "form", "button"))


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as printable text: bytes that are not UTF-8 shown as ``\\xff`` escapes.

    >>> display_path(os.fsdecode(b"caf\\xe9.md"))
    'caf\\\\xe9.md'
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass
class FileReport:
    """What happened to one input path."""

    path: str
    status: str  # ok | skipped | failed
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    doc_id: str | None = None
    entities: int = 0
    relations: int = 0
    triples: int = 0

    def __post_init__(self) -> None:
        # report.json and RDF need text: a file name that is not UTF-8 is shown escaped
        self.path = display_path(self.path)

    def to_dict(self) -> dict[str, Any]:
        # by hand, not dataclasses.asdict: a report lists every input (2 s for 10,000 with asdict)
        return {"path": self.path, "status": self.status, "reason": self.reason, "warnings": list(self.warnings),
                "doc_id": self.doc_id, "entities": self.entities, "relations": self.relations,
                "triples": self.triples}


@dataclass
class IngestReport:
    """Documents read, and a :class:`FileReport` for every input path."""

    documents: list[Document] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]


# --------------------------------------------------------------------------------------------
# Finding files


def iter_files(
    paths: Iterable[str | os.PathLike[str]], *, hidden: bool = False
) -> Iterator[tuple[Path, str | None]]:
    """Yield ``(path, problem)`` for every file below ``paths``, sorted, without following loops.

    ``problem`` is None for a file to read, or the reason a path cannot be read. Hidden files
    and folders are left out, or with ``hidden=True`` yielded with the problem :data:`HIDDEN`.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            yield path, "no such file or folder"
        elif path.is_symlink() and not path.exists():
            yield path, _link_problem(path)
        elif path.is_dir():
            yield from _walk(path, hidden)
        else:
            yield path, None


def _link_problem(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: the link points (through other links) back to itself"
        if exc.errno == errno.ENOENT:
            return "broken symbolic link: its target does not exist"
        return f"cannot follow symbolic link: {exc.strerror or exc}"
    return "symbolic link changed while reading the folder"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _walk(root: Path, hidden: bool) -> Iterator[tuple[Path, str | None]]:
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError as exc:
            yield folder, f"cannot open folder: {exc.strerror or exc}"
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            yield folder, "symbolic link loop: folder already visited"
            continue
        seen.add(ident)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            reason = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
            yield folder, f"cannot list folder: {reason}"
            continue
        subfolders = []
        for entry in entries:
            p = Path(entry.path)
            if entry.name.startswith("."):
                if hidden:  # .git, .DS_Store: not inputs, but accounted for
                    yield p, HIDDEN
                continue
            try:
                if entry.is_symlink():
                    try:
                        os.stat(p)
                    except OSError:
                        yield p, _link_problem(p)  # broken, or a loop (a -> b -> a)
                        continue
                if entry.is_dir():
                    subfolders.append(p)
                elif entry.is_file():
                    yield p, None
                else:
                    yield p, f"not a regular file: {_kind(entry.stat().st_mode)}"
            except OSError as exc:
                yield p, f"cannot stat: {exc.strerror or exc}"
        stack.extend(reversed(subfolders))


def list_inputs(
    paths: Iterable[str | os.PathLike[str]], *, strict: bool = False
) -> tuple[list[FileReport], list[Path]]:
    """Reports for the paths that will not be read, and the candidate files to read.

    Hidden files and unsupported types are ``skipped``; unreadable paths are ``failed`` (with
    ``strict=True`` the first one raises :class:`InputError`).
    """
    files: list[FileReport] = []
    candidates: list[Path] = []
    for path, problem in iter_files(paths, hidden=True):
        if problem == HIDDEN:
            files.append(FileReport(str(path), "skipped", HIDDEN))
        elif problem is not None:
            if strict:
                raise InputError(f"{display_path(path)}: {problem}")
            files.append(FileReport(str(path), "failed", problem))
        elif path.suffix.lower() not in TEXT_SUFFIXES:
            files.append(FileReport(str(path), "skipped", f"unsupported file type {path.suffix or '(none)'!r}"))
        else:
            candidates.append(path)
    return files, candidates


# --------------------------------------------------------------------------------------------
# Reading and decoding


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`InputError` otherwise.

    The file is opened without blocking and checked after opening, so a named pipe (even one
    swapped in after the folder was listed) is refused instead of hanging, and a file that grew
    past the limit is never read whole.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(_open_problem(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"not a regular file: {_kind(st.st_mode)}")
        if st.st_size > limit:
            raise InputError(f"file too large ({st.st_size} bytes; limit {limit}): split it or leave it out")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(f"file too large (grew past the limit of {limit} bytes while being read)")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(_open_problem(exc)) from None
    finally:
        os.close(fd)


def _open_problem(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied: the file is not readable"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if exc.errno == errno.ENOENT:
        return "no such file: it disappeared before it could be read"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop: the link points (through other links) back to itself"
    return f"cannot read: {exc.strerror or exc}"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: declared charsets that are believed; others (latin-1, cp1252) are usually wrong for Chinese text
_TRUSTED_DECLARATIONS = {"gb18030", "big5", "big5hkscs", "cp950", "cp936"}
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.I)
_FALLBACKS = ("gb18030", "big5", "utf-16-le", "utf-16-be")
_NAMES = {"gb18030": "GB18030", "big5": "Big5", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
          "utf-32-le": "UTF-32 LE", "utf-32-be": "UTF-32 BE", "utf-8": "UTF-8"}
_READABLE = 0.9  # share of plausible characters a fallback decoding needs


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Decode bytes: UTF-8 (BOM or not), a BOM's UTF-16/32, a declared charset, else the most
    readable of GB18030, Big5 and UTF-16 without BOM, with a warning.

    Returns ``(text, encoding, warnings)``; raises :class:`InputError` for empty or binary data.

    >>> decode("寒武纪".encode("utf-16"))[:2]
    ('寒武纪', 'utf-16-le')
    """
    if not data:
        raise InputError("empty file")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if not data.strip():
        raise InputError("empty file (only whitespace)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"starts with a {_NAMES[encoding]} byte order mark but is not valid "
                                 f"{_NAMES[encoding]} ({exc.reason} at byte {exc.start}); convert the file to UTF-8") from None
            if readability(text) < _READABLE:
                raise InputError(f"binary file: it starts like {_NAMES[encoding]} but does not decode to readable text")
            return text, encoding, [f"decoded as {_NAMES[encoding]} (byte order mark)"]
    declared = _declared_encoding(data)
    if declared in _TRUSTED_DECLARATIONS:
        try:
            return data.decode(declared), declared, [f"decoded as {declared}, as the file declares"]
        except UnicodeDecodeError:
            pass  # a wrong declaration: detect instead
    has_nul = b"\x00" in data
    if not has_nul:
        try:
            return data.decode("utf-8"), "utf-8", []
        except UnicodeDecodeError as exc:
            utf8 = _damaged_utf8(data, exc)
            if utf8 is not None:
                return utf8
            where = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
    else:
        where = "contains NUL bytes"
    best: tuple[float, str, str] | None = None
    for encoding in _FALLBACKS if not has_nul else _FALLBACKS[2:]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = readability(text)
        if best is None or score > best[0]:
            best = (score, encoding, text)
    if best is None or best[0] < _READABLE:
        if has_nul:
            raise InputError("binary file (contains NUL bytes and is not UTF-16 text); expected text, Markdown or HTML")
        raise InputError("binary file or unknown encoding: not UTF-8, and neither GB18030, Big5 nor UTF-16 "
                         "gives readable text; convert the file to UTF-8")
    score, encoding, text = best
    warn = [f"{where}; decoded as {_NAMES[encoding]}"]
    if encoding == "big5":
        warn.append("Big5 is traditional Chinese: names in simplified Chinese lists may not match; convert "
                    "the file to UTF-8 (and to simplified Chinese) for best results")
    if score < 0.98:
        warn.append(f"{100 * (1 - score):.0f}% of the characters are rare, unassigned or control characters: "
                    "the encoding may be wrong (mojibake); convert the file to UTF-8")
    return text, encoding, warn


def _declared_encoding(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name in {"gb2312", "gbk", "euc_cn", "hz"}:
        return "gb18030"  # a superset: files labelled GB2312 often hold GBK characters
    return name


def _damaged_utf8(data: bytes, exc: UnicodeDecodeError) -> tuple[str, str, list[str]] | None:
    """UTF-8 with a character cut at the end, or a few bad bytes: decoded, with a warning."""
    if exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
        try:
            return data[: exc.start].decode("utf-8"), "utf-8", [
                "the file ends in the middle of a UTF-8 character (truncated?); the incomplete character was dropped"
            ]
        except UnicodeDecodeError:
            pass
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in text if ord(ch) > 0x7F) - text.count("\ufffd")
    if bad and good >= 10 * bad:
        return text, "utf-8", [f"{bad} invalid UTF-8 byte sequence(s) replaced by U+FFFD (file damaged or truncated?)"]
    return None


def _common_han(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        return 0xA4 <= ch.encode("big5")[0] <= 0xC6  # Big5 level 1: the frequent characters
    except UnicodeEncodeError:
        return False


def readability(text: str, sample: int = 20000) -> float:
    """Share of plausible characters in ``text``: not control, private-use, unassigned or rare
    CJK. A wrong decoding (Big5 read as GB18030, byte-swapped UTF-16) scores far below 0.9.

    >>> readability("寒武纪发布思元芯片。") == 1.0
    True
    """
    chars = [ch for ch in text[:sample] if not ch.isspace()]
    if not chars:
        return 1.0
    bad = 0
    for ch in chars:
        o = ord(ch)
        if o < 0x80:
            bad += o < 0x20 or o == 0x7F
        elif 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
            bad += not _common_han(ch)
        elif 0xAC00 <= o <= 0xD7AF or 0xA000 <= o <= 0xA4CF or 0x100 <= o <= 0x2FF:
            bad += 1  # Hangul, Yi, Latin extensions: what misread bytes look like
        else:
            bad += unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")
    return 1 - bad / len(chars)


# --------------------------------------------------------------------------------------------
# Parsing


class _FrontMatterLoader(yaml.SafeLoader):
    """``SafeLoader`` that keeps dates as text: :func:`normalize_date` reads them, and a bad
    date (2022-13-45) becomes a warning instead of an unreadable file."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 2}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    tag = re.search(r"constructor for the tag '([^']*)'", problem)
    if tag:
        return (f"front matter uses the YAML tag {tag.group(1)!r}{where}, which is not allowed: only plain "
                "YAML (text, numbers, dates, lists, mappings) is read")
    if "\\t" in problem or "\t" in problem:
        problem += " (YAML does not allow tabs for indentation: use spaces)"
    return f"broken YAML front matter{where}: {problem}"


def _check_yaml(raw: str) -> list[str]:
    """Scan the YAML events before loading: refuse alias bombs and deep nesting, which
    ``safe_load`` would expand or recurse into; return warnings for duplicate top-level keys."""
    warn: list[str] = []
    aliases = 0
    stack: list[list[Any]] = []  # per open collection: [is_mapping, children so far, keys]
    for event in yaml.parse(raw, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise InputError(f"front matter has more than {MAX_YAML_ALIASES} YAML aliases "
                                 "(a possible alias bomb); front matter needs none")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_YAML_DEPTH:
                raise InputError(f"front matter is nested more than {MAX_YAML_DEPTH} levels deep")
            stack.append([isinstance(event, yaml.MappingStartEvent), 0, set()])
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(event, yaml.ScalarEvent) and len(stack) == 1 and stack[0][0] and stack[0][1] % 2 == 0:
            if event.value in stack[0][2]:
                warn.append(f"front matter key {event.value!r} appears more than once; the last value is used")
            stack[0][2].add(event.value)
        elif not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            continue  # stream and document events
        if stack:
            stack[-1][1] += 1  # one more complete child node
    return warn


def split_front_matter(text: str, warn: list[str] | None = None) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from the body; raise :class:`InputError` when it is broken.

    Warnings (duplicate keys) are appended to ``warn`` when given.

    >>> split_front_matter("---\\ntitle: 标题\\n---\\n正文")
    ({'title': '标题'}, '正文')
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    raw = match.group(1)
    if len(raw) > MAX_FRONT_MATTER:
        raise InputError(f"front matter too large ({len(raw)} characters; limit {MAX_FRONT_MATTER})")
    try:
        found = _check_yaml(raw)
        meta = yaml.load(raw, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise InputError(_yaml_problem(exc)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # values PyYAML recognises but cannot build, such as the date 2022-13-45
        raise InputError(f"front matter has a value that cannot be read: {exc}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError(f"front matter is a YAML {type(meta).__name__}, expected a mapping of keys")
    if warn is not None:
        warn.extend(found)
    return meta, text[match.end():]


# A document type with an internal subset (<!DOCTYPE x [ … ]>) leaves "]>" behind in lxml's
# HTML parser; a processing instruction opener (<?) swallows the next tag, script included.
_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.I | re.S)


_BLOCK_OPEN = re.compile(r"<\s*(script|style|iframe|noscript|template)\b", re.I)


def _strip_blocks(html: str) -> str:
    """Cut script, style and iframe blocks out of the markup before parsing, in one pass.

    Parsers disagree on broken markup (``<A<script>…``); cutting first means no parser quirk
    can let their content into the text. An unclosed block runs to the end.
    """
    out: list[str] = []
    pos = 0
    lower = html.lower()
    while True:
        m = _BLOCK_OPEN.search(html, pos)
        if m is None:
            out.append(html[pos:])
            return "".join(out)
        out.append(html[pos: m.start()])
        close = lower.find("</" + m.group(1).lower(), m.end())
        if close < 0:
            return "".join(out)
        end = lower.find(">", close)
        pos = len(html) if end < 0 else end + 1


def _soup(html: str):
    from bs4 import BeautifulSoup

    html = _DOCTYPE_SUBSET.sub("", html[:100_000], count=1) + html[100_000:]
    html = _strip_blocks(html.replace("<?", "&lt;?"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns about URL-like or file-name-like markup
        return BeautifulSoup(html, "lxml")


def html_paragraphs(html: str) -> list[str]:
    """Visible paragraphs of an HTML fragment: no tags, images, scripts or styles.

    The tree is walked with an explicit stack, so 10,000 nested ``<div>`` cost neither
    recursion nor quadratic time.

    >>> html_paragraphs('<div><p>一。</p><img src="x.png"><p>二 <b>三</b></p></div>')
    ['一。', '二 三']
    """
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    stack: list[Any] = [_soup(html)]
    while stack:
        node = stack.pop()
        if node is None:
            parts.append("\n\n")  # end of a block element
        elif isinstance(node, Tag):
            name = (node.name or "").lower()
            if name in _DROP_TAGS:
                continue
            if name == "br":
                parts.append("\n")
                continue
            if name in _BLOCK_TAGS:
                parts.append("\n\n")
                stack.append(None)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or instructions
            parts.append(str(node))
    return _paragraphs_of("".join(parts))


def html_metadata(html: str) -> dict[str, Any]:
    """Title, date, author and URL from a full HTML page's head, where present."""
    soup = _soup(html)
    meta: dict[str, Any] = {}
    wanted = {
        "og:title": "title", "article:published_time": "date", "author": "author",
        "og:url": "url", "og:image": "image", "date": "date", "pubdate": "date",
    }
    for tag in soup.find_all("meta"):
        name = str(tag.get("property") or tag.get("name") or "").lower()
        content = tag.get("content")
        if name in wanted and isinstance(content, str) and content and wanted[name] not in meta:
            meta[wanted[name]] = content
    if "title" not in meta and soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    canonical = soup.find("link", rel="canonical")
    if canonical and isinstance(canonical.get("href"), str) and "url" not in meta:
        meta["url"] = canonical["href"]
    return meta


# Bounded repeats that exclude their own delimiters: a line of 200,000 "[" or "*a " must cost
# linear, not quadratic, time.
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,1000}\]\([^()\n]{0,2000}\)")
_MD_LINK = re.compile(r"\[([^\[\]\n]{0,1000})\]\([^()\n]{0,2000}\)")
_MD_PREFIX = re.compile(r"^[ \t]{0,3}(#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)", re.M)
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.{1,300}?)(?<=\S)\1")


def markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs of a Markdown text with images, link targets, markup, inline HTML tags and
    comments removed, and HTML entities unescaped (as a Markdown renderer would).

    >>> markdown_paragraphs("# 标题\\n\\n**寒武纪** 发布 [思元](http://x)。![](a.png) &amp; &#x4e2d;")
    ['标题', '寒武纪 发布 思元。 & 中']
    """
    text = _drop_comments(text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_PREFIX.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _INLINE_TAG.sub("", text)
    return _paragraphs_of(html_lib.unescape(text))


def _drop_comments(text: str) -> str:
    # str.find, not a regex: many unclosed "<!--" must not cost quadratic time
    out, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        out.append(text[pos:start])
        end = text.find("-->", start + 4)
        pos = len(text) if end < 0 else end + 3
    out.append(text[pos:])
    return "".join(out)


def clean_line(text: str) -> str:
    """One line of clean text: no zero-width, bidi or control characters, no leftover script
    tags, single spaces, full-width letters and digits folded.

    >>> clean_line("寒\\u200b武纪\\x00  ＭＬＵ３７０ <script>")
    '寒武纪 MLU370'
    """
    text = _RESIDUAL_TAG.sub("", _CONTROL.sub("", _ZERO_WIDTH.sub("", text)))
    return fold_fullwidth_alnum(_WS.sub(" ", text.replace("\n", " ")).strip())


def _paragraphs_of(text: str) -> list[str]:
    out = []
    for block in _BLANK_LINES.split(text):
        line = clean_line(block)
        if line:
            out.append(line)
    return out


_CUTS = ("。！？!?", "；;，,、：:", " ")


def split_long(paragraph: str, limit: int = MAX_PARAGRAPH) -> list[str]:
    """Split a paragraph longer than ``limit`` characters: at a sentence end where possible,
    else after a comma or a space, else anywhere.

    >>> split_long("一二三。四五六。七八", limit=5)
    ['一二三。', '四五六。', '七八']
    """
    out = []
    while len(paragraph) > limit:
        window = paragraph[:limit]
        cut = -1
        for marks in _CUTS:
            cut = max(window.rfind(m) for m in marks)
            if cut >= limit // 3:
                break
        if cut < limit // 3:
            cut = limit - 1
        head, paragraph = paragraph[: cut + 1].strip(), paragraph[cut + 1:].strip()
        if head:
            out.append(head)
    if paragraph:
        out.append(paragraph)
    return out


def fold_fullwidth_alnum(text: str) -> str:
    """Full-width Latin letters and digits to ASCII; keeps length, so offsets stay valid.

    >>> fold_fullwidth_alnum("ＭＬＵ３７０，")
    'MLU370，'
    """
    return text.translate(_FULLWIDTH_ALNUM)


_FULLWIDTH_ALNUM = {
    cp: cp - 0xFEE0
    for cp in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))
}


def normalize_date(value: Any) -> str | None:
    """An ISO date from RFC 2822 (``Sat, 16 Apr 2022 03:07:07 GMT``), ISO text or a date object.

    Raises :class:`InputError` (only) when ``value`` is not a date.

    >>> normalize_date("Sat, 16 Apr 2022 03:07:07 GMT")
    '2022-04-16'
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InputError(f"front matter 'date' is a {type(value).__name__}, expected a date")
    text = value.strip()
    if len(text) > 100:
        raise InputError(f"front matter 'date' is not a date: {text[:40]!r}…")
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except (ValueError, OverflowError):
        pass
    match = re.match(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", text)
    if match:
        y, m, d = (int(g) for g in match.groups())
        try:
            return dt.date(y, m, d).isoformat()
        except ValueError:
            pass
    raise InputError(f"front matter 'date' is not a date: {text[:40]!r}")


def _str_or_none(meta: dict[str, Any], key: str, warn: list[str]) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return clean_line(str(value)) or None
    warn.append(f"front matter {key!r} is a {type(value).__name__}, expected text; ignored")
    return None


def _categories(value: Any, warn: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [clean_line(value)] if clean_line(value) else []
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [clean_line(str(v)) for v in value if clean_line(str(v))]
    warn.append(f"front matter 'categories' is a {type(value).__name__}, expected a list of names; ignored")
    return []


def parse_document(path: Path, data: bytes, *, doc_id: str | None = None) -> Document:
    """Turn the bytes of one file into a :class:`Document`; raise :class:`InputError` if impossible."""
    text, encoding, warn = decode(data)
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {}
    if suffix in {".html", ".htm", ".xhtml"}:
        fmt = "html"
        meta = html_metadata(text)
        paragraphs = html_paragraphs(text)
    else:
        meta, body = split_front_matter(text, warn)
        is_html = bool(_HTML_HINT.search(body))
        if meta:
            fmt = "markdown+html" if is_html else "markdown"
        elif suffix in {".md", ".markdown", ".mdown"}:
            fmt = "markdown+html" if is_html else "markdown"
        else:
            fmt = "html" if is_html else "text"
        if is_html:
            paragraphs = html_paragraphs(body)
        elif fmt == "markdown":
            paragraphs = markdown_paragraphs(body)
        else:
            paragraphs = _paragraphs_of(body)

    title = _str_or_none(meta, "title", warn)
    try:
        date = normalize_date(meta.get("date"))
    except InputError as exc:
        warn.append(str(exc))
        date = None
    url = _str_or_none(meta, "url", warn) or _str_or_none(meta, "link", warn) or _str_or_none(
        meta, "source", warn
    )
    image = _str_or_none(meta, "image", warn) or _str_or_none(meta, "headimg", warn) or _str_or_none(
        meta, "thumbnail", warn
    )
    if title and len(title) > MAX_PARAGRAPH:
        warn.append(f"title longer than {MAX_PARAGRAPH} characters; cut")
        title = title[:MAX_PARAGRAPH].strip()
    if not paragraphs and not title:
        raise InputError("no text: the file has no paragraphs after removing markup")
    if any(len(p) > MAX_PARAGRAPH for p in paragraphs):
        long = sum(len(p) > MAX_PARAGRAPH for p in paragraphs)
        paragraphs = [piece for p in paragraphs for piece in split_long(p)]
        warn.append(f"{long} paragraph(s) longer than {MAX_PARAGRAPH} characters split into shorter ones "
                    "(very long sentences make extraction slow)")

    # The title is the first paragraph: the NLP stage sees it too.
    blocks = ([title] if title else []) + paragraphs
    spans: list[tuple[int, int]] = []
    pos = 0
    for block in blocks:
        spans.append((pos, pos + len(block)))
        pos += len(block) + 2
    clean = "\n\n".join(blocks)
    if len(clean) > MAX_TEXT_CHARS:
        raise InputError(f"text too long ({len(clean)} characters after removing markup; limit "
                         f"{MAX_TEXT_CHARS}): split the file")

    name = display_path(path)
    if name != os.fspath(path):
        warn.append("the file name is not valid UTF-8; it is shown with \\x escapes")
    return Document(
        doc_id=doc_id or doc_slug(path.stem),
        path=name,
        text=clean,
        content_hash=hashlib.sha256(data).hexdigest(),
        title=title,
        date=date,
        author=_str_or_none(meta, "author", warn),
        categories=_categories(meta.get("categories") or meta.get("tags"), warn),
        image=image,
        url=url,
        format=fmt,
        encoding=encoding,
        paragraphs=spans,
        warnings=warn,
    )


def read_document(path: str | os.PathLike[str], *, doc_id: str | None = None) -> Document:
    """Read one file into a :class:`Document`; raise :class:`InputError` with the reason if not."""
    path = Path(path)
    return parse_document(path, read_bytes(path), doc_id=doc_id)


def ingest(paths: Iterable[str | os.PathLike[str]], *, strict: bool = False) -> IngestReport:
    """Read every supported file below ``paths``; report every path as ok, skipped or failed.

    With ``strict=True`` the first failure raises :class:`InputError` instead.
    """
    report = IngestReport()
    report.files, candidates = list_inputs(paths, strict=strict)
    ids = assign_doc_ids(candidates)
    for path in candidates:
        try:
            doc = read_document(path, doc_id=ids[path])
        except InputError as exc:
            if strict:
                raise InputError(f"{display_path(path)}: {exc}") from None
            report.files.append(FileReport(str(path), "failed", str(exc)))
            continue
        report.documents.append(doc)
        report.files.append(FileReport(str(path), "ok", warnings=list(doc.warnings), doc_id=doc.doc_id))
    return report


def doc_slug(stem: str) -> str:
    """An ASCII document id of at most 80 characters from a file stem: ``01_nvidia_orin`` →
    ``01-nvidia-orin``."""
    stem = display_path(stem)
    slug = ""
    if stem.isascii():
        slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if not slug:
        slug = slugify(stem)
    if len(slug) > MAX_DOC_ID:  # file names near 255 bytes must still fit cache/<id>.json
        slug = slug[: MAX_DOC_ID - 9].rstrip("-") + "-" + hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    return slug


def assign_doc_ids(paths: list[Path]) -> dict[Path, str]:
    """Stable ASCII document ids from file names; clashing names get a path hash suffix."""
    by_slug: dict[str, list[Path]] = {}
    for p in paths:
        by_slug.setdefault(doc_slug(p.stem), []).append(p)
    ids = {}
    for slug, group in by_slug.items():
        for p in group:
            if len(group) == 1:
                ids[p] = slug
            else:
                digest = hashlib.sha1(os.fsencode(p.resolve())).hexdigest()[:8]
                ids[p] = f"{slug}-{digest}"
    return ids
