"""The on-disk cache behind ``load_pipeline``: same output warm or cold, damage and odd homes ignored."""

from __future__ import annotations

import io
import os
import pickle
import shutil
from pathlib import Path

import pytest

from kg import gazetteer as gazetteer_module
from kg import nlp as nlp_module
from kg.components import ent_info
from kg.gazetteer import cache_dir, cache_load, cache_load_bytes, cache_save_bytes, gazetteer_fingerprint, load_gazetteer

from .conftest import SEED_FILE

TEXTS = [
    "寒武纪与招商银行合作。",
    "公司推出了 MLU370-X4 加速卡，功耗 150W，支持 INT8。",
    "理想汽车在江苏昆山建设工厂，小米粥不是小米。",
    "戴尔、惠普和联想的服务器采用英伟达 A100 芯片。",
]


def _clear_memory_caches() -> None:
    nlp_module._load.cache_clear()
    gazetteer_module._load_gazetteer.cache_clear()


def _outputs(nlp) -> list:
    from kg.ingest import read_document

    texts = TEXTS + [read_document(SEED_FILE).text]
    out = []
    for text in texts:
        doc = nlp(text)
        out.append((
            [(t.text, t.tag_, t.whitespace_, t.is_sent_start) for t in doc],
            [(e.start_char, e.end_char, e.label_, e.kb_id_, ent_info(doc, e)) for e in doc.ents],
        ))
    return out


def _extraction(nlp) -> dict:
    from kg.cache import extraction_to_dict
    from kg.extract import extract
    from kg.ingest import read_document

    return extraction_to_dict(extract(read_document(SEED_FILE), nlp))


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A pipeline built with an empty cache folder, its output, and the entries it wrote."""
    folder = tmp_path_factory.mktemp("kg-cache") / "cold"
    saved = os.environ.get("KG_CACHE_DIR")
    os.environ["KG_CACHE_DIR"] = str(folder)
    _clear_memory_caches()
    try:
        nlp = nlp_module.load_pipeline()
        result = {"folder": folder, "outputs": _outputs(nlp), "extraction": _extraction(nlp),
                  "tokenizer_loaded_from_cache": nlp.tokenizer._tag_table is not None}
    finally:
        _clear_memory_caches()
        if saved is None:
            os.environ.pop("KG_CACHE_DIR", None)
        else:
            os.environ["KG_CACHE_DIR"] = saved
    return result


@pytest.fixture
def cache_copy(cold, tmp_path, monkeypatch):
    """A copy of the cold build's cache folder, in use for this test only."""
    folder = tmp_path / "cache"
    shutil.copytree(cold["folder"], folder)
    monkeypatch.setenv("KG_CACHE_DIR", str(folder))
    _clear_memory_caches()
    yield folder
    _clear_memory_caches()


def test_nlp_cold_build_fills_the_cache(cold):
    names = sorted(p.name.rsplit("-", 1)[0] for p in cold["folder"].glob("*.bin"))
    # the gazetteer, its automaton, jieba's dictionary as shipped and as taught
    assert names == ["gazetteer", "jieba-dictionary", "jieba-taught", "name-automaton"]
    assert not cold["tokenizer_loaded_from_cache"]
    assert not list(cold["folder"].glob(".*.tmp"))


def test_nlp_cache_hit_gives_the_cold_output(cold, cache_copy):
    nlp = nlp_module.load_pipeline()
    assert nlp.tokenizer._tag_table is not None  # the dictionary came from the cache
    assert _outputs(nlp) == cold["outputs"]
    assert _extraction(nlp) == cold["extraction"]
    # the whole POS table, built from the cached one, is jieba's
    import jieba.posseg

    table = nlp.tokenizer.word_tags()
    assert {w: t for w, t in table.items() if w not in nlp.tokenizer._jieba.user_word_tag_tab} \
        == jieba.posseg.dt.word_tag_tab


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_nlp_damaged_cache_is_ignored_and_rebuilt(cold, cache_copy, damage):
    files = sorted(cache_copy.glob("*.bin"))
    for path in files:
        data = path.read_bytes()
        if damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "flip":
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        elif damage == "garbage":
            data = os.urandom(len(data))
        else:
            data = b""
        path.write_bytes(data)
    nlp = nlp_module.load_pipeline()
    assert _outputs(nlp) == cold["outputs"]
    # every entry was written again and is whole
    for path in files:
        key = path.read_bytes().split(b"\n", 2)[1].decode()
        assert key and path.name.endswith(f"-{key[:40]}.bin")
        assert cache_load_bytes(path.name.rsplit("-", 1)[0], key) is not None


def test_nlp_cache_entry_that_would_run_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo should not run",))

    buf = io.BytesIO()
    pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(Evil())
    assert cache_save_bytes("gazetteer", "k" * 64, buf.getvalue())  # a valid entry …
    assert cache_load_bytes("gazetteer", "k" * 64) is not None
    assert cache_load("gazetteer", "k" * 64) is None  # … that is not unpickled


def _small_gazetteer(folder: Path, company_name: str = "寒武纪") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "companies.tsv").write_text(
        "key\tname_zh\taliases_zh\tname_en\taliases_en\tqid\tsector\tcountry\tticker\tneeds_context\n"
        f"cambricon\t{company_name}\t中科寒武纪\tCambricon\t\t\tchips\tCN\t\t0\n", encoding="utf-8")
    (folder / "places.tsv").write_text(
        "key\tname\taliases\tlevel\tparent_key\tcountry\tneeds_context\n"
        "kunshan\t昆山\t\tcounty\tsuzhou\tCN\t0\n", encoding="utf-8")
    return folder


def test_nlp_gazetteer_fingerprint_follows_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    folder = _small_gazetteer(tmp_path / "gaz")
    first = gazetteer_fingerprint(folder)
    assert first and first == gazetteer_fingerprint(folder)
    _clear_memory_caches()
    try:
        assert [e.key for e in load_gazetteer(str(folder)).find("寒武纪")] == ["cambricon"]
        assert list((tmp_path / "cache").glob("gazetteer-*.bin"))

        _small_gazetteer(folder, company_name="寒武纪科技")  # the file changes
        assert gazetteer_fingerprint(folder) != first
        _clear_memory_caches()
        gaz = load_gazetteer(str(folder))
        assert gaz.find("寒武纪") == [] and [e.key for e in gaz.find("寒武纪科技")] == ["cambricon"]

        (folder / "products.tsv").write_text("key\tname\taliases\tname_en\tdeveloper_key\tsubtype\tneeds_context\n",
                                             encoding="utf-8")  # a file appears
        assert gazetteer_fingerprint(folder) not in {first, ""}
    finally:
        _clear_memory_caches()


def test_nlp_gazetteer_from_cache_equals_the_files(tmp_path, monkeypatch):
    from kg.gazetteer import read_gazetteer
    from kg.resources import resource_path

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    _clear_memory_caches()
    try:
        load_gazetteer()
        _clear_memory_caches()
        cached = load_gazetteer()
        fresh = read_gazetteer(resource_path("data", "gazetteers"))
        assert cached == fresh and cached.index == fresh.index and cached.product_lines == fresh.product_lines
        assert list(cached.index) == list(fresh.index)
    finally:
        _clear_memory_caches()


def test_nlp_cache_folder_location(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("KG_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "kg"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "kg"


def test_nlp_works_without_a_usable_cache_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    folder = _small_gazetteer(tmp_path / "gaz")
    for setting in ("unwritable", "no-home"):
        if setting == "unwritable":
            monkeypatch.setenv("KG_CACHE_DIR", str(blocker / "cache"))  # cannot be created
        else:
            monkeypatch.delenv("KG_CACHE_DIR", raising=False)
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

            def no_home():
                raise RuntimeError("Could not determine home directory.")

            monkeypatch.setattr(Path, "home", staticmethod(no_home))
            assert cache_dir() is None
        _clear_memory_caches()
        try:
            assert [e.key for e in load_gazetteer(str(folder)).find("中科寒武纪")] == ["cambricon"]
            assert not cache_save_bytes("gazetteer", "k" * 64, b"payload")
            assert cache_load_bytes("gazetteer", "k" * 64) is None
        finally:
            _clear_memory_caches()


def test_nlp_cache_keeps_a_few_entries_per_name(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    assert cache_save_bytes("gazetteer-other", "f" * 64, b"kept")  # a name that starts alike
    for n in range(6):
        assert cache_save_bytes("gazetteer", f"{n}" * 64, b"payload")
        os.utime(tmp_path / f"gazetteer-{str(n) * 40}.bin", (1000 + n, 1000 + n))
    left = sorted(p.name for p in tmp_path.glob("gazetteer-*.bin"))
    assert left == [f"gazetteer-{str(n) * 40}.bin" for n in (3, 4, 5)] + [f"gazetteer-other-{'f' * 40}.bin"]
    assert cache_load_bytes("gazetteer-other", "f" * 64) == b"kept"
    assert cache_load_bytes("gazetteer", "5" * 64) == b"payload"
