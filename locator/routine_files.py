"""Routines as files a practitioner can copy and change: one TOML file a routine, checked line by line.

A routine file holds a title, the source it follows, and its steps::

    title = "30-second rescue"
    source = "The seed material's quick version: rub Laogong, press Hegu, stretch the fingers."

    [[steps]]
    point = "PC8"              # a catalogue code; or points = ["EX-UE9-1", ...]; or action = "stretch"
    hands = "both"             # "both" (left, then right), "left" or "right"
    seconds = 15               # per hand and point
    how = "With the other thumb, rub vigorously in circles in the centre of your {hand} palm"
    cautions = ["..."]         # optional: shown with the step, beside the point's own cautions

The page offers the routines that ship with the package and those in the host's folder
(``LOCATOR_ROUTINES_DIR``, one ``*.toml`` file a routine); ``python -m locator routine FILE`` checks a file
and prints the steps it gives. The steps are the entries :func:`locator.steps.expand` turns into the
routine's steps. Names and how-to
text come from the catalogue unless a step gives its own ``how``. Whatever a file says, the safety policy
(:mod:`locator.safety`) still decides which steps may be done. A bad file is a
:class:`~locator.errors.RoutineFileError` naming the file, the line and the problem.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .catalogue import BY_CODE
from .errors import RoutineFileError
from .steps import ACTIONS

ROUTINES_ENV = "LOCATOR_ROUTINES_DIR"  # the host's folder of extra routine files
HANDS_ALLOWED = ("both", "left", "right")
STEP_KEYS = {"point", "points", "action", "hands", "seconds", "how", "cautions"}
MAX_SECONDS = 600


@dataclass(frozen=True)
class RoutineFile:
    """A routine as read from its file: what the page lists and what :func:`locator.steps.expand` takes."""

    title: str
    source: str
    entries: tuple[Mapping[str, Any], ...]
    path: str


def builtin_routines() -> dict[str, RoutineFile]:
    """The routines that ship with the package (``locator/routines/*.toml``), by title, in file order."""
    folder = resources.files("locator.routines")
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    routines = [parse_routine(entry.read_text(encoding="utf-8"), entry.name) for entry in files]
    return {routine.title: routine for routine in routines}


def load_routine(path: Path) -> RoutineFile:
    """One routine file; a missing, unreadable or malformed file is a one-line :class:`RoutineFileError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutineFileError(f"{path}: no such routine file") from None
    except IsADirectoryError:
        raise RoutineFileError(f"{path}: is a folder, not a routine file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RoutineFileError(f"{path}: cannot read ({error})") from None
    return parse_routine(text, str(path))


def parse_routine(text: str, name: str) -> RoutineFile:
    """A routine from the text of its file (``name`` is how errors refer to it)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line L, column C)"
        raise RoutineFileError(f"{name}: not valid TOML: {error}") from None
    checker = _Checker(text, name)
    for key in ("title", "source"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            checker.fail(f"needs a '{key}' (text)", key)
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        checker.fail("needs at least one [[steps]] table", "steps")
    for number, step in enumerate(steps, start=1):
        checker.check_step(number, step)
    return RoutineFile(data["title"].strip(), data["source"].strip(), tuple(steps), name)


class _Checker:
    """Finds the line a problem is on: TOML parsers give positions only for syntax errors."""

    def __init__(self, text: str, name: str):
        self.lines = text.splitlines()
        self.name = name
        self.step_starts = [i for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*steps\s*\]\]", line)]

    def fail(self, problem: str, key: str, step: int | None = None) -> None:
        raise RoutineFileError(f"{self.name}, line {self._line_of(key, step)}: {problem}")

    def _line_of(self, key: str, step: int | None) -> int:
        start, end = 0, len(self.lines)
        if step is not None and step <= len(self.step_starts):
            start = self.step_starts[step - 1]
            end = self.step_starts[step] if step < len(self.step_starts) else len(self.lines)
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for index in range(start, end):
            if pattern.match(self.lines[index]):
                return index + 1
        return start + 1

    def check_step(self, number: int, step: Any) -> None:
        where = f"step {number}: "
        if not isinstance(step, dict):
            self.fail(where + "must be a [[steps]] table", "steps", number)
        unknown = sorted(set(step) - STEP_KEYS)
        if unknown:
            self.fail(where + f"unknown key '{unknown[0]}' (known: {', '.join(sorted(STEP_KEYS))})", unknown[0],
                      number)
        kinds = [key for key in ("point", "points", "action") if key in step]
        if len(kinds) != 1:
            self.fail(where + "needs exactly one of 'point', 'points' or 'action'", kinds[-1] if kinds else "steps",
                      number)
        codes = step.get("points", [step["point"]] if "point" in step else [])
        if "points" in step and (not isinstance(step["points"], list) or not step["points"]):
            self.fail(where + "'points' must be a list of point codes", "points", number)
        for code in codes:
            if code not in BY_CODE:
                self.fail(where + f"unknown point {code!r} (python -m locator points lists them)", kinds[0], number)
        if "action" in step and step["action"] not in ACTIONS:
            self.fail(where + f"unknown action {step['action']!r} (known: {', '.join(ACTIONS)})", "action", number)
        if step.get("hands", "both") not in HANDS_ALLOWED:
            self.fail(where + f"'hands' must be one of {', '.join(HANDS_ALLOWED)}", "hands", number)
        seconds = step.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_SECONDS:
            self.fail(where + f"'seconds' must be a number from 1 to {MAX_SECONDS}", "seconds", number)
        if "how" in step and not isinstance(step["how"], str):
            self.fail(where + "'how' must be text", "how", number)
        cautions = step.get("cautions", [])
        if not isinstance(cautions, list) or not all(isinstance(c, str) for c in cautions):
            self.fail(where + "'cautions' must be a list of texts", "cautions", number)


def offered_routines(environ: Mapping[str, str] = os.environ) -> tuple[dict[str, RoutineFile], list[str]]:
    """The shipped routines, then the host's (``LOCATOR_ROUTINES_DIR``), by title; and one line for each
    host file left out (unreadable, malformed, or a title already taken), so one bad file hides no other."""
    routines = builtin_routines()
    problems: list[str] = []
    folder = environ.get(ROUTINES_ENV, "").strip()
    if not folder:
        return routines, problems
    if not Path(folder).is_dir():
        return routines, [f"{ROUTINES_ENV}: no such folder {folder}"]
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            routine = load_routine(path)
        except RoutineFileError as error:
            problems.append(str(error))
            continue
        if routine.title in routines:
            problems.append(f"{path}: the title {routine.title!r} is taken by {routines[routine.title].path}")
            continue
        routines[routine.title] = routine
    return routines, problems


# The routines the page offers (title -> step entries), and the host files left out.
_OFFERED, ROUTINE_PROBLEMS = offered_routines()
PRESETS: dict[str, tuple[Mapping[str, Any], ...]] = {title: routine.entries for title, routine in _OFFERED.items()}
