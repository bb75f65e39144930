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


def test_viewers_past_the_frame_budget_get_equal_parts_of_it(shared_hands, capsys):
    """Two cameras that can send 30 frames/s against a budget of 8: each camera is asked for 4 frames/s,
    and each viewer sees about 4 distinct frames/s."""
    assert main(["--viewers", "2", "--seconds", "6", "--warmup", "2", "--env", "LOCATOR_FRAME_BUDGET=8",
                 "--photo", str(shared_hands / "images" / "palm_left_07.jpg")]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+2\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+\.\d)\s.*\s(\d+\.\d)\s+\S+\s+\S+$",
                      out, re.M)
    assert rows, out
    first, second, total, _, sent = map(float, rows[-1])
    assert 2.5 <= first <= 5.0 and 2.5 <= second <= 5.0 and total <= 9.0, out
    assert 2.5 <= sent <= 5.0, out  # the cameras send what the server uses, not their own 30 frames/s
