"""Writing what the user asked for without ever leaving a half-written or emptied file behind.

Everything goes to a hidden side file next to the target and is renamed over it only when complete, so
an error, a bad model or Ctrl-C leaves the previous file (if any) exactly as it was. The checks below run
before any work, so a long run never ends on an output it cannot write.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputError


def _side_file(target: Path) -> Path:
    return target.with_name(f".{target.name}.part")


def _unwritable(folder: Path) -> str | None:
    """Why no file can be written in ``folder`` (made if missing): its nearest existing part is a file,
    or read-only; None when it can."""
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK):
        return f"{existing} is not writable"
    return None


def check_output_folder(folder: Path, option: str) -> None:
    """Refuse an output folder no file can be written to."""
    if problem := _unwritable(folder):
        raise OutputError(f"{option} {folder}: {problem}")


def check_output_file(target: Path, option: str, overwrite: bool) -> None:
    """Refuse an output file that is a folder, would replace a file without ``overwrite``, or cannot be
    written where it is."""
    if target.is_dir():
        raise OutputError(f"{option} {target}: is a folder")
    if target.exists() and not overwrite:
        raise OutputError(f"{option} {target}: already exists (use --overwrite to replace it)")
    if problem := _unwritable(target.parent):
        raise OutputError(f"{option} {target}: {problem}")


def write_output(target: Path, data: bytes, option: str) -> None:
    """:func:`write_atomically` for one named output: a failure is one line naming the option."""
    try:
        write_atomically(target, data)
    except OSError as error:
        raise OutputError(f"{option} {target}: cannot write ({error.strerror or error})") from None


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` in one step (creating its folder)."""
    with atomic_output(target, "wb") as out:
        out.write(data)


@contextmanager
def atomic_output(target: Path, mode: str = "w") -> Iterator[IO]:
    """A file to write that becomes ``target`` when the block ends without an exception."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _side_file(target)
    try:
        with open(part, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as out:
            yield out
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
