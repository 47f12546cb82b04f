"""``check_text``: one entry point; the typo checker gets the protected spans and its absence degrades."""

from __future__ import annotations

from datetime import date

import pytest

from govinspect.text import check
from govinspect.text.finding import TextFinding
from govinspect.text.protect import Whitelist, protected_spans

DAY = date(2024, 6, 1)


def test_protected_spans_cover_names_identifiers_and_lexicon() -> None:
    text = "上饶市广丰区人民政府主办 赣ICP备05003437号 网站标识码3611000003 坚持四个意识 http://www.gov.cn/a"
    spans = protected_spans(text, whitelist=Whitelist(["上饶市广丰区人民政府"]), lexicon_spans=[(34, 38)])

    def covered(piece: str) -> bool:
        i = text.index(piece)
        return any(a <= i and i + len(piece) <= b for a, b in spans)

    for piece in ("上饶市广丰区人民政府", "赣ICP备05003437号", "3611000003", "http://www.gov.cn/a"):
        assert covered(piece), piece
    assert not covered("主办")


def test_typo_checker_receives_protected_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[tuple[int, int]]] = []

    def fake(text: str, protected: list[tuple[int, int]]) -> list[TextFinding]:
        seen.append(protected)
        return [TextFinding("content.typo", 0, 2, text[:2], "错别字", "x", "deduction")]

    monkeypatch.setitem(check._typo_state, "finder", fake)
    text = "广西壮族自治区坚持四个意识"
    found = check.check_text(text, as_of=DAY, whitelist=["某某单位"])
    assert [f.check for f in found] == ["content.typo"]
    assert any(a <= text.index("广西壮族自治区") and b >= 7 for a, b in seen[0])
    assert check.check_text(text, as_of=DAY, typos=False) == []


def test_missing_typo_checker_degrades(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(check._typo_state, "finder", None)
    monkeypatch.setitem(check._typo_state, "reason", "ModuleNotFoundError: typo")
    found = check.check_text("增强“三个意识”，电话13812345678", as_of=DAY)
    assert [f.check for f in found] == ["content.serious_error", "content.privacy_leak"]
    assert check.typo_unavailable_reason() == "ModuleNotFoundError: typo"


def test_plain_text_illegal_advert_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(check._typo_state, "finder", None)
    found = check.check_text("出售高仿真枪支弹药，货到付款，联系QQ：335071899", as_of=DAY)
    assert [(f.check, f.severity) for f in found] == [("content.illegal", "veto")]
