"""Pattern and fallback components: names that no gazetteer knows, found by their shape.

``kg_patterns`` covers product model codes (MLU370-X4, A100, K210), product lines followed by a
number (思元 370, 昇腾 910), facilities anchored on a place or company (昆山智能计算中心), company
names ending in a legal or industry suffix (卫蓝新能源, 应用材料公司) and compound places
(江苏昆山). ``kg_fallback`` adds proper nouns from jieba's part-of-speech tags, or from an
installed spaCy model named in the config.

Example:
    >>> from kg.nlp import load_pipeline
    >>> doc = load_pipeline()("公司推出了 MLU370-X4 加速卡，功耗 150W，支持 INT8。")
    >>> [(e.text, e.label_) for e in doc.ents]
    [('MLU370-X4', 'Product')]
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from .components import EntInfo, add_entities, ent_info
from .gazetteer import load_gazetteer

# --- product model codes -----------------------------------------------------------------

_MODEL_CODE = re.compile(
    r"(?<![A-Za-z0-9.\-_/@])"
    r"([A-Z][A-Za-z]{0,7}-?\d{1,5}[A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)*)"
    r"(?![A-Za-z0-9\-_@]|\.\d)"
)
#: Letter prefixes of spec tokens, standards and units that look like model codes.
SPEC_PREFIXES = {
    "int", "fp", "bf", "tf", "ddr", "lpddr", "gddr", "hbm", "pcie", "pci", "usb", "wifi", "hdmi",
    "dp", "sata", "nvme", "lte", "armv", "rv", "h", "av", "vp", "ipv", "spec", "sar", "cat",
    "ip", "mipi", "ufs", "emmc", "x", "q", "h", "n", "v", "ai", "top", "tops", "tflops", "gen",
    "rtx", "gtx", "win", "ios", "os", "tb", "gb", "mb", "kb", "mhz", "ghz", "nm", "mm", "cm", "km",
    "kw", "mw", "gw", "kwh", "mah", "wh", "fps", "hz", "dpi", "ppi", "iso", "ce", "covid", "sa",
    "nsa", "ddr4", "ddr5", "bt", "r", "s", "p", "t", "e", "m", "k", "c", "l", "g", "a",
    "cpu", "gpu", "npu", "soc", "mcu", "fpga", "asic", "ev", "suv", "mpv", "cc", "em",
    "vr", "ar", "tcp", "ieee", "ece", "wcdma", "cdma", "gsm", "ldpc", "polar", "bms", "abs",
}
#: Single-letter-prefix codes that are too short to trust on their own (Q3, X4, H1, 5G …).
_MIN_CODE_LEN = 4
_UNIT_SUFFIX = re.compile(r"\d(nm|w|kw|gb|tb|mb|mhz|ghz|hz|mah|wh|kwh|tops|tflops|fps|k|p|mm|cm|v|a|g)$", re.I)
_PRODUCT_NOUNS = (
    "芯片", "处理器", "加速卡", "智能卡", "显卡", "GPU", "CPU", "SoC", "手机", "平板", "笔记本",
    "电脑", "服务器", "平台", "系列", "模组", "模块", "基带", "电池", "车型", "汽车", "系统",
    "智能加速卡", "训练卡", "推理卡", "板卡", "控制器", "传感器", "相机", "耳机", "手表", "面板", "屏幕",
)


def _is_spec_token(code: str) -> bool:
    lowered = code.lower()
    prefix = re.match(r"[a-z]+", lowered)
    letters = prefix.group(0) if prefix else ""
    if _UNIT_SUFFIX.search(lowered) and not re.search(r"[a-z]\d+[a-z]+\d", lowered):
        return True
    if letters in SPEC_PREFIXES and re.fullmatch(r"[a-z]+\d+(\.\d+)?[a-z]?", lowered):
        return True
    return False


# --- facilities, company suffixes, compound places -----------------------------------------

FACILITY_SUFFIXES = (
    "智能计算中心", "人工智能计算中心", "智算中心", "超算中心", "计算中心", "数据中心", "云计算中心",
    "超级工厂", "工厂", "晶圆厂", "产业园", "科技园", "工业园", "基地", "园区", "研发中心",
    "研究院", "总部", "生产线", "产线", "厂区", "实验室",
)
COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "科技", "银行", "股份", "电子",
    "微电子", "半导体", "新能源", "汽车", "通信", "证券", "资本", "控股", "网络", "软件", "能源",
    "智能", "光电", "材料", "电气", "动力", "信息", "传媒", "制药", "电器", "显示",
)
#: Words that end a company-suffix pattern's name part: they are generic, not names.
GENERIC_HEADS = {
    "该", "这", "此", "本", "子", "母", "分", "各", "多", "每", "某", "其", "我", "你", "他", "贵",
    "合资", "上市", "科技", "汽车", "芯片", "半导体", "互联网", "通信", "电子", "投资", "控股",
    "国内", "国外", "海外", "全球", "国际", "本土", "民营", "国有", "外资", "头部", "龙头", "一家",
    "这家", "那家", "两家", "三家", "多家", "几家", "新", "大", "小", "老", "知名", "领先", "上游",
    "下游", "行业", "产业", "相关", "其他", "其它", "整车", "电池", "面板", "服务器", "手机", "云",
    "数据", "智能", "信息", "网络", "软件", "能源", "金融", "证券", "资本", "集团", "公司", "厂商",
    "企业", "初创", "创业", "独角兽", "运营商", "供应商", "制造商", "代工", "晶圆", "设备", "材料",
    "显示", "光电", "电气", "动力", "传媒", "制药", "电器", "股份", "有限", "责任", "子公司",
}
_STOP_TAGS = {"p", "c", "u", "uj", "ul", "ug", "uz", "ud", "uv", "d", "r", "m", "q", "mq", "x",
              "w", "v", "vd", "vn", "ad", "a", "f", "t", "y", "e", "o", "zg", "k", "h", "l", "i", "s"}
_CJK = re.compile(r"^[\u3400-\u9fffA-Za-z0-9·\-&]+$")


def _name_tokens_before(doc: Doc, index: int, max_chars: int = 10, max_tokens: int = 4) -> int:
    """Index of the first token of a name that ends just before token ``index``."""
    start = index
    chars = 0
    while start > 0 and index - start < max_tokens:
        tok = doc[start - 1]
        if tok.whitespace_ and start - 1 != index - 1 and not tok.text.isascii():
            break
        if not _CJK.match(tok.text) or tok.tag_ in _STOP_TAGS or tok.text in GENERIC_HEADS:
            break
        if doc[start - 1].ent_type_ and doc[start - 1].ent_type_ != "Site":
            break
        chars += len(tok.text)
        if chars > max_chars:
            break
        start -= 1
    return start


@Language.factory(
    "kg_patterns",
    requires=["doc.ents", "token.tag"],
    assigns=["doc.ents"],
    default_config={"model_codes": True, "product_lines": True, "facilities": True, "company_suffixes": True},
)
def make_patterns(
    nlp: Language, name: str, *, model_codes: bool, product_lines: bool, facilities: bool, company_suffixes: bool
) -> "Patterns":
    """Tag names by their shape: model codes, product lines, facilities, company suffixes."""
    return Patterns(model_codes=model_codes, product_lines=product_lines, facilities=facilities,
                    company_suffixes=company_suffixes)


class Patterns:
    def __init__(self, *, model_codes: bool = True, product_lines: bool = True, facilities: bool = True,
                 company_suffixes: bool = True) -> None:
        self.model_codes = model_codes
        self.facilities = facilities
        self.company_suffixes = company_suffixes
        gaz = load_gazetteer()
        self.lines = gaz.product_lines if product_lines else {}
        if self.lines:
            names = sorted(self.lines, key=len, reverse=True)
            self._line_re = re.compile(
                r"(?<![A-Za-z0-9\u3400-\u9fff])?"
                r"(" + "|".join(re.escape(n) for n in names) + r")"
                r"\s?((?:[A-Z]{0,3}\d{1,5}[A-Za-z]{0,3}|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\s?号)"
                r"(?:\s?(?:Pro\+?|Max|Ultra|Plus|Lite|mini|SE|Gen\s?\d|[A-Z]\d?))?)(?![A-Za-z0-9])"
            )
        else:
            self._line_re = None

    def __call__(self, doc: Doc) -> Doc:
        self._compound_places(doc)
        candidates: list[tuple[Span, EntInfo]] = []
        if self._line_re is not None:
            candidates += self._product_lines(doc)
        if self.model_codes:
            candidates += self._model_codes(doc)
        add_entities(doc, candidates, replace_inside=True)
        if self.facilities:
            add_entities(doc, self._facilities(doc), replace_inside=True)
        if self.company_suffixes:
            add_entities(doc, self._company_suffixes(doc), replace_inside=True)
        return doc

    # 江苏昆山, 西安沣东: adjacent places make one Site, keyed by the most specific part.
    def _compound_places(self, doc: Doc) -> None:
        ents = list(doc.ents)
        merged: list[Span] = []
        changed = False
        for ent in ents:
            prev = merged[-1] if merged else None
            if (prev is not None and prev.label_ == "Site" and ent.label_ == "Site"
                    and prev.end == ent.start and not doc[prev.end - 1].whitespace_):
                span = Span(doc, prev.start, ent.end, label="Site", kb_id=ent.kb_id_)
                info = ent_info(doc, ent)
                doc.user_data.setdefault("kg", {})[(span.start_char, span.end_char)] = EntInfo(
                    "pattern.compound_place", min(info.confidence, 0.9), info.key, info.subtype)
                merged[-1] = span
                changed = True
            else:
                merged.append(ent)
        if changed:
            doc.ents = merged

    def _product_lines(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        for m in self._line_re.finditer(doc.text):
            span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if span is None or span.end_char - span.start_char > len(m.group(0)) + 2:
                continue
            developer, subtype = self.lines[m.group(1)]
            out.append((Span(doc, span.start, span.end, label="Product"),
                        EntInfo("pattern.product_line", 0.9, "", subtype or "Product")))
        return out

    def _model_codes(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        for m in _MODEL_CODE.finditer(doc.text):
            code = m.group(1)
            if len(code) < _MIN_CODE_LEN or _is_spec_token(code):
                continue
            span = doc.char_span(m.start(1), m.end(1), alignment_mode="contract")
            if span is None or span.text != code:
                span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if span is None or len(span.text) > len(code) + 2:
                continue
            after = doc.text[m.end(1): m.end(1) + 4].lstrip()
            label, subtype = "Product", ""
            if after.startswith(("工厂", "产线", "生产线", "厂")):
                label, subtype = "Site", "Facility"
            elif after.startswith(("加速卡", "智能加速卡", "显卡")):
                subtype = "AcceleratorCard"
            elif after.startswith(("芯片", "处理器", "SoC")):
                subtype = "Chip"
            out.append((Span(doc, span.start, span.end, label=label),
                        EntInfo("pattern.model_code", 0.8, "", subtype)))
        return out

    def _facilities(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        text = doc.text
        for ent in doc.ents:
            if ent.label_ not in {"Site", "Company"}:
                continue
            # the anchor may be followed by up to 6 descriptor characters, then a facility word
            tail = text[ent.end_char: ent.end_char + 14]
            for suffix in FACILITY_SUFFIXES:
                idx = tail.find(suffix)
                if idx < 0 or idx > 6:
                    continue
                gap = tail[:idx].strip()
                if re.search(r"[，。、；：,;:的在与和及将已于是为了从向对把被]", gap):
                    continue
                end_char = ent.end_char + idx + len(suffix)
                span = doc.char_span(ent.start_char, end_char, alignment_mode="expand")
                if span is None or span.end_char > end_char + 1:
                    continue
                out.append((Span(doc, span.start, span.end, label="Site"),
                            EntInfo("pattern.facility", 0.85, "", "Facility")))
                break
        return out

    def _company_suffixes(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        for i, tok in enumerate(doc):
            text = tok.text
            suffix = next((s for s in COMPANY_SUFFIXES if text == s), None)
            if suffix is None or tok.ent_type_:
                continue
            start = _name_tokens_before(doc, i)
            if start == i:
                continue
            name = doc[start:i].text
            if len(name.replace(" ", "")) < 2 or name in GENERIC_HEADS:
                continue
            if all(t.ent_type_ == "Site" for t in doc[start:i]):
                continue  # 美国公司, 江苏公司: a place is a qualifier, not a name
            # industry words (科技, 汽车 …) only make a name when a legal suffix or a gazetteer
            # brand is present; 公司/集团/银行 make one on their own.
            strong = suffix in {"股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "银行", "证券"}
            end = i + 1
            if not strong:
                nxt = doc[i + 1].text if i + 1 < len(doc) else ""
                if nxt in {"公司", "集团", "股份有限公司", "有限公司"}:
                    end = i + 2
                elif not any(t.tag_ in {"nt", "nz", "nrt", "nr", "eng"} for t in doc[start:i]):
                    continue
            include_suffix = suffix not in {"公司"} or end > i + 1
            span_end = end if include_suffix else i
            span = Span(doc, start, span_end, label="Company")
            out.append((span, EntInfo("pattern.company_suffix", 0.75 if strong else 0.65, "", "")))
        return out


# --- statistical fallback ----------------------------------------------------------------


@Language.factory(
    "kg_fallback",
    requires=["doc.ents", "token.tag"],
    assigns=["doc.ents"],
    default_config={"model": None, "label_map": {"ORG": "Company", "GPE": "Site", "LOC": "Site",
                                                 "FAC": "Site", "PRODUCT": "Product"},
                    "jieba_tags": {"nt": "Company"}},
)
def make_fallback(nlp: Language, name: str, *, model: str | None, label_map: dict[str, str],
                  jieba_tags: dict[str, str]) -> "Fallback":
    """Proper nouns that no list or pattern found, from jieba tags or an installed spaCy model."""
    return Fallback(model=model, label_map=label_map, jieba_tags=jieba_tags)


class Fallback:
    def __init__(self, *, model: str | None, label_map: dict[str, str], jieba_tags: dict[str, str]) -> None:
        self.label_map = label_map
        self.jieba_tags = jieba_tags
        self.model = None
        if model:
            import spacy

            try:
                self.model = spacy.load(model)
            except OSError as exc:
                from .errors import ConfigError

                raise ConfigError(f"spaCy model {model!r} is not installed: {exc}") from None

    def __call__(self, doc: Doc) -> Doc:
        candidates: list[tuple[Span, EntInfo]] = []
        if self.model is not None:
            for ent in self.model(doc.text).ents:
                label = self.label_map.get(ent.label_)
                span = doc.char_span(ent.start_char, ent.end_char, alignment_mode="expand")
                if label and span is not None:
                    candidates.append((Span(doc, span.start, span.end, label=label),
                                       EntInfo(f"model.{ent.label_}", 0.6)))
        else:
            i = 0
            while i < len(doc):
                label = self.jieba_tags.get(doc[i].tag_)
                if not label or doc[i].ent_type_:
                    i += 1
                    continue
                j = i + 1
                while j < len(doc) and self.jieba_tags.get(doc[j].tag_) == label and not doc[j].ent_type_:
                    j += 1
                span = Span(doc, i, j, label=label)
                if len(span.text) >= 2:
                    candidates.append((span, EntInfo(f"jieba.{doc[i].tag_}", 0.5)))
                i = j
        add_entities(doc, candidates)
        return doc
