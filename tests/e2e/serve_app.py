"""The product's page as the browser tests serve it: the test-only patches (`patches.py`), then `app.py`
itself, run unchanged."""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `patches`, beside this file

import patches  # noqa: E402

patches.apply()
runpy.run_path(str(Path(__file__).resolve().parents[2] / "app.py"), run_name="__main__")
