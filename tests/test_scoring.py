"""Indicator profiles and the scoring engine (INDICATORS.md §1–2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.checks.finding import Finding, Severity
from govinspect.scoring.engine import FAIL, PASS, score_site
from govinspect.scoring.profile import ProfileError, load_profile, shipped_profiles

NATIONAL = load_profile("national-2019")


def stale(n: int, column_class: str = "dynamic", start: int = 0) -> list[Finding]:
    return [
        Finding(
            "freshness.column_stale",
            f"http://s/col/col{start + i}/",
            "栏目未更新",
            {"column_class": column_class},
        )
        for i in range(n)
    ]


def test_shipped_profiles_load_and_province_overrides_inherit() -> None:
    assert {"national-2019", "jiangxi", "guangdong"} <= set(shipped_profiles())
    jiangxi, guangdong = load_profile("jiangxi"), load_profile("guangdong")
    assert jiangxi.lineage == ("jiangxi", "national-2019")
    assert jiangxi.section("interaction")["reply_limit_working_days"] == 3
    assert guangdong.section("interaction")["reply_limit_working_days"] == 5
    assert jiangxi.section("interaction")["overdue_months"] == 3  # inherited
    privacy = {d.id: d for d in guangdong.deductions}["privacy"]
    assert (privacy.each, privacy.cap, privacy.checks) == (5, 10, ("content.privacy_leak",))
    assert len(guangdong.deductions) == len(NATIONAL.deductions)
    assert NATIONAL.has_placeholders


def test_five_stale_timed_columns_fire_the_veto_four_only_cost_points() -> None:
    result = score_site(stale(5), NATIONAL)
    assert (result.verdict, result.veto_names, result.score) == (FAIL, ["栏目不更新"], None)
    assert result.severities == [Severity.VETO] * 5
    four = score_site(stale(4), NATIONAL)
    assert (four.verdict, four.vetoes, four.part2) == (PASS, [], 92.0)
    assert four.severities == [Severity.DEDUCTION] * 4


def test_untimed_classes_need_ten_and_blank_columns_five() -> None:
    assert score_site(stale(9, "personnel"), NATIONAL).vetoes == []
    assert score_site(stale(10, "personnel"), NATIONAL).veto_names == ["栏目不更新"]
    blanks = [Finding("freshness.column_blank", f"http://s/c{i}/", "空白栏目") for i in range(5)]
    assert score_site(blanks[:4], NATIONAL).vetoes == []
    assert score_site(blanks, NATIONAL).veto_names == ["栏目不更新"]


def test_the_same_problem_seen_twice_counts_once() -> None:
    repeated = stale(3) + stale(2)  # columns 0,1,2 and 0,1 again
    assert score_site(repeated, NATIONAL).vetoes == []
    links = [
        Finding("links.broken", f"http://s/p{i}.html", "链接无法访问", {"target": "http://s/gone.html"})
        for i in range(4)
    ]
    result = score_site(links, NATIONAL)
    assert [(d.item_id, d.count, d.points) for d in result.deductions] == [("broken_links", 1, 1.0)]


def test_any_security_finding_is_a_veto_but_notices_never_are() -> None:
    serious = Finding("content.serious_error", "http://s/a.html", "严重表述错误")
    assert score_site([serious], NATIONAL).veto_names == ["安全、泄密事故等严重问题"]
    doubtful = Finding("content.serious_error", "http://s/a.html", "疑似", severity=Severity.NOTICE)
    result = score_site([doubtful], NATIONAL)
    assert (result.verdict, result.score, result.severities) == (PASS, 100.0, [Severity.NOTICE])


def test_caps_per_item_and_per_group() -> None:
    typos = [Finding("content.typo", f"http://s/{i}.html", "错别字", {"target": str(i)}) for i in range(20)]
    result = score_site(typos, NATIONAL)
    assert [(d.item_id, d.points) for d in result.deductions] == [("typo", 5.0)]  # 20 × 1 capped at 5
    function = (
        [Finding("links.broken", "http://s/", "", {"target": f"t{i}"}) for i in range(9)]
        + [Finding("search.missing", "http://s/", "")]
        + [Finding(f"footer.{k}", "http://s/", "") for k in ("site_code", "icp", "psb", "conac", "sponsor")]
        + [Finding("footer.ads", "http://s/", ""), Finding("meta.missing", "http://s/", "")]
        + [Finding("transport.mixed_content", "http://s/", "")]
    )
    # 5 + 3 + 4 + 3 + 1 + 1 = 17 points of deductions, but the 功能设计 group has 15
    assert score_site(function, NATIONAL).part2 == 85.0


def test_below_sixty_fails_without_a_veto() -> None:
    many = []
    for check, n in [
        ("freshness.column_blank", 4),
        ("content.typo", 5),
        ("content.sensitive", 3),
        ("content.privacy_leak", 3),
        ("interpretation.missing", 4),
        ("interpretation.unlinked", 4),
        ("service.guide_incomplete", 4),
        ("interaction.reply_slow", 6),
        ("interaction.survey_feedback_missing", 3),
    ]:
        many += [Finding(check, f"http://s/{check}/{i}", "") for i in range(n)]
    result = score_site(many, NATIONAL)
    # 8 + 5 + 6 + 9 + 8 + 4 (publish 40) + 8 (service) + 6 + 6 (interaction) = 60 lost → 40
    assert (result.vetoes, result.part2, result.verdict) == ([], 40.0, FAIL)


def test_departments_without_services_are_scaled_and_bonus_needs_above_eighty() -> None:
    lost_15 = [Finding("content.sensitive", f"http://s/{i}", "") for i in range(3)] + [
        Finding("content.privacy_leak", f"http://s/p{i}", "") for i in range(3)
    ]  # 6 + 9 = 15 points in 发布解读
    assert score_site(lost_15, NATIONAL, has_services=False).part2 == 80.0  # (75 − 15) × 4/3
    assert score_site(lost_15, NATIONAL, has_services=False, bonus_points=10).score == 80.0  # not > 80
    assert score_site(lost_15, NATIONAL, bonus_points=10).score == 95.0  # 85 + 10
    assert score_site([], NATIONAL, bonus_points=50).score == 130.0  # bonus capped at 30


def _write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def test_user_profiles_override_and_errors_name_the_key(tmp_path: Path) -> None:
    _write(tmp_path, "shire", "id: shire\nextends: jiangxi\npass_score: 70\n")
    shire = load_profile("shire", user_dir=tmp_path)
    assert (shire.lineage, shire.pass_score) == (("shire", "jiangxi", "national-2019"), 70.0)
    assert shire.section("interaction")["reply_limit_working_days"] == 3

    _write(tmp_path, "loop-a", "id: loop-a\nextends: loop-b\n")
    _write(tmp_path, "loop-b", "id: loop-b\nextends: loop-a\n")
    with pytest.raises(ProfileError, match="成环"):
        load_profile("loop-a", user_dir=tmp_path)

    _write(tmp_path, "bad", "id: bad\nextends: national-2019\ndeductions:\n  - {id: typo, each: -1}\n")
    with pytest.raises(ProfileError, match=r"deductions\.typo\.each"):
        load_profile("bad", user_dir=tmp_path)

    _write(
        tmp_path,
        "twice",
        "id: twice\nextends: national-2019\ndeductions:\n  - {id: x, group: publish, checks: [content.typo], each: 1, cap: 1}\n",
    )
    with pytest.raises(ProfileError, match="不重复扣分"):
        load_profile("twice", user_dir=tmp_path)

    with pytest.raises(ProfileError, match="找不到"):
        load_profile("nowhere", user_dir=tmp_path)
