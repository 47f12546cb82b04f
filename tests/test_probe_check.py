"""availability.unreachable from a week of probes (checks/availability.py): the 5% line, the week's coverage,
the agreement of vantage points, what a probe that judges nothing is, and the model's round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from govinspect.checks.availability import check_unreachable, probe_window, summarise_probes
from govinspect.checks.finding import Severity
from govinspect.checks.registry import run_checks
from govinspect.extract.model import Expected, Homepage, ProbeSeen, SiteModel
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

PROFILE = load_profile("national-2019")
AS_OF = date(2020, 3, 31)
HOME = "http://www.example.gov.cn/"
START = datetime(2020, 3, 23, 16, 0, tzinfo=UTC)  # 2020-03-24 00:00 in China: the window's first instant


def week(per_day: int = 20, *, failing: set[int] = frozenset(), vantage: str = "gz", offset: float = 0.0,
         days: int = 7, error: str = "connect") -> list[ProbeSeen]:  # fmt: skip
    """``days`` days of probes at even intervals from START; the probes numbered in ``failing`` fail."""
    step = timedelta(days=1) / per_day
    probes = []
    for n in range(per_day * days):
        at = START + step * n + timedelta(minutes=offset)
        failed = n in failing
        probes.append(ProbeSeen(at, vantage, error if failed else None, None if failed else 200, 80))
    return probes


def model(probes: list[ProbeSeen]) -> SiteModel:
    return SiteModel(
        Expected("4400000001", "某某市人民政府", "某某市人民政府办公室"),
        Homepage(HOME, ()),
        probes=tuple(probes),
    )


def test_the_window_is_the_week_before_as_of() -> None:
    assert probe_window(AS_OF, 7) == (date(2020, 3, 24), date(2020, 3, 30))
    # probes of as_of's own day and before the window are not judged
    outside = [
        ProbeSeen(START - timedelta(seconds=1), "gz", "connect"),
        ProbeSeen(START + timedelta(days=7), "gz"),
    ]
    summary = summarise_probes(week() + outside, *probe_window(AS_OF, 7))
    assert summary.probes == 140 and summary.failures == 0 and summary.uptime == 1.0


def test_failures_at_five_percent_are_a_veto_and_just_under_are_not() -> None:
    (finding,) = check_unreachable(model(week(failing=set(range(0, 140, 20)))), PROFILE, AS_OF)  # 7 of 140
    assert finding.check == "availability.unreachable" and finding.severity is Severity.DEDUCTION
    assert finding.url == HOME and "140 次访问中 7 次" in finding.message and "5.00%" in finding.message
    assert finding.evidence["probes"] == 140 and finding.evidence["failures"] == 7
    assert finding.evidence["ratio"] == 0.05 and finding.evidence["window"] == {
        "start": "2020-03-24",
        "end": "2020-03-30",
    }
    assert finding.evidence["vantage_points"] == ["gz"] and finding.evidence["errors"] == {"connect": 7}
    assert len(finding.evidence["failed_at"]) == 7
    assert score_site([finding], PROFILE).veto_names == ["站点无法访问"]
    # 7 of 141: 4.96%
    assert check_unreachable(model(week(failing=set(range(0, 140, 20)), per_day=20) + week(days=1)[:1]), PROFILE, AS_OF) == []  # fmt: skip
    assert check_unreachable(model(week(failing=set(range(0, 120, 20)))), PROFILE, AS_OF) == []  # 6 of 140


def test_a_week_short_of_probes_is_a_notice_at_most() -> None:
    probes = week(failing=set(range(0, 140, 10)))  # 10%
    short = [p for p in probes if not (START + timedelta(days=2) <= p.at < START + timedelta(days=3))]
    (finding,) = check_unreachable(model(short), PROFILE, AS_OF)
    assert finding.severity is Severity.NOTICE and "需人工确认" in finding.message
    assert finding.evidence["days_short"] == ["2020-03-26"]
    assert score_site([finding], PROFILE).veto_names == []
    # a handful of probes says nothing either way
    assert check_unreachable(model(week(failing={0, 1})[:10]), PROFILE, AS_OF) == []
    assert check_unreachable(model([]), PROFILE, AS_OF) == []


def test_a_firewall_answer_is_not_a_failure_and_not_a_probe_of_the_site() -> None:
    blocked = [ProbeSeen(p.at, p.vantage, "blocked", 403) for p in week()]
    summary = summarise_probes(blocked, *probe_window(AS_OF, 7))
    assert summary.probes == 0 and summary.not_judged == 140 and summary.ratio is None
    assert check_unreachable(model(blocked), PROFILE, AS_OF) == []


def test_a_page_slower_than_the_limit_has_not_opened() -> None:
    slow = [
        ProbeSeen(p.at, p.vantage, None, 200, 16_000 if i % 10 == 0 else 90) for i, p in enumerate(week())
    ]
    (finding,) = check_unreachable(model(slow), PROFILE, AS_OF)
    assert finding.evidence["failures"] == 14 and finding.evidence["errors"] == {"timeout": 14}


def test_with_two_vantage_points_a_failure_counts_only_when_the_other_agrees() -> None:
    # Guangzhou's network drops every tenth probe; Beijing sees the site open: a local fault, not the site's.
    local_fault = week(failing=set(range(0, 140, 10)), vantage="gz") + week(vantage="bj", offset=7)
    summary = summarise_probes(local_fault, *probe_window(AS_OF, 7))
    assert summary.vantages == ("bj", "gz") and summary.probes == 280
    assert summary.failures == 0 and summary.unconfirmed == 14
    assert check_unreachable(model(local_fault), PROFILE, AS_OF) == []
    # the site itself is down: both see it within minutes, every failure counts
    both = week(failing=set(range(0, 140, 10)), vantage="gz") + week(
        failing=set(range(0, 140, 10)), vantage="bj", offset=7
    )
    (finding,) = check_unreachable(model(both), PROFILE, AS_OF)
    assert finding.evidence["failures"] == 28 and finding.evidence["probes"] == 280
    assert finding.evidence["vantage_points"] == ["bj", "gz"] and finding.evidence["unconfirmed"] == 0
    assert "2 个监测点共同确认" in finding.message
    # agreement is within the profile's minutes: a failure elsewhere an hour later confirms nothing
    late = week(failing=set(range(0, 140, 10)), vantage="gz") + week(
        failing=set(range(0, 140, 10)), vantage="bj", offset=60
    )
    assert summarise_probes(late, *probe_window(AS_OF, 7)).failures == 0


def test_the_check_runs_in_the_registry_and_probes_survive_the_stored_model() -> None:
    site = model(week(failing=set(range(0, 140, 4))))  # the farm's flaky site: one connection in four reset
    assert [f.check for f in run_checks(site, PROFILE, AS_OF) if f.check.startswith("availability")] == [
        "availability.unreachable"
    ]
    back = model_from_dict(model_to_dict(site))
    assert back.probes == site.probes and back.probes[0].at.tzinfo is not None
    assert check_unreachable(back, PROFILE, AS_OF) == check_unreachable(site, PROFILE, AS_OF)
    assert model_from_dict({k: v for k, v in model_to_dict(site).items() if k != "probes"}).probes == ()
