"""The build cache: the manifest (JSON Lines) and the records it keeps."""

from __future__ import annotations

import json

import pytest

from kg.cache import MANIFEST, BuildCache, DocRecord
from kg.resolve import Summary


def _record(doc_id: str) -> DocRecord:
    return DocRecord(doc_id=doc_id, path=f"{doc_id}.txt", content_hash="h" + doc_id,
                     entities=[Summary("e0", "Company", "寒武纪", "cambricon")], chars=3, digest="d", quads=5)


def test_cache_manifest_round_trips_records(tmp_path):
    cache = BuildCache(tmp_path)
    cache.save({"a": _record("a"), "b": _record("b")}, {"a": "d", "b": "d"}, {"files": {}, "sections": {}})
    again = BuildCache(tmp_path)
    assert again.store_state == {"a": "d", "b": "d"} and again.layout == {"files": {}, "sections": {}}
    rec = again.record("a", "ha")
    assert rec == _record("a") and rec.raw  # read with its manifest line
    assert again.record("a", "other bytes") is None


@pytest.mark.parametrize("change", [
    lambda r: setattr(r, "path", "moved.txt"),
    lambda r: setattr(r, "keys", {"e0": ("Company", "x")}),
    lambda r: setattr(r, "digest", "new"),
])
def test_cache_changed_record_is_written_anew(tmp_path, change):
    BuildCache(tmp_path).save({"a": _record("a")}, None)
    cache = BuildCache(tmp_path)
    rec = cache.record("a", "ha")
    change(rec)
    assert rec.raw == ""
    cache.save({"a": rec}, None)
    (doc_id, entry), = [json.loads(line) for line in (tmp_path / MANIFEST).read_text(encoding="utf-8").splitlines()[1:]]
    assert DocRecord.from_dict(doc_id, entry) == rec


@pytest.mark.parametrize("text", ["", "not json\n", '{"version": 2}\n', '{"version": 3}\n["a", {"path": 1\n'])
def test_cache_damaged_or_old_manifest_means_a_full_build(tmp_path, text):
    (tmp_path / MANIFEST).write_text(text, encoding="utf-8")
    cache = BuildCache(tmp_path)
    assert not cache.known("a") and cache.store_state is None and cache.layout is None
