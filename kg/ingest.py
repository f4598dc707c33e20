"""Read news posts from files and folders into clean-text :class:`~kg.model.Document` objects.

Formats: Markdown with YAML front matter and an HTML or Markdown body (the IT之家 mirror's
format), Markdown, HTML and plain text. Every input path ends up in the :class:`IngestReport`
as ``ok``, ``skipped`` or ``failed`` with a reason, so nothing is silently lost.

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

import datetime as dt
import email.utils
import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .iri import slugify
from .model import Document

TEXT_SUFFIXES = {".md", ".markdown", ".mdown", ".txt", ".text", ".html", ".htm", ".xhtml"}
MAX_BYTES = 20 * 1024 * 1024  # larger files are refused: no news post is this long
MAX_FRONT_MATTER = 64 * 1024

_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HTML_HINT = re.compile(r"<\s*(p|div|br|span|html|body|h[1-6]|article|section|ul|li|table)\b", re.I)
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BLANK_LINES = re.compile(r"\n\s*\n")
_BLOCK_TAGS = (
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "td",
    "th", "section", "article", "header", "footer", "figcaption", "dd", "dt", "table", "ul", "ol",
)
_DROP_TAGS = ("script", "style", "img", "iframe", "noscript", "svg", "object", "embed", "video",
              "audio", "picture", "source", "template", "head", "canvas", "form", "button")


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, str | None]]:
    """Yield ``(path, problem)`` for every file below ``paths``, sorted, without following loops.

    ``problem`` is None for a file to read, or the reason a path cannot be read.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            yield path, "no such file or folder"
        elif path.is_dir():
            yield from _walk(path)
        elif path.is_symlink() and not path.exists():
            yield path, "broken symbolic link"
        else:
            yield path, None


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
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
            yield folder, f"cannot list folder: {exc.strerror or exc}"
            continue
        subfolders = []
        for entry in entries:
            p = Path(entry.path)
            if entry.name.startswith("."):
                continue  # hidden files and folders (.git, .DS_Store) are not inputs
            try:
                if entry.is_dir():
                    subfolders.append(p)
                elif entry.is_file():
                    yield p, None
                elif entry.is_symlink():
                    yield p, "broken symbolic link"
                else:
                    yield p, "not a regular file"
            except OSError as exc:
                yield p, f"cannot stat: {exc.strerror or exc}"
        stack.extend(reversed(subfolders))


# --------------------------------------------------------------------------------------------
# Decoding


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Decode bytes as UTF-8 (BOM or not), else GB18030 with a warning.

    Returns ``(text, encoding, warnings)``; raises :class:`InputError` for binary data.
    """
    if not data.strip():
        raise InputError("empty file")
    if b"\x00" in data[:8192]:
        raise InputError("binary file (contains NUL bytes); expected text, Markdown or HTML")
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(
            f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and not GB18030; "
            "convert the file to UTF-8"
        ) from None
    if _looks_garbled(text):
        raise InputError("binary or unknown encoding: neither UTF-8 nor GB18030 gives readable text")
    return text, "gb18030", [f"not valid UTF-8 (byte {utf8_error.start}); decoded as GB18030"]


def _looks_garbled(text: str) -> bool:
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls > max(8, len(text[:4096]) // 50)


# --------------------------------------------------------------------------------------------
# Parsing


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from the body; raise :class:`InputError` when it is broken."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    raw = match.group(1)
    if len(raw) > MAX_FRONT_MATTER:
        raise InputError(f"front matter too large ({len(raw)} characters; limit {MAX_FRONT_MATTER})")
    if raw.count("*") > 100 and raw.count("&") > 10:
        raise InputError("front matter has too many YAML aliases (possible alias bomb)")
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"broken YAML front matter{where}: {problem}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError(f"front matter is a YAML {type(meta).__name__}, expected a mapping of keys")
    return meta, text[match.end():]


def html_paragraphs(html: str) -> list[str]:
    """Visible paragraphs of an HTML fragment: no tags, images, scripts or styles.

    >>> html_paragraphs('<div><p>一。</p><img src="x.png"><p>二 <b>三</b></p></div>')
    ['一。', '二 三']
    """
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns about URL-like or file-name-like markup
        soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.append("\n\n")
    return _paragraphs_of(soup.get_text())


def html_metadata(html: str) -> dict[str, Any]:
    """Title, date, author and URL from a full HTML page's head, where present."""
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(html, "lxml")
    meta: dict[str, Any] = {}
    wanted = {
        "og:title": "title", "article:published_time": "date", "author": "author",
        "og:url": "url", "og:image": "image", "date": "date", "pubdate": "date",
    }
    for tag in soup.find_all("meta"):
        name = (tag.get("property") or tag.get("name") or "").lower()
        if name in wanted and tag.get("content") and wanted[name] not in meta:
            meta[wanted[name]] = tag["content"]
    if "title" not in meta and soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href") and "url" not in meta:
        meta["url"] = canonical["href"]
    return meta


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.M)
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs of a Markdown text with images, link targets and markup removed.

    >>> markdown_paragraphs("# 标题\\n\\n**寒武纪** 发布 [思元](http://x)。![](a.png)")
    ['标题', '寒武纪 发布 思元。']
    """
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_PREFIX.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return _paragraphs_of(text)


def _paragraphs_of(text: str) -> list[str]:
    out = []
    for block in _BLANK_LINES.split(_ZERO_WIDTH.sub("", text)):
        line = _WS.sub(" ", block.replace("\n", " ")).strip()
        if line:
            out.append(fold_fullwidth_alnum(line))
    return out


def fold_fullwidth_alnum(text: str) -> str:
    """Full-width Latin letters and digits to ASCII; keeps length, so offsets stay valid."""
    return text.translate(_FULLWIDTH_ALNUM)


_FULLWIDTH_ALNUM = {
    cp: cp - 0xFEE0
    for cp in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))
}


def normalize_date(value: Any) -> str | None:
    """An ISO date from RFC 2822 (``Sat, 16 Apr 2022 03:07:07 GMT``), ISO text or a date object.

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
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
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
        return str(value).strip() or None
    warn.append(f"front matter {key!r} is a {type(value).__name__}; ignored")
    return None


def _categories(value: Any, warn: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    warn.append("front matter 'categories' is not a list of names; ignored")
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
        meta, body = split_front_matter(text)
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
    if title:
        title = fold_fullwidth_alnum(_WS.sub(" ", _ZERO_WIDTH.sub("", title)).strip())
    if not paragraphs and not title:
        raise InputError("no text: the file has no paragraphs after removing markup")

    # The title is the first paragraph: the NLP stage sees it too.
    blocks = ([title] if title else []) + paragraphs
    spans: list[tuple[int, int]] = []
    pos = 0
    for block in blocks:
        spans.append((pos, pos + len(block)))
        pos += len(block) + 2
    clean = "\n\n".join(blocks)

    return Document(
        doc_id=doc_id or doc_slug(path.stem),
        path=str(path),
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
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file too large ({size} bytes; limit {MAX_BYTES})")
        data = path.read_bytes()
    except PermissionError:
        raise InputError("permission denied: the file is not readable") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    return parse_document(path, data, doc_id=doc_id)


def ingest(paths: Iterable[str | os.PathLike[str]], *, strict: bool = False) -> IngestReport:
    """Read every supported file below ``paths``; report every path as ok, skipped or failed.

    With ``strict=True`` the first failure raises :class:`InputError` instead.
    """
    report = IngestReport()
    candidates: list[Path] = []
    for path, problem in iter_files(paths):
        if problem is not None:
            report.files.append(FileReport(str(path), "failed", problem))
            if strict:
                raise InputError(f"{path}: {problem}")
        elif path.suffix.lower() not in TEXT_SUFFIXES:
            report.files.append(
                FileReport(str(path), "skipped", f"unsupported file type {path.suffix or '(none)'!r}")
            )
        else:
            candidates.append(path)
    ids = assign_doc_ids(candidates)
    for path in candidates:
        try:
            doc = read_document(path, doc_id=ids[path])
        except InputError as exc:
            if strict:
                raise InputError(f"{path}: {exc}") from None
            report.files.append(FileReport(str(path), "failed", str(exc)))
            continue
        report.documents.append(doc)
        report.files.append(FileReport(str(path), "ok", warnings=list(doc.warnings), doc_id=doc.doc_id))
    return report


def doc_slug(stem: str) -> str:
    """An ASCII document id from a file stem: ``01_nvidia_orin`` → ``01-nvidia-orin``."""
    if stem.isascii():
        slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
        if slug:
            return slug
    return slugify(stem)


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
                digest = hashlib.sha1(str(p.resolve()).encode("utf-8")).hexdigest()[:8]
                ids[p] = f"{slug}-{digest}"
    return ids
