"""Telling which hand is which between two lists of hands: one greedy nearest-pairing helper.

Used wherever two sets of hands meet: copies of one hand found twice by the detector, hands from frame to
frame (smoothing, the live detector's hand-over) and labelled hands against found ones (evaluation).
Distances are in hand sizes, so one limit fits a hand near and far from the camera.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def gap(a: np.ndarray, b: np.ndarray, size: float) -> float:
    """Mean distance between corresponding points of two ``(k, 2)`` arrays, in units of ``size`` pixels."""
    distances = [math.hypot(ax - bx, ay - by) for (ax, ay), (bx, by) in zip(np.asarray(a).tolist(),
                                                                            np.asarray(b).tolist())]
    return sum(distances) / len(distances) / max(size, 1e-9)


def pair_nearest(costs: Sequence[Sequence[float]], limit: float) -> list[tuple[int, int]]:
    """One-to-one pairs ``(row, column)`` taken in order of increasing cost, none above ``limit``.

    Greedy, not optimal: with the few hands in a picture the two agree except in contrived cases, and
    greedy keeps the closest pair together, which is what a person would expect. Plain Python: it runs
    for every frame on a handful of costs, where numpy's overhead would dominate.
    """
    candidates = sorted((cost, row, column) for row, line in enumerate(costs)
                        for column, cost in enumerate(line) if cost <= limit)
    pairs: list[tuple[int, int]] = []
    used_rows: set[int] = set()
    used_columns: set[int] = set()
    for _, row, column in candidates:
        if row not in used_rows and column not in used_columns:
            pairs.append((row, column))
            used_rows.add(row)
            used_columns.add(column)
    return pairs
