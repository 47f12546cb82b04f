"""The word trigram the typo checker scores with: Debian's ``libime-data-language-model`` (a KenLM binary).

Loaded lazily, once per process (it is memory-mapped, so loading costs milliseconds). ``GOVINSPECT_TYPO_LM``
points at another KenLM word model; an empty value turns the model off (the checker then runs its weaker mode).
The model's vocabulary is libime's, not jieba's: a jieba word the model does not know is split into the longest
pieces it does know, so an unknown compound is not scored as ``<unk>`` on one side of a comparison only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_LM_PATHS = (
    "/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm",
    "/usr/lib/aarch64-linux-gnu/libime/zh_CN.lm",
    "/usr/lib/libime/zh_CN.lm",
    "/usr/share/libime/zh_CN.lm",
)
MAX_PIECE = 4


class WordLM:
    """A KenLM word model with the piece-splitting its vocabulary needs."""

    def __init__(self, model: Any, path: str) -> None:
        self._model = model
        self.path = path
        self.order: int = model.order
        self._pieces = lru_cache(maxsize=200_000)(self._split)
        self.unigram = lru_cache(maxsize=200_000)(self._unigram)

    def _unigram(self, word: str) -> float:
        """log10 probability of a word without context (its pieces' when the model does not know it): how common
        it is in the model's modern text, where jieba's old counts undervalue words such as 拐卖."""
        return self._model.score(" ".join(self._pieces(word)), bos=False, eos=False)

    def _split(self, token: str) -> tuple[str, ...]:
        model = self._model
        if token in model or len(token) == 1:
            return (token,)
        out: list[str] = []
        i, n = 0, len(token)
        while i < n:
            for j in range(min(n, i + MAX_PIECE), i, -1):
                if j - i == 1 or token[i:j] in model:
                    out.append(token[i:j])
                    i = j
                    break
        return tuple(out)

    def pieces(self, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        for t in tokens:
            out.extend(self._pieces(t))
        return out

    def score(self, tokens: Sequence[str], bos: bool = True, eos: bool = True) -> float:
        """log10 probability of the tokens (re-split to the model's vocabulary)."""
        return self._model.score(" ".join(self.pieces(tokens)), bos=bos, eos=eos)

    def token_scores(self, tokens: Sequence[str], bos: bool = True, eos: bool = True) -> list[float]:
        """log10 probability of each token given the ones before it (its pieces summed), then that of the end of
        the sentence when ``eos``: where a text reads badly, for choosing what is worth correcting."""
        counts = [len(self._pieces(t)) for t in tokens]
        scores = [s for s, _, _ in self._model.full_scores(" ".join(self.pieces(tokens)), bos=bos, eos=eos)]
        out: list[float] = []
        i = 0
        for n in counts:
            out.append(sum(scores[i : i + n]))
            i += n
        if eos:
            out.append(scores[-1])
        return out

    def full_scores(
        self, tokens: Sequence[str], bos: bool = True, eos: bool = True
    ) -> list[tuple[float, int]]:
        """(log10 probability, length of the n-gram the model matched) of each piece, then of the end of the
        sentence when ``eos``: a correction that turns unigram back-offs into known bigrams and trigrams is more
        credible than its probability gain alone says."""
        text = " ".join(self.pieces(tokens))
        return [(s, n) for s, n, _ in self._model.full_scores(text, bos=bos, eos=eos)]

    def __contains__(self, word: str) -> bool:
        return word in self._model


_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def lm_path() -> str | None:
    """The model file to use, or None (with the reason in ``lm_status``)."""
    env = os.environ.get("GOVINSPECT_TYPO_LM")
    if env is not None:
        return env or None
    for p in DEFAULT_LM_PATHS:
        if Path(p).is_file():
            return p
    return None


def load_lm() -> WordLM | None:
    """The model, loaded on first call; None when it is missing or unreadable (``lm_status`` says why)."""
    with _LOCK:
        if "lm" in _STATE:
            return _STATE["lm"]
        lm: WordLM | None = None
        path = lm_path()
        if path is None:
            reason = (
                "未找到词语三元语言模型（请安装 Debian 软件包 libime-data-language-model）"
                if os.environ.get("GOVINSPECT_TYPO_LM") is None
                else "语言模型已被 GOVINSPECT_TYPO_LM 关闭"
            )
        elif not Path(path).is_file():
            reason = f"语言模型文件不存在：{path}"
        else:
            try:
                import kenlm

                lm = WordLM(kenlm.Model(path), path)
                reason = f"KenLM 词语三元模型：{path}"
            except (ImportError, OSError, RuntimeError) as exc:
                reason = f"语言模型无法加载（{type(exc).__name__}: {exc}）：{path}"
        _STATE["lm"] = lm
        _STATE["reason"] = reason
        return lm


def lm_status() -> tuple[bool, str]:
    """(model loaded, a sentence saying which model or why none)."""
    lm = load_lm()
    return lm is not None, _STATE["reason"]


def reset_lm() -> None:
    """Forget the loaded model (tests switch ``GOVINSPECT_TYPO_LM``)."""
    with _LOCK:
        _STATE.clear()
