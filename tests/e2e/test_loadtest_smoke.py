"""The load benchmark runs: one viewer for a few seconds, and its table comes out with a moving video."""

import re

from benchmarks.loadtest import main


def test_the_load_benchmark_prints_its_table_for_one_viewer(shared_hands, capsys):
    assert main(["--viewers", "1", "--seconds", "3", "--warmup", "1",
                 "--photo", str(shared_hands / "images" / "palm_left_07.jpg")]) == 0
    out = capsys.readouterr().out
    assert "distinct fps per viewer" in out and "load average" in out
    rows = re.findall(r"^\s+1\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d\d) c\s+(\d+)", out, re.M)
    assert rows, out
    fps, total, least, cpu, rss = rows[-1]
    assert float(fps) > 1 and float(cpu) > 0 and int(rss) > 100, out
