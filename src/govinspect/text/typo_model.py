"""The classifier that judges typo candidates: boosted decision trees over ``typo.FEATURES``.

The language-model gain alone cannot tell a typo from an unusual but correct phrase: the same gain means a typo for
a broken word and nothing for a real word the model knows (问责, 维稳), and a correction to a rare word needs more
than one to a common word. The trees weigh the gain against those facts. They are plain data
(``data/typo_model.json``), fitted by ``bench/text/spelling.py --train`` on the development half of the
official-document set only (the held-out half and SIGHAN-15 are never trained on), and evaluated here in pure
Python: a candidate costs about a hundred comparisons.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("data") / "typo_model.json"


@dataclass(frozen=True, slots=True)
class TreeModel:
    """Additive trees: score = base + sum of the leaf each tree reaches; a candidate is reported when its score is
    at least ``threshold`` (log-odds that it is a real typo)."""

    features: tuple[str, ...]
    base: float
    # Each tree is a list of nodes: [feature index, split value, left node, right node] or [leaf value];
    # a value below the split goes left.
    trees: tuple[tuple[tuple[float, ...], ...], ...]
    threshold: float
    note: str = ""

    def score(self, x: Sequence[float]) -> float:
        """The model's score of one feature vector (the compiled form of ``walk``)."""
        return _compiled(self)(x)

    def walk(self, x: Sequence[float]) -> float:
        """The score by walking each tree's nodes: the reference ``score`` is checked against."""
        total = self.base
        for nodes in self.trees:
            node = nodes[0]
            while len(node) == 4:
                node = nodes[int(node[2] if x[int(node[0])] < node[1] else node[3])]
            total += node[0]
        return total

    def to_json(self) -> str:
        data = {
            "note": self.note,
            "features": list(self.features),
            "threshold": self.threshold,
            "base": self.base,
            "trees": [[list(n) for n in t] for t in self.trees],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _expression(nodes: tuple[tuple[float, ...], ...], at: int) -> str:
    node = nodes[at]
    if len(node) != 4:
        return repr(node[0])
    left, right = _expression(nodes, int(node[2])), _expression(nodes, int(node[3]))
    return f"({left} if x[{int(node[0])}] < {node[1]!r} else {right})"


_COMPILED: dict[int, tuple[TreeModel, Callable[[Sequence[float]], float]]] = {}


def _compiled(model: TreeModel) -> Callable[[Sequence[float]], float]:
    """The trees as one Python expression of nested conditionals, compiled once per model: evaluating it is
    several times faster than walking node lists, and the typo checker scores thousands of candidates."""
    hit = _COMPILED.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    # Only numbers parsed by float() and feature indexes go into the source: nothing from the checked text.
    terms = " + ".join(_expression(t, 0) for t in model.trees) or "0.0"
    code = compile(f"lambda x: {model.base!r} + {terms}", "<typo_model>", "eval")
    fn = eval(code, {"__builtins__": {}})
    _COMPILED[id(model)] = (model, fn)  # the model is kept, so its id is not reused while it is here
    return fn


def parse(text: str) -> TreeModel:
    data = json.loads(text)
    return TreeModel(
        features=tuple(data["features"]),
        base=float(data["base"]),
        trees=tuple(tuple(tuple(float(v) for v in n) for n in t) for t in data["trees"]),
        threshold=float(data["threshold"]),
        note=str(data.get("note", "")),
    )


_LOCK = threading.Lock()
_MODELS: dict[Path, TreeModel | None] = {}


def load_model(features: Sequence[str], path: Path = DEFAULT_PATH) -> TreeModel | None:
    """The shipped model, or None when it is absent or was fitted on other features (the checker then falls back
    to fixed margins on the gain)."""
    with _LOCK:
        if path not in _MODELS:
            try:
                _MODELS[path] = parse(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError, TypeError):
                _MODELS[path] = None
        model = _MODELS[path]
    return model if model is not None and model.features == tuple(features) else None


def reset_models() -> None:
    with _LOCK:
        _MODELS.clear()
        _COMPILED.clear()
