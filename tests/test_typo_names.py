"""The typo checker leaves person names alone and proposes common one-character words (typo.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.text import typo
from govinspect.text.lm import DEFAULT_LM_PATHS

needs_lm = pytest.mark.skipif(
    not any(Path(p).is_file() for p in DEFAULT_LM_PATHS),
    reason="Debian's libime-data-language-model is not installed",
)


def test_name_spans_cover_surname_and_given_name() -> None:
    tokens = ["责任编辑", "：", "李", "润", "发"]
    starts = [0, 4, 5, 6, 7, 8]
    assert typo._name_spans(tokens, starts) == [(5, 8)]
    # A surname character inside a word, or alone before a word, is no name.
    assert typo._name_spans(["李子", "树"], [0, 2, 3]) == []
    assert typo._name_spans(["刘", "同志"], [0, 1, 3]) == []


def test_surnames_data() -> None:
    names = typo.surnames()
    assert {"王", "李", "张", "刘"} <= names
    assert all(len(ch) == 1 for ch in names)


@needs_lm
@pytest.mark.parametrize("text", ["天宫一号对接后，刘旺、刘洋依次进驻。", "责任编辑：李润发", "（刘通摄）"])
def test_person_names_not_corrected_into_words(text: str) -> None:
    assert typo.find_typos(text) == []


def test_single_character_words_read_alike() -> None:
    singles = dict(typo._singles("禾"))
    assert singles.get("和") == "pinyin"
    assert all(len(r) == 1 for r in singles) and len(singles) <= typo.SINGLE_MAX
