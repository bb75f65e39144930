"""Writing what the user asked for without ever leaving a half-written or emptied file behind.

Everything goes to a hidden side file next to the target and is renamed over it only when complete, so
an error, a bad model or Ctrl-C leaves the previous file (if any) exactly as it was.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _side_file(target: Path) -> Path:
    return target.with_name(f".{target.name}.part")


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
