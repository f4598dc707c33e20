"""Ingestion: formats, metadata, clean text, paragraph offsets and bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.ingest import ingest, normalize_date, read_document

from .conftest import SEED_FILE


def test_ingest_seed_metadata_and_text():
    doc = read_document(SEED_FILE)
    assert doc.title == "寒武纪 2021 年营收 7.21 亿元同比增长 57.12%，思元 220 智能芯片及加速卡出货近百万片"
    assert doc.date == "2022-04-16"
    assert doc.author == "IT 之家"
    assert doc.categories == ["新媒体", "IT 之家", "分类资讯"]
    assert doc.image.startswith("https://img.ithome.com/")
    assert doc.format == "markdown+html"
    # the title plus the 11 text paragraphs (the image-only paragraph is dropped)
    assert len(doc.paragraphs) == 12
    assert doc.text.startswith(doc.title)


def test_ingest_seed_text_has_no_markup_or_urls():
    doc = read_document(SEED_FILE)
    for bad in ("<", ">", "data-vmark", "img.ithome.com", "referrerpolicy", "&nbsp;"):
        assert bad not in doc.text
    assert "寒武纪积极参与并成功中标昆山智能计算中心等项目" in doc.text


def test_ingest_paragraph_offsets_point_at_paragraphs():
    doc = read_document(SEED_FILE)
    first_body = doc.text[doc.paragraphs[1][0]: doc.paragraphs[1][1]]
    assert first_body.startswith("集微网报道 4 月 16 日")
    assert first_body.endswith("同比上年增长 101.01%。")
    for (s1, e1), (s2, _) in zip(doc.paragraphs, doc.paragraphs[1:]):
        assert doc.text[e1:s2] == "\n\n"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Sat, 16 Apr 2022 03:07:07 GMT", "2022-04-16"),
        ("2022-04-16T10:00:00+08:00", "2022-04-16"),
        ("2022年4月6日", "2022-04-06"),
        (None, None),
    ],
)
def test_ingest_normalize_date(value, expected):
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    "name, content, fmt, text",
    [
        ("a.md", "# 标题\n\n**寒武纪** 发布 [思元](http://x)。\n", "markdown", "标题\n\n寒武纪 发布 思元。"),
        ("b.html", "<html><head><title>T</title><script>var x=1</script></head><body><p>一</p><p>二</p></body></html>",
         "html", "T\n\n一\n\n二"),
        ("c.txt", "第一段。\n\n第二段。", "text", "第一段。\n\n第二段。"),
        ("d.md", "---\ntitle: 标题\n---\n正文 ＭＬＵ３７０。", "markdown", "标题\n\n正文 MLU370。"),
    ],
)
def test_ingest_formats(tmp_path, name, content, fmt, text):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == fmt
    assert doc.text == text


def test_ingest_gb18030_fallback_warns(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("寒武纪发布思元芯片。".encode("gb18030"))
    report = ingest([path])
    assert report.documents[0].text == "寒武纪发布思元芯片。"
    assert report.documents[0].encoding == "gb18030"
    assert any("GB18030" in w for w in report.files[0].warnings)


def test_ingest_utf8_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff寒武纪".encode("utf-8"))
    assert read_document(path).text == "寒武纪"


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Write the bad inputs of the walking-skeleton issue; return name → expected reason."""
    (folder / "empty.md").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "broken.md").write_text("---\ntitle: [unclosed\ndate: x\n---\n正文", encoding="utf-8")
    (folder / "latin1.txt").write_bytes(b"\xff\xfe\x00\x01" + bytes([0x80, 0x81]) * 4)
    unreadable = folder / "secret.md"
    unreadable.write_text("寒武纪", encoding="utf-8")
    unreadable.chmod(0)
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n")
    return {
        "empty.md": "empty file",
        "binary.txt": "binary",
        "broken.md": "broken YAML front matter",
        "latin1.txt": "binary",
        "secret.md": "permission denied",
        "picture.png": "unsupported file type",
    }


def test_ingest_bad_inputs_are_reported_and_the_rest_goes_on(tmp_path):
    expected = _bad_inputs(tmp_path)
    (tmp_path / "good.txt").write_text("寒武纪与招商银行合作。", encoding="utf-8")
    report = ingest([tmp_path])
    by_name = {Path(f.path).name: f for f in report.files}
    assert set(by_name) == set(expected) | {"good.txt"}
    if os.geteuid() == 0:  # root reads files whatever their mode
        expected.pop("secret.md")
        assert by_name["secret.md"].status == "ok"
    for name, reason in expected.items():
        assert reason in by_name[name].reason, (name, by_name[name].reason)
        assert by_name[name].status == ("skipped" if name.endswith(".png") else "failed")
    assert by_name["good.txt"].status == "ok"
    assert [d.text for d in report.documents if d.path.endswith("good.txt")] == ["寒武纪与招商银行合作。"]


def test_ingest_strict_raises_on_first_failure(tmp_path):
    (tmp_path / "empty.md").write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        ingest([tmp_path], strict=True)


def test_ingest_missing_path_is_reported(tmp_path):
    report = ingest([tmp_path / "nope"])
    assert report.files[0].status == "failed"
    assert "no such file" in report.files[0].reason


def test_ingest_file_report_to_dict_has_every_field():
    from dataclasses import asdict

    from kg.ingest import FileReport

    report = FileReport("a.md", "failed", reason="bad", warnings=["w"], doc_id="a", entities=2, relations=1, triples=9)
    assert report.to_dict() == asdict(report)  # written by hand for speed: must not miss a field
