"""Gradient-boosted decision trees (logistic loss, histogram splits) for the typo classifier, in numpy.

Used only by ``bench/text/spelling.py --train``; the product evaluates the fitted trees in pure Python
(``govinspect.text.typo_model``). Small on purpose: a few thousand candidates, two dozen features.
"""

from __future__ import annotations

import numpy as np

Node = list[float]


def fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_trees: int = 150,
    depth: int = 3,
    rate: float = 0.1,
    min_leaf: int = 20,
    n_bins: int = 32,
    l2: float = 1.0,
) -> tuple[float, list[list[Node]]]:
    """(base log-odds, trees as flat node lists: [feature, split, left, right] or [leaf value])."""
    edges = [np.unique(np.quantile(x[:, j], np.linspace(0, 1, n_bins + 1)[1:-1])) for j in range(x.shape[1])]
    bins = np.stack([np.searchsorted(edges[j], x[:, j], side="right") for j in range(x.shape[1])], 1)
    mean = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    base = float(np.log(mean / (1 - mean)))
    f = np.full(len(y), base)
    trees: list[list[Node]] = []
    for _ in range(n_trees):
        p = 1 / (1 + np.exp(-f))
        nodes = _Tree(x, bins, edges, p - y, p * (1 - p), depth, rate, min_leaf, l2).nodes
        trees.append(nodes)
        f = f + np.array([leaf(nodes, row) for row in x])
    return base, trees


class _Tree:
    """One regression tree on the gradients g and hessians h (XGBoost-style gain with an L2 term)."""

    def __init__(self, x, bins, edges, g, h, depth: int, rate: float, min_leaf: int, l2: float) -> None:
        self.x, self.bins, self.edges, self.g, self.h = x, bins, edges, g, h
        self.depth, self.rate, self.min_leaf, self.l2 = depth, rate, min_leaf, l2
        self.nodes: list[Node] = []
        self._build(np.arange(len(g)), 0)

    def _best(self, idx: np.ndarray, big_g: float, big_h: float) -> tuple[float, int, int] | None:
        best: tuple[float, int, int] | None = None
        parent = big_g * big_g / (big_h + self.l2)
        for j in range(self.x.shape[1]):
            nb = len(self.edges[j]) + 1
            gs = np.bincount(self.bins[idx, j], self.g[idx], nb)
            hs = np.bincount(self.bins[idx, j], self.h[idx], nb)
            cs = np.bincount(self.bins[idx, j], None, nb)
            gl, hl, cl = np.cumsum(gs)[:-1], np.cumsum(hs)[:-1], np.cumsum(cs)[:-1]
            ok = (cl >= self.min_leaf) & (len(idx) - cl >= self.min_leaf)
            if not ok.any():
                continue
            gain = gl**2 / (hl + self.l2) + (big_g - gl) ** 2 / (big_h - hl + self.l2) - parent
            gain[~ok] = -1.0
            k = int(np.argmax(gain))
            if gain[k] > 1e-9 and (best is None or gain[k] > best[0]):
                best = (float(gain[k]), j, k)
        return best

    def _build(self, idx: np.ndarray, level: int) -> int:
        at = len(self.nodes)
        self.nodes.append([])
        big_g, big_h = float(self.g[idx].sum()), float(self.h[idx].sum())
        best = None
        if level < self.depth and len(idx) >= 2 * self.min_leaf:
            best = self._best(idx, big_g, big_h)
        if best is None:
            self.nodes[at] = [-big_g / (big_h + self.l2) * self.rate]
            return at
        _, j, k = best
        # bin <= k  <=>  x < edges[j][k]
        left, right = idx[self.bins[idx, j] <= k], idx[self.bins[idx, j] > k]
        lo = self._build(left, level + 1)
        hi = self._build(right, level + 1)
        self.nodes[at] = [float(j), float(self.edges[j][k]), float(lo), float(hi)]
        return at


def leaf(nodes: list[Node], row: np.ndarray) -> float:
    node = nodes[0]
    while len(node) == 4:
        node = nodes[int(node[2] if row[int(node[0])] < node[1] else node[3])]
    return node[0]
