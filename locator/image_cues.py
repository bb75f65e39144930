"""Image cues: what the picture shows moves a point the landmark rules placed.

The rules see only MediaPipe's 21 landmarks, and some points sit on a line the picture shows but the
landmarks do not (a web's margin, a wrist crease): the landmarks' own noise then carries the point. An
image cue looks at a few pixels near the rule's point and moves it to that line, or leaves it where it
is when the picture is not clear. Pure numpy, no I/O: the photo path (:func:`locator.photos.locate_in_photo`)
runs :func:`apply_cues` after :func:`locator.hands.locate_hand`, and so does the live path
(:meth:`locator.live.LivePipeline.locate`) with the cues fit for video (:data:`LIVE_CUES`; none yet).

A cue is a function ``move(hand, code, xy) -> xy``: the hand in its picture (:class:`HandPicture`), a point
code, the rule's point in the picture's pixels; it returns the point to show (``xy`` itself when the
picture says nothing sure). The hand keeps a ``refine`` function (the cues on its picture), so that
cross-validation (:mod:`locator.fitting`) applies the cues after each fold's own rule, as a user's photo
gets them after the shipped rule.

Which cue a point gets is the fit's choice, like its rule: :data:`CUE_OPTIONS` offers, per point, "none"
and a few settings of a cue; ``python -m locator fit`` chooses among them by cross-validation by person
and writes the choice into ``fitted_rules.json`` (``image_cue``), which :data:`CUES` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

import numpy as np

from . import web_margin
from .catalogue import fitted_cue
from .hands import LocatedHand


@dataclass(frozen=True)
class HandPicture:
    """One hand as a cue sees it: the RGB picture ``(h, w, 3)`` uint8, the landmarks ``(21, 2)`` in that
    picture's pixels, and the face decided toward the camera (palm, back, side or unsure)."""

    picture: np.ndarray
    landmarks: np.ndarray
    facing: str


@dataclass(frozen=True)
class ImageCue:
    """A cue for the points ``codes``: ``move(hand, code, xy)`` gives the point to show (picture pixels).
    ``live``: whether the live path applies it too (a cue whose reading flickers from frame to frame on
    video, as the bench's steadiness section shows, is for photos only)."""

    name: str
    codes: frozenset[str]
    move: Callable[[HandPicture, str, np.ndarray], np.ndarray]
    live: bool = True


# Per point, what the fit may choose (None first: the rule's point as it is).
CUE_OPTIONS: dict[str, tuple[ImageCue | None, ...]] = {
    code: (None, *(ImageCue(settings.name, frozenset({code}), partial(web_margin.move_to_margin, settings=settings),
                            live=web_margin.LIVE) for settings in web_margin.options(code)))
    for code in web_margin.WEBS}


def fitted_cues(options: dict[str, tuple[ImageCue | None, ...]],
                chosen: Callable[[str], str | None] = fitted_cue) -> tuple[ImageCue, ...]:
    """The cues the fit chose (``chosen(code)``, a cue's name or None), looked up among ``options``; a
    name no option has any more (a cue renamed since the fit) is said as such, not as a bare
    StopIteration at import."""
    cues = []
    for code, candidates in options.items():
        name = chosen(code)
        if name is None:
            continue
        cue = next((option for option in candidates if option is not None and option.name == name), None)
        if cue is None:
            raise LookupError(f"fitted_rules.json: {code}'s image cue {name!r} is not among image_cues."
                              f"CUE_OPTIONS (renamed since the fit? drop it there, then `python -m locator fit "
                              f"--write`)")
        cues.append(cue)
    return tuple(cues)


# The cues the locator applies, in order (a later cue sees the earlier ones' points): the fit's choices.
CUES: tuple[ImageCue, ...] = fitted_cues(CUE_OPTIONS)
# The cues the live path applies (on every frame, after the rules).
LIVE_CUES: tuple[ImageCue, ...] = tuple(cue for cue in CUES if cue.live)


def refiner(picture: np.ndarray, hand: LocatedHand, scale: float = 1.0, cues: tuple[ImageCue, ...] = CUES
            ) -> Callable[..., np.ndarray]:
    """``refine(code, xy, cues=cues) -> xy`` in the hand's coordinates: the cues for ``code`` on
    ``picture``, whose pixels are ``scale`` times the hand's (a photo's detection picture against its
    full-size frame); an evaluation may pass other cues (:data:`CUE_OPTIONS`) to score them."""
    view = HandPicture(picture, hand.landmarks * scale, hand.facing)

    def refine(code: str, xy: np.ndarray, cues: tuple[ImageCue, ...] = cues) -> np.ndarray:
        moved = np.asarray(xy, dtype=float) * scale
        for cue in cues:
            if code in cue.codes:
                moved = np.asarray(cue.move(view, code, moved), dtype=float)
        return moved / scale

    return refine


def apply_cues(picture: np.ndarray, hand: LocatedHand, scale: float = 1.0,
               cues: tuple[ImageCue, ...] = CUES) -> LocatedHand:
    """``hand`` with the points the cues cover moved by what ``picture`` shows (see :func:`refiner`), and
    its ``refine`` set so that an evaluation can re-apply them to another rule's point."""
    refine = refiner(picture, hand, scale, cues)
    covered = set().union(*(cue.codes for cue in cues))
    points = tuple(replace(point, xy=refine(point.code, point.xy)) if point.code in covered else point
                   for point in hand.points)
    return replace(hand, points=points, refine=refine)
