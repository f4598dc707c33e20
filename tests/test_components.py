"""Entity recognition: gazetteer, patterns and fallback, with positive and negative cases."""

from __future__ import annotations

import pytest

from kg.nlp import load_pipeline


def ents(text: str) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in load_pipeline()(text).ents]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("台积电为苹果代工芯片。", [("台积电", "Company"), ("苹果", "Company")]),
        ("Cambricon 与 NVIDIA 竞争。", [("Cambricon", "Company"), ("NVIDIA", "Company")]),
        ("中科寒武纪科技股份有限公司发布年报。", [("中科寒武纪科技股份有限公司", "Company")]),
        ("宁德时代向特斯拉供货。", [("宁德时代", "Company"), ("特斯拉", "Company")]),
        ("小米发布新手机。", [("小米", "Company")]),
    ],
)
def test_components_gazetteer_companies(text, expected):
    assert ents(text) == expected


@pytest.mark.parametrize(
    "text, absent",
    [
        ("早上喝了一碗小米粥。", "小米"),  # the segmenter keeps 小米粥 whole
        ("京东方向苹果供货。", "京东"),  # 京东方 is not 京东
        ("联合肥料公司发布公告。", "合肥"),  # 联合肥料 contains no 合肥
        ("双方展开合作。", "合作"),  # 合作 is also a city (合作市)
        ("股价突破 1000 亿美元大关。", "大关"),  # 大关 is also a county
        ("我们的理想是做好产品。", "理想"),  # 理想 alone is an ordinary word
    ],
)
def test_components_gazetteer_does_not_fire_inside_words_or_on_ordinary_words(text, absent):
    assert absent not in [t for t, _ in ents(text)]


def test_components_ambiguous_name_fires_with_context():
    assert ("联想", "Company") in ents("英特尔向戴尔、惠普和联想提供回扣。")
    assert ("理想汽车", "Company") in ents("理想汽车公布了交付量。")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("公司推出 MLU370-X4 加速卡。", ("MLU370-X4", "Product")),
        ("英伟达 A100 芯片供不应求。", ("A100", "Product")),
        ("嘉楠发布 K210 芯片。", ("K210", "Product")),
        ("亿航 EH216 获得适航证。", ("EH216", "Product")),
        ("华为发布昇腾 910 处理器。", ("昇腾 910", "Product")),
        ("搭载麒麟 9000 的手机。", ("麒麟 9000", "Product")),
        ("思元370 是第三代云端产品。", ("思元370", "Product")),
    ],
)
def test_components_patterns_products(text, expected):
    assert expected in ents(text)


@pytest.mark.parametrize("token", ["INT8", "FP32", "7nm", "LPDDR5", "256TOPS", "75W", "DDR5", "5G", "PCIE5"])
def test_components_patterns_spec_tokens_are_not_products(token):
    assert ents(f"芯片支持 {token}，性能提升。") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("寒武纪中标昆山智能计算中心项目。", ("昆山智能计算中心", "Site")),
        ("京东方在重庆 B12 新工厂生产面板。", ("B12", "Site")),
        ("公司在江苏昆山拓展业务。", ("江苏昆山", "Site")),
        ("公司在西安沣东拓展业务。", ("西安沣东", "Site")),
        ("华为在深圳建设研发基地。", ("深圳", "Site")),
    ],
)
def test_components_patterns_sites(text, expected):
    assert expected in ents(text)


@pytest.mark.parametrize(
    "text, absent",
    [
        ("中国电动汽车制造商比亚迪发布新车。", "中国"),
        ("华为受到美国制裁。", "美国"),
        ("公司在香港创业板上市。", "香港"),
        ("《福布斯亚洲》杂志评选了榜单。", "亚洲"),
        ("对于中国车规芯片企业而言", "中国"),
        ("欲在美国的技术封锁下实现突破。", "美国"),
    ],
)
def test_components_place_used_as_qualifier_is_not_a_site(text, absent):
    assert absent not in [t for t, _ in ents(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("卫蓝新能源完成新一轮融资。", ("卫蓝新能源", "Company")),
        ("穆巴达拉投资公司持有格芯股份。", ("穆巴达拉投资公司", "Company")),
        ("Spotify 收购了 Megaphone 和 Gimlet Media。", ("Gimlet Media", "Company")),
        ("比亚迪半导体是比亚迪的子公司。", ("比亚迪半导体", "Company")),
    ],
)
def test_components_patterns_unknown_companies(text, expected):
    assert expected in ents(text)


@pytest.mark.parametrize(
    "text, absent",
    [
        ("旗下半导体公司发布公告。", "旗下半导体"),
        ("一家广告网络公司被收购。", "广告网络"),
        ("美国联邦政府提供补贴。", "美国联邦政府"),
        ("他毕业于台湾大学。", "台湾大学"),
    ],
)
def test_components_patterns_generic_or_non_company_organisations(text, absent):
    assert absent not in [t for t, _ in ents(text)]


def test_components_installed_spacy_model_plugs_in_by_config(tmp_path):
    """A user's spaCy model (here a tiny one saved to disk) is mapped ORG→Company, GPE→Site."""
    import spacy

    model = spacy.blank("zh")
    ruler = model.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "星河智联"}, {"label": "GPE", "pattern": "青岛"}])
    model.to_disk(tmp_path / "user_model")
    nlp = load_pipeline(overrides={"components.kg_fallback.model": str(tmp_path / "user_model")})
    doc = nlp("星河智联在青岛发布新产品。")
    assert ("星河智联", "Company") in [(e.text, e.label_) for e in doc.ents]
    assert load_pipeline() is not nlp  # the default pipeline is unaffected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("生产线就在上海的漕河泾。", ("上海", "Site")),
        ("工厂位于纽约州北部的园区。", ("纽约州北部", "Site")),
        ("京东方在上海建厂。", ("上海", "Site")),
        ("三星在美国拉斯维加斯发布新品。", ("美国拉斯维加斯", "Site")),
    ],
)
def test_components_places_in_locative_phrases_are_sites(text, expected):
    assert expected in ents(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("华为发布 Atlas 900 集群。", ("Atlas 900", "Product")),
        ("卫星飞星一号发射成功。", ("飞星一号", "Product")),
        ("公司展示了飞行汽车“陆地航母”。", ("陆地航母", "Product")),
        ("小鹏 G9 正式上市。", ("G9", "Product")),
        ("荣耀 Magic5 Pro 发布。", ("荣耀", "Company")),
        ("骁龙 8+ Gen 1 由台积电代工。", ("骁龙 8+ Gen 1", "Product")),
    ],
)
def test_components_product_shapes(text, expected):
    assert expected in ents(text)


@pytest.mark.parametrize("text", ["在 GTC 2022 大会上发布。", "营收达到 Q3 2022 的水平。"])
def test_components_product_shapes_skip_events_and_years(text):
    assert [e for e in ents(text) if e[1] == "Product"] == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("华为、中兴通讯、大唐移动、诺基亚贝尔和富通集团中标。",
         {"大唐移动", "诺基亚贝尔", "富通集团"}),
        ("QuantumScape、Solid Power、Factorial Energy 和 StoreDot 等公司", {"QuantumScape", "StoreDot"}),
    ],
)
def test_components_enumerations_type_unknown_names(text, expected):
    assert expected <= {t for t, label in ents(text) if label == "Company"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("宁德时代在德国图林根工厂投产。", ("德国图林根", "Site")),
        ("中国联通内蒙古和林格尔数据中心投运。", ("中国联通内蒙古和林格尔数据中心", "Site")),
        ("公司落户湖北武汉东湖新技术开发区。", ("湖北武汉东湖新技术开发区", "Site")),
        ("小鹏汽车收购江苏智途科技。", ("江苏智途科技", "Company")),
    ],
)
def test_components_compound_names(text, expected):
    assert expected in ents(text)


def test_components_company_name_is_not_glued_to_following_words():
    found = {t for t, _ in ents("以阿里巴巴为例，中兴自研芯片。")}
    assert "阿里巴巴为例" not in found and "中兴自研" not in found


@pytest.mark.parametrize(
    "text, absent",
    [
        ("比亚迪 300 亿元投资。", "300"),
        ("复旦微电子 12 位工程师。", "12"),
        ("泛林集团和科磊等美国设备厂商表示。", "美国"),
        ("联合开发面向中国市场的车型。", "中国"),
    ],
)
def test_components_quantities_and_qualifiers_are_not_entities(text, absent):
    assert absent not in [t for t, _ in ents(text)]


def test_components_company_name_before_admin_suffix_is_a_place():
    assert ("武汉东湖高新区", "Site") in ents("计算中心位于武汉东湖高新区。")
    assert ("北京亦庄经济技术开发区", "Site") in ents("北方华创位于北京亦庄经济技术开发区。")
