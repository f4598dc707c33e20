"""spaCy components that tag Company, Product and Site mentions in Chinese news text.

The pipeline (``kg/data/pipeline.cfg``) runs them in order of precedence:

* ``kg_sentences``: sentence starts after 。！？ and paragraph breaks;
* ``kg_gazetteer``: names from the gazetteers, matched on characters and kept only where they
  agree with the segmenter's token boundaries (so 小米粥 is not 小米);
* ``kg_patterns``: names that no list knows, found by their shape (model codes, product line plus
  number, company and facility suffixes, context cues);
* ``kg_fallback``: proper nouns tagged by jieba's part-of-speech model.

Each component adds entities that do not overlap the ones already in ``doc.ents``; details of
every entity (gazetteer key, subtype, rule, confidence) are kept in ``doc.user_data["kg"]``.

Example:
    >>> from kg.nlp import load_pipeline
    >>> doc = load_pipeline()("寒武纪与招商银行合作。")
    >>> [(e.text, e.label_) for e in doc.ents]
    [('寒武纪', 'Company'), ('招商银行', 'Company')]
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, registry

from .gazetteer import Entry, Gazetteer, cache_load, cache_load_bytes, cache_save, cache_save_bytes, code_digest, \
    fingerprint, load_gazetteer

LABELS = ("Company", "Product", "Site")

# ``doc.user_data`` keys of the per-document caches below
_TEXT_KEY = "kg.text"
_TOKENS_KEY = "kg.tokens"


def doc_text(doc: Doc) -> str:
    """The text of ``doc``, computed once per document.

    ``Doc.text`` joins every token (creating a Python object for each) on every call. A Doc's
    text never changes, not even when it is retokenized, so the value can be kept.
    """
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


@dataclass
class TokenTable:
    """Per-token texts, trailing spaces and tags of a Doc, as plain lists.

    Reading ``doc[i].text`` creates a Token object each time; components that scan every
    token read these lists instead. Components never change tokens or tags, so the table stays
    valid while the pipeline runs.
    """

    texts: list[str]
    spaces: list[bool]
    tags: list[str]


def token_table(doc: Doc) -> TokenTable:
    """The :class:`TokenTable` of ``doc`` (built by the tokenizer, else here once)."""
    table = doc.user_data.get(_TOKENS_KEY)
    if table is None or len(table.texts) != len(doc):
        table = TokenTable([t.text for t in doc], [bool(t.whitespace_) for t in doc], [t.tag_ for t in doc])
        doc.user_data[_TOKENS_KEY] = table
    return table


@dataclass
class EntInfo:
    """What kg knows about one entity span, beyond its label."""

    rule: str
    confidence: float
    key: str = ""  # gazetteer key
    subtype: str = ""


def ent_info(doc: Doc, span: Span) -> EntInfo:
    """The :class:`EntInfo` of an entity span (a default one when none was recorded)."""
    return doc.user_data.get("kg", {}).get((span.start_char, span.end_char), EntInfo("unknown", 0.5))


def set_info(doc: Doc, span: Span, info: EntInfo) -> None:
    """Record what kg knows about an entity span (read back with :func:`ent_info`)."""
    doc.user_data.setdefault("kg", {})[(span.start_char, span.end_char)] = info


def add_entities(doc: Doc, candidates: Iterable[tuple[Span, EntInfo]], *, replace_inside: bool = False) -> None:
    """Add candidate spans to ``doc.ents`` where they do not clash with existing entities.

    Longer candidates win over shorter ones among themselves. With ``replace_inside`` a
    candidate may swallow existing entities that lie strictly inside it (昆山 inside
    昆山智能计算中心); otherwise existing entities always win.
    """
    existing = list(doc.ents)
    chosen = filter_spans([span for span, _ in candidates])
    info_of = {(s.start, s.end, s.label_): i for s, i in candidates}
    added = False
    for span in chosen:
        clashes = [e for e in existing if e.start < span.end and span.start < e.end]
        if clashes:
            inside = all(span.start <= e.start and e.end <= span.end for e in clashes)
            longer = all(len(e) < len(span) for e in clashes)
            if not (replace_inside and inside and longer):
                continue
            existing = [e for e in existing if e not in clashes]
        existing.append(span)
        added = True
        set_info(doc, span, info_of[(span.start, span.end, span.label_)])
    # setting the same entities again changes nothing once every token has its IOB tag
    if added or not doc.has_annotation("ENT_IOB", require_complete=True):
        doc.ents = sorted(existing, key=lambda s: s.start)


# ------------------------------------------------------------------------------------------
# Sentences


_SENT_END = set("。！？!?")


@Language.factory("kg_sentences", requires=[], assigns=["token.is_sent_start"])
def make_sentences(nlp: Language, name: str) -> "Sentences":
    """Mark sentence starts after 。！？ and at paragraph breaks."""
    return Sentences()


class Sentences:
    def __call__(self, doc: Doc) -> Doc:
        import numpy

        from spacy.attrs import SENT_START

        words = token_table(doc).texts
        if not words:
            return doc
        # 1: a sentence starts here, -1: it does not (a token's trailing space is one " ", so
        # paragraph breaks are whitespace tokens of their own)
        starts = [1] + [
            1 if (prev in _SENT_END or "\n" in prev or (prev in "”」』)" and i >= 2 and words[i - 2] in _SENT_END))
            else -1
            for i, prev in enumerate(words[:-1], start=1)
        ]
        doc.from_array([SENT_START], numpy.array(starts, dtype="int32").astype("uint64").reshape(-1, 1))
        return doc


# ------------------------------------------------------------------------------------------
# Gazetteer


_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
# A name that needs context fires when one of these follows it (公司, 集团 …) or when the same
# entity was also found through an unambiguous name in the document.
_MODEL_AFTER = re.compile(r"\s?[A-Z][A-Za-z]*\d")
_LOCATIVE_CUES = ("在", "于", "位于", "地处", "落户", "进入", "赴", "至", "到")
_FACILITY_WORDS = ("智能计算中心", "智算中心", "计算中心", "数据中心", "超算中心", "工厂", "基地", "产业园",
                   "园区", "科技园", "工业园", "研发中心", "新区", "高新区", "开发区")
_COMPANY_CONTEXT = ("公司", "集团", "股份", "科技", "银行", "控股", "汽车", "电子", "证券")


def spacing_variants(name: str) -> set[str]:
    """The name with and without the space ITHome puts between Chinese and Latin or digits."""
    compact = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])\s+(?=[\u3400-\u9fff])", "", name)
    spaced = re.sub(r"(?<=[\u3400-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u3400-\u9fff])", " ", compact)
    return {name, compact, spaced}


def _fold(text: str) -> str:
    """Lower-case without changing the length, so offsets stay valid."""
    lowered = text.lower()
    # str.lower() works character by character except for the final sigma (Σ) and for letters
    # whose lower case is longer (İ); only those texts need the slow way
    if len(lowered) == len(text) and "Σ" not in text:
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@Language.factory(
    "kg_gazetteer",
    requires=["token.is_sent_start"],
    assigns=["doc.ents"],
    default_config={"gazetteer_dir": None, "teach_segmenter": True, "min_length": 2},
)
def make_gazetteer_ruler(
    nlp: Language, name: str, *, gazetteer_dir: str | None, teach_segmenter: bool, min_length: int
) -> "GazetteerRuler":
    """Tag the names of known companies, places and products."""
    return GazetteerRuler(nlp, load_gazetteer(gazetteer_dir), teach_segmenter=teach_segmenter, min_length=min_length)


class GazetteerRuler:
    def __init__(self, nlp: Language, gazetteer: Gazetteer, *, teach_segmenter: bool = True, min_length: int = 2) -> None:
        self.gazetteer = gazetteer
        tokenizer = nlp.tokenizer
        # the automaton and the words to teach depend on the gazetteer, these settings and the
        # segmenter's dictionary as it is now; they are kept on disk under all of these
        state_key = getattr(tokenizer, "state_key", None) if isinstance(tokenizer, JiebaTokenizer) else None
        key = fingerprint(
            "kg_gazetteer", code_digest("components.py", "gazetteer.py", "normalize.py"), gazetteer.fingerprint,
            state_key, min_length, teach_segmenter, ahocorasick_version(),
        ) if state_key else ""
        cached = cache_load("name-automaton", key, gazetteer.entries.__getitem__) if key else None
        if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], ahocorasick.Automaton):
            self.automaton, words = cached
        else:
            self.automaton, words = self._build(tokenizer, gazetteer, teach_segmenter, min_length)
            if key:
                cache_save("name-automaton", key, (self.automaton, words), self._id_of)
        if teach_segmenter:
            teach = getattr(tokenizer, "add_words", None)
            if teach is not None:
                teach(words)

    def _id_of(self, obj) -> tuple[str, str] | None:
        """Cached automata name the gazetteer's entries instead of holding copies of them."""
        if type(obj) is Entry and self.gazetteer.get(obj.kind, obj.key) is obj:
            return (obj.kind, obj.key)
        return None

    @classmethod
    def _build(cls, tokenizer, gazetteer: Gazetteer, teach_segmenter: bool,
               min_length: int) -> tuple[ahocorasick.Automaton, list[str]]:
        automaton = ahocorasick.Automaton()
        table: dict[str, list[Entry]] = {}
        for surface, entry in gazetteer.surfaces():
            # "英伟达 A100" as a product alias would swallow the company: A100 alone suffices
            head, _, rest = surface.partition(" ")
            if entry.kind == "Product" and rest and rest in entry.surfaces:
                continue
            for variant in spacing_variants(surface):
                if len(variant) < min_length or (variant.isascii() and len(variant) < 2):
                    continue
                table.setdefault(_fold(variant), []).append(entry)
        base_freq = getattr(getattr(tokenizer, "_jieba", None), "FREQ", {})
        if isinstance(tokenizer, JiebaTokenizer):
            base_tags = tokenizer.word_tags()
        else:
            base_tags = getattr(getattr(tokenizer, "_posseg", None), "word_tag_tab", {})
        for word, entries in table.items():
            entries = tuple(dict.fromkeys(entries))
            ambiguous = tuple(e for e in entries if cls._surface_needs_context(word, e, base_freq, base_tags))
            # the entry a match stands for depends only on the word: choose it once
            entry = cls._choose(entries, ambiguous)
            automaton.add_word(word, (word, entry, entry in ambiguous))
        if table:
            automaton.make_automaton()
        words = sorted(v for v in table if not v.isascii() and " " not in v) if teach_segmenter else []
        return automaton, words

    @staticmethod
    def _surface_needs_context(surface: str, entry: Entry, freq: dict, tags: dict | None = None) -> bool:
        """Whether this name of the entry may only fire with supporting context.

        An entry flagged ``needs_context`` is ambiguous through its short forms (理想 for
        理想汽车), not through its full names; county-level short names of two characters
        (大关, 青龙) are ordinary words often enough to always need context.
        """
        short = len(surface) <= 2 or freq.get(surface, 0) >= 300
        if entry.kind == "Site" and entry.level in {"county", "town"} and len(surface) <= 2:
            return True
        # a place name that is mostly an ordinary word (合作 is also 合作市)
        if entry.kind == "Site" and entry.level not in {"country", "province"} and freq.get(surface, 0) >= 300 \
                and not (tags or {}).get(surface, "ns").startswith("ns"):
            return True
        return entry.needs_context and short

    def __call__(self, doc: Doc) -> Doc:
        if not len(self.automaton):
            return doc
        raw = doc_text(doc)
        text = _fold(raw)
        candidates: list[tuple[Span, EntInfo]] = []
        found_keys: set[str] = set()
        pending: list[tuple[Span, Entry]] = []
        for end_idx, (word, entry, needs_context) in self.automaton.iter(text):
            start, end = end_idx - len(word) + 1, end_idx + 1
            if not self._word_boundaries(raw, start, end):
                continue
            span = doc.char_span(start, end, alignment_mode="strict")
            if span is None:
                continue  # the segmenter disagrees: 小米 inside 小米粥
            span = Span(doc, span.start, span.end, label=entry.kind, kb_id=entry.key)
            if needs_context:
                pending.append((span, entry))
                continue
            found_keys.add(entry.key)
            candidates.append((span, EntInfo("gazetteer", 0.95, entry.key, entry.subtype)))
        accepted_ends = {span.end_char: span.label_ for span, _ in candidates}
        accepted_starts = {span.start_char: span.label_ for span, _ in candidates}
        for span, entry in pending:
            if (entry.key in found_keys or self._has_context(doc, raw, span, entry)
                    or self._enumerated_with(raw, span, entry, accepted_ends, accepted_starts)):
                candidates.append((span, EntInfo("gazetteer.context", 0.8, entry.key, entry.subtype)))
        add_entities(doc, candidates)
        return doc

    @staticmethod
    def _word_boundaries(text: str, start: int, end: int) -> bool:
        # Latin names must not be glued to more Latin letters or digits (AMD in AMDX).
        if _LATIN_OR_DIGIT.match(text[start]) and start > 0 and _LATIN_OR_DIGIT.match(text[start - 1]):
            return False
        if _LATIN_OR_DIGIT.match(text[end - 1]) and end < len(text) and _LATIN_OR_DIGIT.match(text[end]):
            return False
        return True

    @staticmethod
    def _choose(entries: tuple[Entry, ...], ambiguous: tuple[Entry, ...] = ()) -> Entry:
        # Unambiguous before ambiguous; companies before products before places; higher levels first.
        level_rank = {"country": 0, "province": 1, "city": 2, "region": 2, "world_city": 3, "zone": 3, "county": 4, "town": 5}
        kind_rank = {"Company": 0, "Product": 1, "Site": 2}
        return min(entries, key=lambda e: (e in ambiguous, kind_rank[e.kind], level_rank.get(e.level, 9), e.key))

    def _has_context(self, doc: Doc, raw: str, span: Span, entry: Entry) -> bool:
        after = raw[span.end_char: span.end_char + 12]
        if entry.kind == "Company":
            # 荣耀 Magic5: a brand directly before a model name
            return after.startswith(_COMPANY_CONTEXT) or bool(_MODEL_AFTER.match(after))
        if entry.kind == "Site":
            before = raw[max(0, span.start_char - 6): span.start_char]
            prev = doc[span.start - 1].text if span.start > 0 else ""
            if after[:1] in {"省", "市", "县", "区"} or prev in _LOCATIVE_CUES:
                return True
            if after.startswith(_FACILITY_WORDS):
                return True
            # 江苏昆山, 北京房山: preceded by the place it lies in
            parent = self.gazetteer.get("Site", entry.parent_key)
            while parent is not None:
                if any(before.endswith(name) for name in parent.surfaces):
                    return True
                parent = self.gazetteer.get("Site", parent.parent_key)
        return False

    @staticmethod
    def _enumerated_with(text: str, span: Span, entry: Entry, ends: dict, starts: dict) -> bool:
        """True when the name stands in an enumeration with known names of its type (戴尔、惠普和联想)."""
        before = text[max(0, span.start_char - 3): span.start_char].rstrip()
        for sep in ("、", "和", "与", "及", "以及"):
            if before.endswith(sep):
                pos = span.start_char - (len(text[: span.start_char]) - len(text[: span.start_char].rstrip())) - len(sep)
                pos = len(text[:pos].rstrip())
                if ends.get(pos) == entry.kind:
                    return True
        after = text[span.end_char: span.end_char + 3]
        stripped = after.lstrip()
        for sep in ("、", "和", "与", "及"):
            if stripped.startswith(sep):
                pos = span.end_char + (len(after) - len(stripped)) + len(sep)
                pos += len(text[pos:]) - len(text[pos:].lstrip())
                if starts.get(pos) == entry.kind:
                    return True
        return False


# ------------------------------------------------------------------------------------------
# Tokenizer


@registry.tokenizers("kg.jieba_tokenizer.v1")
def create_jieba_tokenizer(pos: bool | str = True, hmm: bool = True):
    """Config entry point: ``[nlp.tokenizer] @tokenizers = "kg.jieba_tokenizer.v1"``."""

    def factory(nlp: Language) -> "JiebaTokenizer":
        return JiebaTokenizer(nlp.vocab, pos=pos, hmm=hmm)

    return factory


class JiebaTokenizer:
    """A jieba tokenizer with its own dictionary, so teaching it names has no global effect.

    With ``pos=True`` it stores each word's dictionary part-of-speech tag in ``token.tag_``
    (``x`` for words the HMM discovered); ``pos="posseg"`` tags with jieba's full POS model.

    The dictionary (jieba's words and frequencies, their tags, and the names kg taught it) is
    loaded when first needed, from kg's cache when an entry for exactly this state exists
    (:attr:`state_key` names it), else from jieba's files.
    """

    def __init__(self, vocab, *, pos: bool | str = True, hmm: bool = True) -> None:
        jieba = _import_jieba()
        jieba.setLogLevel(logging.WARNING)
        self.vocab = vocab
        self.pos = pos
        self.hmm = hmm
        self._tokenizer = jieba.Tokenizer()
        # the POS table (jieba.posseg's word_tag_tab): a dict, or a compact _TagTable as the
        # cache holds it, turned into a dict only when something needs the whole table
        self._tags: dict[str, str] | None = None
        self._tag_table: _TagTable | None = None
        self._posseg_tokenizer = None
        self._loaded = False
        #: names the dictionary state: jieba's dictionary plus every batch of words taught since
        #: (changing ``_jieba`` directly is not accounted for)
        self.state_key = fingerprint("jieba", code_digest("components.py"), *_jieba_identity())

    @property
    def _jieba(self):
        """The ``jieba.Tokenizer``, its dictionary loaded."""
        if not self._loaded:
            self._load()
        return self._tokenizer

    @property
    def _posseg(self):
        """A ``jieba.posseg.POSTokenizer`` over this tokenizer and its POS table."""
        if self._posseg_tokenizer is None:
            import jieba.posseg

            posseg = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
            posseg.tokenizer = self._jieba
            posseg.word_tag_tab = self.word_tags()
            self._posseg_tokenizer = posseg
        return self._posseg_tokenizer

    def word_tags(self) -> dict[str, str]:
        """The POS table: the tag of every word in jieba's dictionary."""
        if not self._loaded:
            self._load()
        if self._tags is None:
            self._tags = self._tag_table.to_dict()
            self._tag_table = None
        return self._tags

    def _tag_lookup(self):
        """``get`` of the POS table, without building the whole table."""
        if not self._loaded:
            self._load()
        return self._tags.get if self._tags is not None else self._tag_table.get

    def _load(self) -> None:
        if self.state_key and self._restore(self.state_key, "jieba-dictionary"):
            self._loaded = True
            return
        self._tokenizer.initialize()
        self._tags, self._tag_table = _read_word_tags(self._tokenizer.get_dict_file()), None
        self._loaded = True
        self._store(self.state_key, "jieba-dictionary")

    def add_words(self, words: Iterable[str]) -> None:
        """Teach the segmenter these words (gazetteer names), keeping known words as they are."""
        words = sorted(words)
        key = fingerprint("taught", self.state_key, "\n".join(words)) if self.state_key else ""
        if key and self._restore(key, "jieba-taught"):
            self._loaded = True
        else:
            tokenizer = self._jieba
            freq = tokenizer.FREQ
            for word in words:
                if freq.get(word, 0) == 0:
                    tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False), tag="nz")
            self._store(key, "jieba-taught")
        self.state_key = key

    # The dictionary on disk: one marshal blob of flat strings and arrays, which loads in a
    # fraction of the time a pickled dict of half a million words takes.

    def _store(self, key: str, name: str) -> None:
        if not key:
            return
        try:
            blob = _dump_state(self._tokenizer, self.word_tags())
        except (ValueError, TypeError, OverflowError):
            return
        cache_save_bytes(name, key, blob)

    def _restore(self, key: str, name: str) -> bool:
        blob = cache_load_bytes(name, key)
        if blob is None:
            return False
        try:
            freq, total, user_tags, table = _load_state(blob)
        except Exception:  # noqa: BLE001 - a damaged entry: build the dictionary again
            return False
        tokenizer = self._tokenizer
        tokenizer.FREQ, tokenizer.total, tokenizer.user_word_tag_tab = freq, total, user_tags
        tokenizer.initialized = True
        self._tags, self._tag_table = None, table
        if self._posseg_tokenizer is not None:
            self._posseg_tokenizer.word_tag_tab = self.word_tags()
        return True

    def __call__(self, text: str) -> Doc:
        from spacy.util import get_words_and_spaces

        if not self._loaded:
            self._load()
        if self.pos == "posseg":
            pairs = [(w.word, w.flag) for w in self._posseg.cut(text, HMM=self.hmm) if w.word]
            words = [w for w, _ in pairs]
            tags = [t for _, t in pairs]
        elif self.pos:
            # dictionary tags: 3x faster than jieba.posseg; words the HMM found get "x" (unknown)
            words = [w for w in self._jieba.cut(text, HMM=self.hmm) if w]
            lookup, taught = self._tag_lookup(), self._jieba.user_word_tag_tab
            tags = [taught.get(w) or lookup(w) or ("eng" if w.isascii() and w.isalnum() else "x") for w in words]
        else:
            words = [w for w in self._jieba.cut(text, HMM=self.hmm) if w]
            tags = None
        aligned = _align(words, tags, text)
        if aligned is not None:
            out_words, spaces, tags = aligned
        else:  # text the words do not cover exactly: spaCy's general alignment (or its error)
            out_words, spaces = get_words_and_spaces(words, text)
            if tags is not None:
                tags = _align_tags(words, tags, out_words)
        # tags go in through the constructor: setting token.tag_ creates a Token per word
        doc = Doc(self.vocab, words=out_words, spaces=spaces, tags=tags or None)
        doc.user_data[_TEXT_KEY] = text
        doc.user_data[_TOKENS_KEY] = TokenTable(out_words, spaces, tags or ["" for _ in out_words])
        return doc

    def to_bytes(self, **kwargs) -> bytes:  # spaCy serialisation hooks: nothing to save
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "JiebaTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        return None

    def from_disk(self, path, **kwargs) -> "JiebaTokenizer":
        return self

_STATE_FORMAT = "kg-jieba-dictionary 1"


@functools.lru_cache(maxsize=1)
def _jieba_identity() -> tuple[str, ...]:
    """What jieba's default dictionary is: jieba's version and the sizes and times of its files."""
    jieba = _import_jieba()
    folder = os.path.dirname(os.path.abspath(jieba.__file__))
    parts = [getattr(jieba, "__version__", "?")]
    for name in (jieba.DEFAULT_DICT_NAME, "__init__.py"):
        try:
            st = os.stat(os.path.join(folder, name))
        except OSError:
            return ("",)
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return tuple(parts)


def ahocorasick_version() -> str:
    """pyahocorasick's identity (its pickled automata are its own format)."""
    try:
        st = os.stat(ahocorasick.__file__)
    except (OSError, AttributeError, TypeError):
        return ""
    return f"{ahocorasick.__file__}:{st.st_size}:{st.st_mtime_ns}"


def _read_word_tags(f) -> dict[str, str]:
    """jieba.posseg's POS table from the dictionary file, as ``POSTokenizer.load_word_tag`` reads it."""
    tags: dict[str, str] = {}
    try:
        for lineno, line in enumerate(f, 1):
            line = line.strip().decode("utf-8")
            if not line:
                continue
            try:
                word, _, tag = line.split(" ")
            except ValueError:
                raise ValueError(f"invalid POS dictionary entry in jieba's dictionary at line {lineno}: {line}") from None
            tags[word] = tag
    finally:
        f.close()
    return tags


def _import_jieba():
    """``import jieba``, without the pkg_resources import it does only to find its dictionary.

    pkg_resources takes a third of a second to import; without it jieba opens ``dict.txt``
    beside its module, the same file.
    """
    import sys

    if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = None  # makes ``import pkg_resources`` raise ImportError
        try:
            import jieba
        finally:
            if "pkg_resources" in sys.modules and sys.modules["pkg_resources"] is None:
                del sys.modules["pkg_resources"]
    import jieba

    return jieba


_STATE_FORMAT = "kg-jieba-dictionary 2"
_NO_TAG = 0xFFFF


def _dump_state(tokenizer, tags: dict[str, str]) -> bytes:
    """jieba's dictionary state and the POS table as flat strings and arrays.

    The words are joined by NUL, frequencies and tags are arrays in the same order, and
    ``order`` lists the words' positions in sorted order, so a tag is found by bisection.
    """
    import marshal
    from array import array

    freq = tokenizer.FREQ
    words = list(freq)
    joined = "\0".join(words)
    if joined.count("\0") != len(words) - 1:
        raise ValueError("a word contains NUL")
    names = sorted(set(tags.values()))
    if len(names) >= _NO_TAG:
        raise ValueError("too many tags")
    tag_id: dict[str | None, int] = {n: i for i, n in enumerate(names)}
    tag_id[None] = _NO_TAG
    ids = array("H", map(tag_id.__getitem__, map(tags.get, words)))
    if len(ids) - ids.count(_NO_TAG) != len(tags):
        raise ValueError("tagged words outside the dictionary")
    order = array("I", sorted(range(len(words)), key=words.__getitem__))
    return marshal.dumps((
        _STATE_FORMAT, joined, len(words), array("q", freq.values()).tobytes(), tokenizer.total,
        dict(tokenizer.user_word_tag_tab), names, order.tobytes(), ids.tobytes(),
    ))


def _load_state(blob: bytes) -> tuple[dict[str, int], int, dict[str, str], "_TagTable"]:
    import marshal
    from array import array

    fmt, joined, count, freq_bytes, total, user_tags, names, order_bytes, id_bytes = marshal.loads(blob)
    if fmt != _STATE_FORMAT:
        raise ValueError("another format")
    words = joined.split("\0") if count else []
    values, order, ids = array("q"), array("I"), array("H")
    values.frombytes(freq_bytes)
    order.frombytes(order_bytes)
    ids.frombytes(id_bytes)
    if not (len(words) == len(values) == len(order) == len(ids) == count):
        raise ValueError("truncated")
    if not (isinstance(total, int) and isinstance(user_tags, dict) and isinstance(names, list)):
        raise ValueError("damaged")
    freq = dict(zip(words, values.tolist()))
    return freq, total, user_tags, _TagTable(words, order, ids, names)


class _TagTable:
    """The POS table of a cached dictionary, looked up by bisection; answers are remembered.

    Building a dict of 350,000 words costs a third of a second at every start; a document
    looks up a few hundred distinct words.
    """

    def __init__(self, words: list[str], order, ids, names: list[str]) -> None:
        self._words, self._order, self._ids, self._names = words, order, ids, names
        self._memo: dict[str, str | None] = {}

    def get(self, word: str) -> str | None:
        memo = self._memo
        try:
            return memo[word]
        except KeyError:
            pass
        import bisect

        tag = None
        i = bisect.bisect_left(self._order, word, key=self._words.__getitem__)
        if i < len(self._order):
            position = self._order[i]
            if self._words[position] == word and self._ids[position] != _NO_TAG:
                tag = self._names[self._ids[position]]
        if len(memo) >= 1_000_000:
            memo.clear()
        memo[word] = tag
        return tag

    def to_dict(self) -> dict[str, str]:
        names, words = self._names, self._words
        return {words[p]: names[t] for p, t in enumerate(self._ids) if t != _NO_TAG}


def _align(words: list[str], tags: list[str] | None, text: str) -> tuple[list[str], list[bool], list[str] | None] | None:
    """Doc words, spaces and tags for the segmenter's words, as ``get_words_and_spaces`` and
    :func:`_align_tags` make them, in one linear pass (spaCy slices the rest of the text for
    every word).

    A single space after a word goes into that word's trailing space; other whitespace becomes a
    token tagged ``x``. None when the words are not the text's words in order with only
    whitespace between them (the general functions then handle it).
    """
    out_words: list[str] = []
    spaces: list[bool] = []
    out_tags: list[str] = []
    pos, end = 0, len(text)
    for n, word in enumerate(words):
        if word.isspace():
            continue
        start = text.find(word, pos)
        if start < 0:
            return None
        if start > pos:
            gap = text[pos:start]
            if not gap.isspace():
                return None
            out_words.append(gap)
            spaces.append(False)
            out_tags.append("x")
        out_words.append(word)
        out_tags.append(tags[n] if tags is not None else "")
        pos = start + len(word)
        if pos < end and text[pos] == " ":
            spaces.append(True)
            pos += 1
        else:
            spaces.append(False)
    if pos < end:
        rest = text[pos:]
        if not rest.isspace():
            return None
        out_words.append(rest)
        spaces.append(False)
        out_tags.append("x")
    return out_words, spaces, out_tags if tags is not None else None


def _align_tags(words: list[str], tags: list[str], tokens: list[str]) -> list[str]:
    """The tags of ``words`` for the Doc tokens made from them.

    spaCy folds single spaces into the previous token: align on the non-space words, and tag
    whitespace tokens and tokens that do not match their word ``x``.
    """
    queue = iter([(w, t) for w, t in zip(words, tags) if not w.isspace()])
    out = []
    for token in tokens:
        if token.isspace():
            out.append("x")
            continue
        word, tag = next(queue, ("", "x"))
        out.append(tag if word == token else "x")
    return out
