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

from .components import EntInfo, add_entities, doc_text, ent_info, set_info, token_table
from .gazetteer import load_gazetteer

# --- product model codes -----------------------------------------------------------------

_MODEL_CODE = re.compile(
    r"(?<![A-Za-z0-9.\-_/@])"
    r"([A-Z][A-Za-z]{0,7}-?\d{1,5}[A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)*)"
    r"(?![A-Za-z0-9\-_@]|\.\d)"
)
#: Letter prefixes of spec tokens, standards and units that look like model codes.
SPEC_PREFIXES = {
    "abs", "ai", "ar", "armv", "asic", "av", "bf", "bms", "bt", "cat", "cc", "cdma", "ce", "cm",
    "covid", "cpu", "ddr", "ddr4", "ddr5", "dp", "dpi", "ece", "em", "emmc", "ev", "fp", "fpga",
    "fps", "gb", "gddr", "gen", "ghz", "gpu", "gsm", "gtx", "gw", "hbm", "hdmi", "hz", "ieee",
    "int", "ios", "ip", "ipv", "iso", "kb", "km", "kw", "kwh", "ldpc", "lpddr", "lte", "mah", "mb",
    "mcu", "mhz", "mipi", "mm", "mpv", "mw", "nm", "npu", "nsa", "nvme", "os", "pci", "pcie",
    "polar", "ppi", "rtx", "rv", "sa", "sar", "sata", "soc", "spec", "suv", "tb", "tcp", "tf",
    "tflops", "top", "tops", "ufs", "usb", "vp", "vr", "wcdma", "wh", "wifi", "win",
}
#: Single-letter-prefix codes that are too short to trust on their own (Q3, X4, H1, 5G …).
_MIN_CODE_LEN = 4
_SITE_WORDS = ("工厂", "新工厂", "新厂", "产线", "生产线", "厂", "晶圆厂", "基地")
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

_LOCATIVE_CUES = ("在", "于", "位于", "地处", "落户", "进入", "赴", "至", "到", "遍布")
_ACTOR_CUES = ("被", "受", "受到")
_PLACE_FOLLOWERS = {"地区", "境内", "国内", "当地", "本土", "工厂", "基地", "园区", "总部",
                    "等", "等地", "各地", "一带", "周边", "附近", "片区", "新厂", "厂区", "州", "北部", "南部",
                    "东部", "西部", "中部", "地处", "境外", "以外", "以北", "以南", "以东", "以西", "之外"}
_SITE_NOUNS = ("工厂", "厂", "基地", "园区", "总部", "中心", "产业园", "办公室", "研究院", "实验室", "门店", "仓库", "项目")


def _list_starts_with_cue(doc: Doc, start: int) -> bool:
    """Whether the list of places ending at token ``start`` is introduced by a locative cue."""
    i = start - 1
    while i >= 1 and doc[i].text in _CONJUNCTIONS and doc[i - 1].ent_type_ == "Site":
        i -= 1
        while i >= 0 and doc[i].ent_type_ == "Site" and doc[i].ent_iob_ == "I":
            i -= 1
        i -= 1
    return i >= 0 and i < start - 1 and doc[i].text in _LOCATIVE_CUES


def _inside_title(text: str, start: int, end: int) -> bool:
    """Whether [start, end) lies inside 《…》 (the title of a publication or work)."""
    open_ = text.rfind("《", max(0, start - 30), start)
    return open_ >= 0 and "》" not in text[open_:start] and "》" in text[end: end + 30]


_LOCATIVE_VERBS = {"建厂", "设厂", "投产", "落地", "布局", "建设", "扩产", "设立", "开设", "拿地", "投资", "发展",
                   "开展", "运营", "生产", "研发", "成立", "上线", "部署", "量产"}
_CONJUNCTIONS = {"和", "与", "及", "、", "以及"}
_QUALIFIED_TAGS = {"n", "nz", "nt", "nr", "nrt", "j", "eng", "m", "b", "an", "a", "d", "uj"}
_GROUP_SUFFIXES = {"集团", "公司", "控股", "有限公司", "股份有限公司", "有限责任公司"}
_LEGAL_ENDINGS = {"集团", "公司", "有限公司", "股份有限公司", "有限责任公司"}
_INDUSTRY_WORDS = {"科技", "技术", "股份", "集团", "电子", "半导体", "微电子", "新能源", "能源", "汽车", "通信", "信息",
                   "网络", "软件", "智能", "控股", "材料", "光电", "电气", "投资", "实业", "发展", "国际", "中国", "(", ")",
                   "（", "）"}  # not 股份: 持有格芯股份 are shares
# a chip unit is usually a company of its own (比亚迪半导体); 英伟达汽车 or 阿里云智能 are business names
_INDUSTRY_SUFFIXES = {"半导体", "微电子"}
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9\-])[A-Z][A-Za-z0-9&'.\-]*[A-Za-z0-9](?: [A-Z][A-Za-z0-9&'.\-]*[A-Za-z0-9])*(?![A-Za-z0-9\-])")
_LATIN_STOP = {"ceo", "cto", "cfo", "coo", "the", "inc", "ltd", "co", "corp", "app", "apps", "api", "cpu", "gpu",
               "npu", "soc", "fpga", "asic", "mcu", "oled", "lcd", "amoled", "ltpo", "ltps", "igbt", "sic", "gan",
               "dram", "nand", "ssd", "ai", "iot", "eda", "ip", "risc-v", "arm", "x86", "pc", "tv", "vr", "ar",
               "ev", "suv", "it", "pdf", "ceo", "usb", "wifi", "wi-fi", "bluetooth", "linux", "rdma", "tcp", "http",
               "https", "html", "chiplet", "podcast", "twitter", "semicon", "gtc", "ces", "mwc", "wwdc", "ifa",
               "reuters", "bloomberg", "cnbc", "techcrunch", "omdia", "idc", "gartner", "semi", "ithome", "pro",
               "max", "plus", "ultra", "mini", "lite", "air", "neo", "edge", "note", "go", "one", "new", "series"}
_COMPANY_CUES_BEFORE = ("收购", "并购", "买下", "投资", "入股", "旗下", "公司", "子公司", "初创", "竞争对手", "对手",
                        "合作伙伴", "客户", "供应商", "厂商")
_COMPANY_CUES_AFTER = ("公司", "集团", "旗下", "创始人", "首席", "CEO", "宣布")
_WORD_NUMBER = re.compile(r"(?<![A-Za-z0-9\-])(?P<name>(?P<word>[A-Z][a-z]{2,}|[A-Z]{2,5})\s(?:(?!19\d\d|20\d\d)\d{2,4}|[A-Z]\d{1,3})"
                          r"(?:\s(?:Pro|Max|Ultra|Plus|SE|Lite|mini))*)(?![A-Za-z0-9.\-])")
_CJK_NUMBERED = re.compile(r"(?P<name>[\u4e00-\u9fff]{2}[一二三四五六七八九十]号)")
_QUOTED_PRODUCT = re.compile(r"(?:汽车|芯片|手机|电池|平台|系统|模型|大模型|机器人|卫星|处理器|操作系统|产品|品牌|飞行器|系列)"
                             r"“(?P<name>[^”“，。、\s]{2,12})”")
_BRAND_CODE = re.compile(r"(?P<brand>[A-Za-z\u4e00-\u9fff]{2,10}) (?P<name>(?:[A-Z]\d{1,3}|(?!19\d\d|20\d\d)\d{2,4})"
                         r"(?:\s(?:Pro\+?|Max|Ultra|Plus|SE|Lite|mini))*)"
                         r"(?![A-Za-z0-9.\-])")
#: a number followed by a unit, classifier or date word is a quantity, not a model name
_NOT_AFTER_NUMBER = ("年", "月", "日", "%", "亿", "万", "千", "百", "元", "美元", "个", "家", "款", "人", "名", "次", "倍",
                     "号", "米", "位", "条", "台", "辆", "颗", "片", "块", "只", "张", "套", "部", "种", "项", "层",
                     "座", "架", "批", "份", "周", "天", "小时", "分", "秒", "岁", "代", "届", "期", "轮", "股", "点",
                     "英寸", "寸", "nm", "GB", "TB", "W", "mAh", "Hz", "K", "P", "G", "%", "度", "瓦", "吨", "公里",
                     "平方", "克", "升", "所", "间", "篇", "场", "节", "units", "x", "倍")
_EVENT_WORDS = {"gtc", "ces", "mwc", "wwdc", "computex", "semicon", "hot", "fy", "top", "covid", "windows", "page",
                "figure", "table", "ios", "android", "version", "iso", "usb", "wifi", "release", "level", "day"}
_PERSON_TITLES = ("总裁", "首席执行官", "CEO", "董事长", "创始人", "联合创始人", "分析师", "教授", "主席", "副总裁",
                   "总经理", "高管", "经理", "负责人", "发言人", "研究员", "博士", "先生", "女士", "兼", "CFO", "CTO")
_PERSON_AFTER = ("表示", "说", "称", "指出", "透露", "认为", "先生", "女士", "博士")
_PRODUCT_CUES_BEFORE = ("发布", "推出", "搭载", "采用", "基于", "上市", "型号", "系列")
_ENUM_SEPARATORS = {"、", "和", "与", "及", "以及", "，"}
#: Organisations that are not companies: governments, universities, courts, associations.
ORG_HEADS = ("政府", "大学", "学院", "学校", "研究院", "研究所", "科学院", "中科院", "实验室", "协会", "联盟", "委员会",
             "法院", "议院", "参议院", "众议院", "议会", "部", "局", "署", "厅", "委", "办公室", "交易所", "联交所",
             "创业板", "科创板", "主板", "媒体", "杂志", "日报", "电视台", "网", "社", "基金会", "医院", "军", "党")

FACILITY_SUFFIXES = (
    "经济技术开发区", "高新技术产业开发区", "高新技术开发区", "新技术开发区", "高新区", "经开区", "开发区", "自贸区",
    "保税区", "新区",
    "智能计算中心", "人工智能计算中心", "智算中心", "算力中心", "超算中心", "计算中心", "数据中心", "云计算中心",
    "超级工厂", "工厂", "晶圆厂", "产业园", "科技园", "工业园", "基地", "园区", "研发中心",
    "研究院", "总部", "生产线", "产线", "厂区", "实验室",
)
_ZONE_SUFFIXES = {"经济技术开发区", "高新技术产业开发区", "高新技术开发区", "新技术开发区", "高新区", "经开区", "开发区",
                  "自贸区", "保税区", "新区"}
#: words between an anchor and a facility word that show the two are not one name
_FACILITY_GAP_STOP = {"中标", "承建", "建设", "投建", "签约", "落地", "入驻", "参与", "打造", "进驻", "拿下", "获得",
                      "宣布", "发布", "新建", "扩建", "启动", "位于", "旗下", "联合", "携手"}
_GENERIC_BUILDINGS = {"工厂", "超级工厂", "基地", "厂区", "生产线", "产线", "园区", "总部"}
_FACILITY_COORD = re.compile(r"(?:及|和|与)[\u3400-\u9fff]{0,4}?(?:基地|中心|园区|工厂|研究院)")
COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "科技", "银行", "股份", "电子",
    "微电子", "半导体", "新能源", "汽车", "通信", "证券", "资本", "控股", "光电", "电气", "传媒",
    "制药", "电器",
)
_COMPANY_SUFFIX_SET = frozenset(COMPANY_SUFFIXES)
#: Words that end a company-suffix pattern's name part: they are generic, not names.
GENERIC_HEADS = {
    "该", "这", "此", "本", "子", "母", "分", "各", "多", "每", "某", "其", "我", "你", "他", "贵",
    "合资", "上市", "科技", "汽车", "芯片", "半导体", "互联网", "通信", "电子", "投资", "控股",
    "国内", "国外", "海外", "全球", "国际", "本土", "民营", "国有", "外资", "头部", "龙头", "一家",
    "这家", "那家", "两家", "三家", "多家", "几家", "新", "大", "小", "老", "知名", "领先", "上游",
    "下游", "行业", "产业", "相关", "其他", "其它", "整车", "电池", "面板", "服务器", "手机", "云",
    "数据", "智能", "信息", "网络", "软件", "能源", "金融", "证券", "资本", "集团", "公司", "厂商",
    "企业", "初创", "创业", "独角兽", "运营商", "供应商", "制造商", "代工", "晶圆", "设备", "材料",
    "显示", "光电", "电气", "动力", "传媒", "制药", "电器", "股份", "有限", "责任", "子公司", "旗下",
    "母公司", "分公司", "孙公司", "控股公司", "投资公司", "该", "其他", "这些", "那些", "所有", "不少",
}
_STOP_TAGS = {"p", "c", "u", "uj", "ul", "ug", "uz", "ud", "uv", "d", "r", "m", "q", "mq",
              "w", "v", "vd", "vn", "ad", "a", "f", "t", "y", "e", "o", "zg", "k", "h", "l", "i", "s"}
_CJK = re.compile(r"^[\u3400-\u9fffA-Za-z0-9·\-&]+$")
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
_PROPER_TAGS = {"nr", "nrt", "nrfg", "nt", "nz", "ns", "j", "x"}
_NAME_TAGS = _PROPER_TAGS | {"eng", "n"}
_OPERATOR_WORDS = {"移动", "联通", "电信", "基金", "资本", "投资"}
_LATIN_COMPANY_WORDS = {
    "Technologies", "Technology", "Tech", "Energy", "Systems", "Partners", "Capital", "Ventures", "Inc", "Inc.",
    "Corp", "Corp.", "Corporation", "Labs", "Lab", "Power", "Nanotechnologies", "Enterprises", "Group", "Holdings",
    "Motors", "Semiconductor", "Semiconductors", "Networks", "Media", "Robotics", "Therapeutics", "Software",
    "Electronics", "Solutions", "Materials", "Mobility", "Automotive", "Games", "Studios", "Pharmaceuticals",
    "Investments", "Fund", "Ltd", "Ltd.", "LLC", "GmbH", "AG", "SE", "Co", "Co.", "Company", "Industries",
    "Instruments", "Microsystems", "Devices", "Communications", "Telecom", "Bank", "Airlines", "Aerospace",
}


def _name_tokens_before(doc: Doc, index: int, max_chars: int = 10, max_tokens: int = 4) -> int:
    """Index of the first token of a name that ends just before token ``index``."""
    start = index
    chars = 0
    while start > 0 and index - start < max_tokens:
        tok = doc[start - 1]
        if tok.whitespace_ and start - 1 != index - 1 and not tok.text.isascii():
            break
        if tok.is_punct or not _CJK.match(tok.text) or tok.tag_ in _STOP_TAGS or tok.text in GENERIC_HEADS:
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
                r"\s?((?:[A-Z]{0,3}\d{1,5}[A-Za-z]{0,3}\+?|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\s?号)"
                r"(?:\s?(?:Pro\+?|Max|Ultra|Plus|Lite|mini|SE|Neo|Gen\s?\d|[A-Z]\d?))*)(?![A-Za-z0-9])"
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
            self._extend_known_companies(doc)
            add_entities(doc, self._company_suffixes(doc), replace_inside=True)
        add_entities(doc, self._product_shapes(doc))
        self._latin_names(doc)
        self._cjk_enumerations(doc)
        self._drop_place_qualifiers(doc)
        return doc

    # 中国电动汽车制造商, 美国政府, 香港创业板: a place used as a qualifier is not a Site.
    def _drop_place_qualifiers(self, doc: Doc) -> None:
        keep: list[Span] = []
        ents = list(doc.ents)
        text = doc_text(doc)
        verdict: dict[int, bool] = {}
        for idx in range(len(ents) - 1, -1, -1):
            ent = ents[idx]
            if ent.label_ != "Site" or ent_info(doc, ent).subtype == "Facility":
                continue
            prev = doc[ent.start - 1].text if ent.start > 0 else ""
            nxt = doc[ent.end] if ent.end < len(doc) else None
            # 位于中国重庆: a place right after a place continues a locative phrase;
            # 在北美和欧洲市场: the cue before the first place of a list counts for all of them
            locative = prev in _LOCATIVE_CUES or (ent.start > 0 and doc[ent.start - 1].ent_type_ == "Site") \
                or _list_starts_with_cue(doc, ent.start)
            nxt2 = doc[nxt.i + 1] if nxt is not None and nxt.i + 1 < len(doc) else None
            if prev in _ACTOR_CUES:
                verdict[idx] = False  # 受到美国制裁: a government acting, not a place
            elif _inside_title(text, ent.start_char, ent.end_char):
                verdict[idx] = False  # 《福布斯亚洲》: part of a publication's title
            elif nxt is not None and nxt.text == "的" and locative:
                # 位于纽约州北部的工厂 is a site; 在美国的技术封锁下 is not
                after = doc[nxt.i + 1] if nxt.i + 1 < len(doc) else None
                verdict[idx] = (after is not None and after.ent_type_ == "Site") or \
                    any(w in text[nxt.idx + 1: nxt.idx + 8] for w in _SITE_NOUNS)
            elif nxt is not None and nxt.text == "市场":
                verdict[idx] = locative  # 在欧洲市场推出 names a place; 面向中国市场 a market
            elif nxt is None or nxt.is_space or nxt.is_punct or nxt.text in _PLACE_FOLLOWERS or nxt.ent_type_ == "Site":
                verdict[idx] = True
            elif locative and (nxt.tag_ in {"v", "vn", "vd", "p", "c", "f", "uj"} or nxt.text in _LOCATIVE_VERBS):
                verdict[idx] = True  # 在法国投资建厂, 位于纽约州北部的工厂
            elif nxt.tag_ == "vn" and nxt2 is not None and nxt2.tag_.startswith("n"):
                verdict[idx] = False  # 美国设备厂商, 韩国研究机构: the verbal noun modifies a noun
            elif nxt.tag_ in _QUALIFIED_TAGS:
                verdict[idx] = False  # 在香港创业板上市: even after 在, a place before a noun qualifies it
            elif locative:
                verdict[idx] = True
            elif nxt.text in _CONJUNCTIONS and idx + 1 < len(ents) and ents[idx + 1].start == ent.end + 1:
                verdict[idx] = verdict.get(idx + 1, True)  # 美国和亚洲供应商: as the last one goes
            elif nxt.tag_.startswith("n") or (nxt.tag_ == "x" and not nxt.is_punct and not nxt.text.isascii()):
                verdict[idx] = False  # 中国车规芯片: an unknown word after a place is usually its noun
            else:
                verdict[idx] = True
        for idx, ent in enumerate(ents):
            if verdict.get(idx, True):
                keep.append(ent)
        if len(keep) != len(ents):
            doc.ents = keep

    # 比亚迪集团 is 比亚迪; 瑞萨半导体 and 比亚迪半导体 are companies of their own.
    def _extend_known_companies(self, doc: Doc) -> None:
        ents = list(doc.ents)
        changed = False
        for n, ent in enumerate(ents):
            if ent.label_ != "Company" or ent.end >= len(doc):
                continue
            nxt = doc[ent.end]
            if doc[ent.end - 1].whitespace_ or nxt.ent_type_:
                continue
            if nxt.text in {"区", "县", "市", "镇", "省"}:
                # 东湖高新区: a company's name followed by an administrative suffix is a place
                span = Span(doc, ent.start, ent.end + 1, label="Site")
                set_info(doc, span, EntInfo(
                    "pattern.place_not_company", 0.7, "", "AdministrativeArea"))
                ents[n] = span
                changed = True
                continue
            # 北京卫蓝新能源 + 科技有限公司: the legal full name of a known company
            end = ent.end
            while end < len(doc) and (doc[end].text in _INDUSTRY_WORDS or doc[end].text in _GROUP_SUFFIXES) \
                    and not doc[end].ent_type_ and not doc[end - 1].whitespace_:
                end += 1
            while end > ent.end and doc[end - 1].text not in _LEGAL_ENDINGS:
                end -= 1
            if end > ent.end + 1 or (end == ent.end + 1 and doc[ent.end].text in _GROUP_SUFFIXES):
                span = Span(doc, ent.start, end, label="Company", kb_id=ent.kb_id_)
                info = ent_info(doc, ent)
            elif nxt.text in _INDUSTRY_SUFFIXES:
                span = Span(doc, ent.start, ent.end + 1, label="Company")
                info = EntInfo("pattern.company_unit", 0.75, "", "")
            else:
                continue
            set_info(doc, span, info)
            ents[n] = span
            changed = True
        if changed:
            doc.ents = ents

    # Atlas 900, 飞星一号, 飞行汽车“陆地航母”, vivo X90: product names by their shape
    def _product_shapes(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        text = doc_text(doc)
        out = []
        for regex, rule in ((_WORD_NUMBER, "pattern.word_number"), (_CJK_NUMBERED, "pattern.numbered_name"),
                            (_QUOTED_PRODUCT, "pattern.quoted_product"), (_BRAND_CODE, "pattern.brand_code")):
            for m in regex.finditer(text):
                start, end = m.span("name")
                if text[end: end + 4].lstrip().startswith(_NOT_AFTER_NUMBER):
                    continue
                if rule == "pattern.word_number" and m.group("word").lower() in _LATIN_STOP | _EVENT_WORDS:
                    continue
                if rule == "pattern.brand_code":
                    brand = doc.char_span(m.start("brand"), m.end("brand"), alignment_mode="strict")
                    if brand is None or brand[-1].ent_type_ != "Company":
                        continue
                span = doc.char_span(start, end, alignment_mode="strict")
                if span is None or any(t.ent_type_ for t in span):
                    continue
                out.append((Span(doc, span.start, span.end, label="Product"), EntInfo(rule, 0.6)))
        return out

    # Latin names no list knows (Megaphone, Gimlet Media): typed by a nearby cue, or by the
    # other members of the enumeration they stand in.
    def _latin_names(self, doc: Doc) -> None:
        out = []
        pending = []
        text = doc_text(doc)
        for m in _LATIN_NAME.finditer(text):
            name = m.group(0)
            if name.lower() in _LATIN_STOP or _is_spec_token(name) or len(name) < 3 or name.isupper():
                continue
            span = doc.char_span(m.start(), m.end(), alignment_mode="strict")
            if span is None or any(t.ent_type_ for t in span):
                continue
            window_before = text[max(0, m.start() - 12): m.start()]
            window_after = text[m.end(): m.end() + 8]
            if window_before.rstrip().endswith(_PERSON_TITLES) or window_after.lstrip().startswith(_PERSON_AFTER):
                continue  # 首席执行官 Ajit Manocha: a person, not a company
            label = None
            if name.split()[-1] in _LATIN_COMPANY_WORDS:
                label = "Company"  # Group14 Technologies, Lightspeed Venture Partners
            elif any(c in window_before for c in _COMPANY_CUES_BEFORE) or window_after.lstrip().startswith(_COMPANY_CUES_AFTER):
                label = "Company"
            elif any(c in window_before for c in _PRODUCT_CUES_BEFORE) or window_after.lstrip().startswith(_PRODUCT_NOUNS):
                label = "Product"
            else:
                pending.append(span)
                continue
            out.append((Span(doc, span.start, span.end, label=label), EntInfo("pattern.latin_name", 0.6)))
        add_entities(doc, out)  # so that enumerations see the names typed by a cue
        # names typed by their neighbours in a list; repeat, as each round types more of it
        while pending:
            typed = [(span, self._enumeration_label(doc, span)) for span in pending]
            found = [(Span(doc, sp.start, sp.end, label=lab), EntInfo("pattern.latin_enumeration", 0.55))
                     for sp, lab in typed if lab]
            if not found:
                break
            add_entities(doc, found)
            pending = [sp for sp, lab in typed if not lab]

    # 华为、中兴通讯、大唐移动、诺基亚贝尔和富通集团: unknown names listed with known ones
    def _cjk_enumerations(self, doc: Doc) -> None:
        n = len(doc)
        seps = [i for i, text in enumerate(token_table(doc).texts) if text == "、"]
        if not seps:
            return
        chains: list[list[int]] = [[seps[0]]]
        for i in seps[1:]:
            gap = doc[chains[-1][-1] + 1: i]
            if len(gap) <= 4 and not any(t.is_punct or t.is_space for t in gap):
                chains[-1].append(i)
            else:
                chains.append([i])
        candidates: list[tuple[Span, EntInfo]] = []
        for chain in chains:
            items: list[tuple[int, int]] = []
            start = self._item_start(doc, chain[0])
            if start is not None:
                items.append((start, chain[0]))
            items += [(a + 1, b) for a, b in zip(chain, chain[1:])]
            # the last item, possibly after 和/及/与: up to the next non-name token
            j = chain[-1] + 1
            for _ in range(2):
                end = self._item_end(doc, j)
                if end is None:
                    break
                items.append((j, end))
                if end < n and doc[end].text in {"和", "及", "与", "以及"}:
                    j = end + 1
                    continue
                break
            labels = set()
            unknown = []
            for a, b in items:
                span = doc[a:b]
                ent_labels = {t.ent_type_ for t in span if t.ent_type_}
                covered = all(t.ent_type_ for t in span)
                if covered and len(ent_labels) == 1:
                    labels |= ent_labels
                elif not any(t.ent_type_ for t in span) or (ent_labels == {"Company"} and span[0].ent_type_):
                    unknown.append(span)
            if len(labels) != 1 or not unknown:
                continue
            label = labels.pop()
            for span in unknown:
                text = span.text
                if 2 <= len(text.replace(" ", "")) <= 12 and text not in GENERIC_HEADS and not text.endswith(ORG_HEADS) \
                        and all(t.tag_ in _NAME_TAGS or t.ent_type_ or t.text in COMPANY_SUFFIXES
                                or t.text in _OPERATOR_WORDS for t in span) \
                        and any(t.tag_ in _PROPER_TAGS or t.tag_ == "eng" or t.ent_type_ for t in span):
                    candidates.append((Span(doc, span.start, span.end, label=label), EntInfo("pattern.enumeration", 0.6)))
        add_entities(doc, candidates, replace_inside=True)

    @staticmethod
    def _item_start(doc: Doc, sep: int) -> int | None:
        i = sep - 1
        if i < 0:
            return None
        if doc[i].ent_type_:
            while i > 0 and doc[i - 1].ent_type_ and doc[i - 1].ent_iob_ != "B" or (doc[i].ent_iob_ == "I" and i > 0):
                i -= 1
                if doc[i].ent_iob_ == "B":
                    break
            return i
        if doc[i].tag_ in _NAME_TAGS and not doc[i].is_punct:
            # 微软气候创新基金: walk back over name pieces, taking a known name they continue
            start = i
            while start > 0 and sep - start < 4 and not doc[start - 1].whitespace_:
                prev = doc[start - 1]
                if prev.ent_type_ == "Company":
                    while start > 0 and doc[start - 1].ent_type_ == "Company" and doc[start - 1].ent_iob_ == "I":
                        start -= 1
                    start -= 1
                    break
                if prev.ent_type_ or prev.tag_ not in _NAME_TAGS or prev.is_punct or prev.text in GENERIC_HEADS:
                    break
                start -= 1
            return start
        return None

    @staticmethod
    def _item_end(doc: Doc, j: int) -> int | None:
        if j >= len(doc) or doc[j].is_punct or doc[j].is_space:
            return None
        if doc[j].ent_type_:
            k = j + 1
            while k < len(doc) and doc[k].ent_iob_ == "I":
                k += 1
            # 诺基亚贝尔: a known name and one more piece form another company
            if k < len(doc) and not doc[k].ent_type_ and doc[k].tag_ in {"nr", "nrt", "nz", "x"} \
                    and not doc[k - 1].whitespace_ and _CJK_ONLY.match(doc[k].text):
                k += 1
            return k
        if doc[j].tag_ not in _NAME_TAGS or doc[j].text in GENERIC_HEADS:
            return None
        k = j + 1
        if k < len(doc) and (doc[k].text in COMPANY_SUFFIXES or doc[k].text in _OPERATOR_WORDS):
            k += 1
        return k

    @staticmethod
    def _enumeration_label(doc: Doc, span: Span) -> str | None:
        """The label of the known entities this span is enumerated with (A、B 和 C)."""
        labels = []
        for direction in (-1, 1):
            i = span.start - 1 if direction < 0 else span.end
            if 0 <= i < len(doc) and doc[i].text in _ENUM_SEPARATORS:
                j = i + direction
                while 0 <= j < len(doc) and doc[j].is_space:
                    j += direction
                if 0 <= j < len(doc) and doc[j].ent_type_:
                    labels.append(doc[j].ent_type_)
        return labels[0] if labels and len(set(labels)) == 1 else None

    # 江苏昆山, 西安沣东: adjacent places make one Site, keyed by the most specific part.
    def _compound_places(self, doc: Doc) -> None:
        ents = list(doc.ents)
        merged: list[Span] = []
        changed = False
        gaz = load_gazetteer()

        def level(span: Span) -> str:
            info = ent_info(doc, span)
            entry = gaz.get("Site", info.key)
            if entry is None or not info.rule.startswith(("gazetteer", "pattern.compound_place")):
                return ""
            if span.text[-1] in "省市区县" and entry.level != "zone":
                return ""  # 深圳福田区: a district written in full stands on its own
            return entry.level

        for ent in ents:
            prev = merged[-1] if merged else None
            if (prev is not None and prev.label_ == "Site" and ent.label_ == "Site"
                    and prev.end == ent.start and not doc[prev.end - 1].whitespace_
                    and (level(prev) in {"province", "city"} and level(ent) in {"city", "county", "zone"}
                         or level(prev) == "zone" and level(ent) == "zone"
                         or level(prev) == "country" and level(ent) == "province"
                         or level(prev) in {"country", "region"} and level(ent) == "world_city")):
                span = Span(doc, prev.start, ent.end, label="Site", kb_id=ent.kb_id_)
                info = ent_info(doc, ent)
                set_info(doc, span, EntInfo(
                    "pattern.compound_place", min(info.confidence, 0.9), info.key, info.subtype))
                merged[-1] = span
                changed = True
            else:
                merged.append(ent)
        if changed:
            doc.ents = merged
        self._foreign_places(doc)

    # 德国图林根, 匈牙利德布勒森: a country followed by a place name no list knows
    def _foreign_places(self, doc: Doc) -> None:
        gaz = load_gazetteer()
        ents = list(doc.ents)
        changed = False
        for n, ent in enumerate(ents):
            if ent.label_ != "Site":
                continue
            entry = gaz.get("Site", ent_info(doc, ent).key)
            if entry is None or entry.level not in {"country", "region"} or entry.country in {"CN", ""}:
                continue
            end = ent.end
            while (end < len(doc) and not doc[end - 1].whitespace_ and not doc[end].ent_type_
                   and doc[end].tag_ in {"ns", "nrt", "nr", "x"} and _CJK_ONLY.match(doc[end].text)
                   and end - ent.end < 2):
                end += 1
            if end > ent.end and len(doc[ent.end:end].text) >= 2:
                span = Span(doc, ent.start, end, label="Site")
                set_info(doc, span, EntInfo(
                    "pattern.foreign_place", 0.75, "", "Site"))
                ents[n] = span
                changed = True
        if changed:
            doc.ents = ents

    def _product_lines(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        for m in self._line_re.finditer(doc_text(doc)):
            span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if span is None or span.end_char - span.start_char > len(m.group(0)) + 2:
                continue
            developer, subtype = self.lines[m.group(1)]
            out.append((Span(doc, span.start, span.end, label="Product"),
                        EntInfo("pattern.product_line", 0.9, "", subtype or "Product")))
        return out

    def _model_codes(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        text = doc_text(doc)
        for m in _MODEL_CODE.finditer(text):
            code = m.group(1)
            after = text[m.end(1): m.end(1) + 4].lstrip()
            if _is_spec_token(code):
                continue
            # three-character codes (B12, K210 is four) only with a facility or product word after
            if len(code) < _MIN_CODE_LEN and not (len(code) == 3 and after.startswith(_SITE_WORDS + _PRODUCT_NOUNS)):
                continue
            span = doc.char_span(m.start(1), m.end(1), alignment_mode="contract")
            if span is None or span.text != code:
                span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
            if span is None or len(span.text) > len(code) + 2:
                continue
            label, subtype = "Product", ""
            if after.startswith(_SITE_WORDS):
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
        text = doc_text(doc)
        for ent in doc.ents:
            if ent.label_ not in {"Site", "Company"}:
                continue
            # the anchor may be followed by descriptor characters and place names (中国联通
            # 内蒙古和林格尔数据中心), then a facility word
            tail = text[ent.end_char: ent.end_char + 24]
            for suffix in FACILITY_SUFFIXES:
                idx = tail.find(suffix)
                if idx < 0 or idx > 12:
                    continue
                gap = tail[:idx]
                if not re.fullmatch(r"[\u3400-\u9fff]*", gap):
                    continue
                gap_span = doc.char_span(ent.end_char, ent.end_char + idx, alignment_mode="expand")
                zone = suffix in _ZONE_SUFFIXES
                # a zone's name may contain a company's (武汉东湖高新区 holds 东湖高新)
                plain = [t for t in (gap_span or []) if t.ent_type_ != "Site" and not (zone and t.ent_type_)]
                if any(t.tag_.startswith("v") or t.ent_type_ or t.text in _FACILITY_GAP_STOP
                       or re.search(r"[的在与和及将已于是为了从向对把被]", t.text) for t in plain):
                    continue
                if sum(len(t.text) for t in plain) > (8 if ent.label_ == "Site" else 6):
                    continue
                if ent.label_ == "Site" and not gap and suffix in _GENERIC_BUILDINGS:
                    break  # 德国图林根工厂: the place is the site; "工厂" names no facility
                end_char = ent.end_char + idx + len(suffix)
                coord = _FACILITY_COORD.match(text, end_char)
                if coord:
                    end_char = coord.end()
                elif suffix == "总部":
                    continue  # a bare headquarters is where a company sits, not a named site
                span = doc.char_span(ent.start_char, end_char, alignment_mode="expand")
                if span is None or span.end_char > end_char + 1:
                    continue
                out.append((Span(doc, span.start, span.end, label="Site"),
                            EntInfo("pattern.facility", 0.85, "", "Facility")))
                break
        return out

    def _company_suffixes(self, doc: Doc) -> list[tuple[Span, EntInfo]]:
        out = []
        texts = token_table(doc).texts
        for i, suffix in enumerate(texts):
            if suffix not in _COMPANY_SUFFIX_SET or doc[i].ent_type_:
                continue
            start = _name_tokens_before(doc, i)
            if start == i:
                continue
            name = doc[start:i].text
            if len(name.replace(" ", "")) < 2 or name in GENERIC_HEADS:
                continue
            if all(t.ent_type_ == "Site" for t in doc[start:i]):
                continue  # 美国公司, 江苏公司: a place is a qualifier, not a name
            if name.endswith(ORG_HEADS):
                continue
            # a name needs a proper-noun-like piece: 广告网络公司 and 旗下半导体公司 have none
            if not any(t.tag_ in _PROPER_TAGS or t.ent_type_ for t in doc[start:i]):
                continue
            # industry words (科技, 汽车 …) only make a name when a legal suffix or a gazetteer
            # brand is present; 公司/集团/银行 make one on their own.
            strong = suffix in {"股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "银行", "证券"}
            end = i + 1
            if not strong:
                nxt = texts[i + 1] if i + 1 < len(texts) else ""
                if nxt in {"公司", "集团", "股份有限公司", "有限公司"}:
                    end = i + 2
                elif not any(t.tag_ in {"nt", "nz", "nrt", "nr"} for t in doc[start:i]) and not (
                        # 江苏智途科技: an unknown word after a place is a name
                        doc[start].ent_type_ == "Site" and any(t.tag_ == "x" for t in doc[start:i])):
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
                    "jieba_tags": {}},
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
            for ent in self.model(doc_text(doc)).ents:
                label = self.label_map.get(ent.label_)
                span = doc.char_span(ent.start_char, ent.end_char, alignment_mode="expand")
                if label and span is not None:
                    candidates.append((Span(doc, span.start, span.end, label=label),
                                       EntInfo(f"model.{ent.label_}", 0.6)))
        else:
            tags = token_table(doc).tags if self.jieba_tags else []
            i = 0
            while i < len(tags):
                label = self.jieba_tags.get(tags[i])
                if not label or doc[i].ent_type_:
                    i += 1
                    continue
                j = i + 1
                while j < len(tags) and self.jieba_tags.get(tags[j]) == label and not doc[j].ent_type_:
                    j += 1
                span = Span(doc, i, j, label=label)
                if len(span.text) >= 2 and not span.text.endswith(ORG_HEADS):
                    candidates.append((span, EntInfo(f"jieba.{tags[i]}", 0.5)))
                i = j
        add_entities(doc, candidates)
        return doc
