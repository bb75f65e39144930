"""Fitting the acupoint rules to hand-marked labels, and measuring them by cross-validation by person.

Pure numpy, no I/O. A rule *family* (written in :mod:`locator.catalogue` beside the point's definition)
is an origin and a few difference vectors between landmarks::

    point = origin + sum_k c_k * (head_k - tail_k)

Origin, heads and tails are affine combinations of landmarks, so for any coefficients ``c`` the rule is
an affine combination too (it follows rotation, scale and mirroring). The error against a label is linear
in ``c``, so fitting is least squares on hand-size-normalised residuals: closed form, deterministic.

Cross-validation holds out one *group* at a time (the photos of one person; a photo without a person is
its own group), so a person's hands are never on both sides. Choosing a family is part of the procedure
being measured: in each fold the family is chosen by an inner cross-validation on the training groups
only, so the cross-validated figures include the choice (no over-choosing on the held-out person). So
is the choice of how to show the point after its rule (an image cue or none, :func:`choose_option`): it
is made in each fold on the training groups, after that fold's rule; the least squares never see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

Combination = Mapping[int, float]  # landmark index -> weight, weights summing to one


@dataclass(frozen=True)
class Term:
    """One free direction of a rule: the vector from ``tail`` to ``head``, times a fitted coefficient."""

    name: str
    head: Combination
    tail: Combination


@dataclass(frozen=True)
class Family:
    """A readable rule shape: where it starts and along which hand vectors it may move."""

    name: str
    origin: Combination
    terms: tuple[Term, ...]

    def weights(self, coefficients: Sequence[float]) -> np.ndarray:
        """The rule's ``(21,)`` landmark weights for these coefficients (they sum to one)."""
        weights = combination_weights(self.origin)
        for coefficient, term in zip(coefficients, self.terms, strict=True):
            weights = weights + coefficient * (combination_weights(term.head) - combination_weights(term.tail))
        return weights


def combination_weights(combination: Combination) -> np.ndarray:
    """The ``(21,)`` landmark weights of an affine combination written as ``{landmark: weight}``."""
    weights = np.zeros(21)
    for index, weight in combination.items():
        weights[index] += weight
    return weights


@dataclass(frozen=True)
class Sample:
    """One labelled hand: the detector's landmarks, the labels' hand size, its group, its marked points,
    and the points the locator withholds on it as not placeable (they are scored, never fitted)."""

    landmarks: np.ndarray  # (21, 2) pixels
    scale: float           # the labels' wrist-to-middle-knuckle distance, pixels
    group: str
    targets: Mapping[str, np.ndarray]
    withheld: frozenset[str] = frozenset()
    # ``refine(code, xy, option) -> xy``: the rule's point moved by an *option* (an image cue, see
    # locator.image_cues) on the hand's picture; None when no picture was seen. Options are scored and
    # chosen after the rule, never in its least squares, which stay on the landmarks.
    refine: Callable[[str, np.ndarray, object], np.ndarray] | None = None

    def shown(self, weights: np.ndarray, code: str, option: object = None) -> np.ndarray:
        """Where the locator shows ``code`` on this hand under the rule ``weights`` and ``option`` (None:
        the rule's point as it is)."""
        xy = weights @ self.landmarks
        return xy if option is None or self.refine is None else self.refine(code, xy, option)


def fit(family: Family, samples: Sequence[Sample], code: str) -> np.ndarray:
    """Least-squares coefficients of ``family`` for point ``code`` (errors in hand sizes), on the hands
    where the point is placed (a rule is never used where it is withheld)."""
    if not family.terms:
        return np.zeros(0)
    origin = combination_weights(family.origin)
    directions = np.array([combination_weights(t.head) - combination_weights(t.tail) for t in family.terms])  # (k, 21)
    rows, rhs = [], []
    for sample in (s for s in samples if code not in s.withheld):
        rows.append((directions @ sample.landmarks).T / sample.scale)      # (2, k)
        rhs.append((sample.targets[code] - origin @ sample.landmarks) / sample.scale)
    coefficients, *_ = np.linalg.lstsq(np.concatenate(rows), np.concatenate(rhs), rcond=None)
    return coefficients


def errors(weights: np.ndarray, samples: Sequence[Sample], code: str, option: object = None) -> np.ndarray:
    """Distance from each sample's label to the point shown (the rule's, moved by ``option``), in hand
    sizes."""
    return np.array([np.linalg.norm(s.shown(weights, code, option) - s.targets[code]) / s.scale
                     for s in samples])


def leave_one_group_out(samples: Sequence[Sample], code: str,
                        procedure: Callable[[Sequence[Sample]], tuple[np.ndarray, object]]) -> np.ndarray:
    """Each sample's error under the rule weights and the option (None: the rule's point as it is) that
    ``procedure`` makes from the other groups' samples."""
    result = np.empty(len(samples))
    groups = np.array([s.group for s in samples])
    for group in sorted(set(groups)):
        inside = groups == group
        weights, option = procedure([s for s, held in zip(samples, inside) if not held])
        result[inside] = errors(weights, [s for s, held in zip(samples, inside) if held], code, option)
    return result


def fitted_weights(family: Family, samples: Sequence[Sample], code: str) -> np.ndarray:
    return family.weights(fit(family, samples, code))


# Fewer people than this and a leave-one-person-out comparison cannot tell rule shapes apart (the
# standard error of a mean over a handful of hands is as large as the differences): the first family
# is kept. Set after seeing LI4 (9 hands, 8 people), where the choice flipped in one fold.
MIN_GROUPS_TO_CHOOSE = 10


def choose(families: Sequence[Family], samples: Sequence[Sample], code: str) -> Family:
    """The simplest family (families are listed simplest first) whose mean leave-one-group-out error, on
    the hands where the point is placed, is within one standard error of the best family's: a richer
    shape must earn its extra terms by more than the noise of the comparison (the one-standard-error
    rule). With fewer than MIN_GROUPS_TO_CHOOSE groups there is no comparison: the first family."""
    if len({s.group for s in samples}) < MIN_GROUPS_TO_CHOOSE:
        return families[0]
    placed = np.array([code not in s.withheld for s in samples])
    held_out = [leave_one_group_out(samples, code, lambda t, f=family: (fitted_weights(f, t, code), None))[placed]
                for family in families]
    return families[one_standard_error(held_out)]


def one_standard_error(held_out: Sequence[np.ndarray], paired: bool = False) -> int:
    """The first candidate (candidates are listed simplest first) whose mean error is within one standard
    error of the best one's: a richer candidate must beat the noise of the comparison. ``paired``: the
    standard error of each candidate's hand-by-hand difference from the best, for candidates that change
    few hands (an image cue against none: most hands' errors are the same on both sides, so how far the
    hands' errors spread says nothing about whether the cue helps)."""
    means = [float(np.mean(errors)) for errors in held_out]
    best = int(np.argmin(means))

    def noise(number: int) -> float:
        spread = np.asarray(held_out[number]) - held_out[best] if paired else held_out[best]
        return float(np.std(spread) / np.sqrt(len(spread)))

    return next(number for number, mean in enumerate(means) if mean <= means[best] + noise(number))


def choose_option(options: Sequence[object], family: Family, samples: Sequence[Sample], code: str) -> object:
    """How to show the point after ``family``'s rule: among ``options`` (the first is None, the rule's
    point as it is; then image cues), the first whose mean leave-one-group-out error on the hands where
    the point is placed (the family refitted without each group, then the option) is within one
    standard error of its hand-by-hand difference from the best option's (a cue must beat the noise of
    the comparison to be used; paired, as the options are scored on the same hands). With fewer than
    MIN_GROUPS_TO_CHOOSE groups, or no picture seen, the rule alone."""
    if (len(options) < 2 or len({s.group for s in samples}) < MIN_GROUPS_TO_CHOOSE
            or any(s.refine is None for s in samples)):
        return options[0]
    placed = [s for s in samples if code not in s.withheld]
    held_out = [leave_one_group_out(placed, code, lambda training, option=option:
                                    (fitted_weights(family, training, code), option))
                for option in options]
    return options[one_standard_error(held_out, paired=True)]


@dataclass(frozen=True)
class FittedPoint:
    """The outcome for one point: chosen family and coefficients, and its errors in and out of sample."""

    code: str
    family: Family
    coefficients: np.ndarray
    in_sample: np.ndarray         # errors of the final rule on every labelled hand
    cross_validated: np.ndarray   # each hand's error under the whole procedure run without its group
    placed: np.ndarray            # whether the point is placed on each hand (not withheld)
    option: object = None         # how the point is shown after the rule (an image cue), None: as it is

    @property
    def weights(self) -> np.ndarray:
        return self.family.weights(self.coefficients)


def cross_validatable(code: str, samples: Sequence[Sample]) -> bool:
    """Whether ``code`` is placed on hands of at least two groups: with one, no fold has a hand to fit on."""
    return len({s.group for s in samples if code in s.targets and code not in s.withheld}) >= 2


def fit_point(code: str, families: Sequence[Family], samples: Sequence[Sample],
              options: Sequence[object] = (None,)) -> FittedPoint:
    """Choose and fit a family for ``code`` on all samples that mark it, then choose among ``options`` how
    to show its point (:func:`choose_option`); cross-validate the whole procedure (in each fold the
    family, its fit and the option are chosen on the training groups only)."""
    labelled = [s for s in samples if code in s.targets]
    family = choose(families, labelled, code)
    coefficients = fit(family, labelled, code)
    option = choose_option(options, family, labelled, code)

    def whole_procedure(training: Sequence[Sample]) -> tuple[np.ndarray, object]:
        chosen = choose(families, training, code)
        return fitted_weights(chosen, training, code), choose_option(options, chosen, training, code)

    held_out = leave_one_group_out(labelled, code, whole_procedure)
    return FittedPoint(code, family, coefficients, errors(family.weights(coefficients), labelled, code, option),
                       held_out, np.array([code not in s.withheld for s in labelled]), option)


PCK_THRESHOLDS = (0.05, 0.10, 0.20)
RING_SHARE = 0.8  # the ring around each point holds this share of the labels, cross-validated


def summarise(errors: Sequence[float]) -> dict:
    """n, PCK at each threshold and the median of normalised errors, rounded for reading."""
    errors = np.asarray(errors, dtype=float)
    if not errors.size:
        return {"n": 0}
    return {"n": int(errors.size), **{f"pck@{t:.2f}": round(float(np.mean(errors <= t)), 4)
                                      for t in PCK_THRESHOLDS},
            "median": round(float(np.median(errors)), 4)}


def ring_radius(point: FittedPoint) -> float:
    """The radius, in hand sizes, within which RING_SHARE of the labels fall on the hands where the point
    is placed, cross-validated (rounded up to 0.001)."""
    return float(np.ceil(np.quantile(point.cross_validated[point.placed], RING_SHARE) * 1000) / 1000)


def to_json(point: FittedPoint) -> dict:
    """What the catalogue reads (family, coefficients, the image cue if one was chosen, radius) and the
    figures behind them."""
    return {"family": point.family.name,
            "coefficients": {t.name: round(float(c), 4) for t, c in zip(point.family.terms, point.coefficients)},
            **({"image_cue": point.option.name} if point.option is not None else {}),
            "radius": ring_radius(point),
            "in_sample": summarise(point.in_sample), "cross_validated": summarise(point.cross_validated),
            "cross_validated_placed": summarise(point.cross_validated[point.placed])}


def same_constants(shipped: Mapping[str, dict], fitted: Mapping[str, dict], tolerance: float = 0.002) -> bool:
    """Whether two fits (the ``points`` of ``fitted_rules.json``) give the same rules and rings: the same
    family and image cue per point, coefficients and radii within ``tolerance`` (the detector's
    floating-point noise on another machine may move the last digits; the figures behind them are not
    compared)."""
    def close(a: dict, b: dict) -> bool:
        return (a["family"] == b["family"] and a.get("image_cue") == b.get("image_cue")
                and a["coefficients"].keys() == b["coefficients"].keys()
                and all(abs(a["coefficients"][k] - b["coefficients"][k]) <= tolerance for k in a["coefficients"])
                and abs(a["radius"] - b["radius"]) <= tolerance)

    return shipped.keys() == fitted.keys() and all(close(shipped[c], fitted[c]) for c in shipped)
