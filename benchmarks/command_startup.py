"""Benchmark: what a user waits for when running a recipe command, as a whole process.

Run from the project root: ``.venv/bin/python benchmarks/command_startup.py [--runs 5]``.
Runs, alternately in one session, ``manage.py apply_spec --list-formats`` (Django start-up,
no system checks) and ``studio-spec --list-formats`` (no Django), then the 20-format social
export of jolla.jpg through each, and prints median wall time and peak RSS (from
``/usr/bin/time -v``) and the ratio. Goals (issue 9): --list-formats <= 0.8 s wall, peak RSS
of the export process <= 180 MB. The manage.py runs need DATABASE_URL (any reachable
database; nothing is written).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
JOLLA = ROOT.parent / "shared" / "corpus" / "camera" / "jolla.jpg"
sys.path.insert(0, str(ROOT))


def measure(command: list[str]) -> tuple[float, float]:
    """Run ``command`` under /usr/bin/time -v; return (wall seconds, peak RSS in MB)."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+(?:\.\d+)?)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    assert wall and rss, result.stderr
    return int(wall.group(1) or 0) * 60 + float(wall.group(2)), int(rss.group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    from studio.social import SOCIAL_FORMATS

    social = ",".join(f"social-{name}" for name in SOCIAL_FORMATS)
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "manage.py apply_spec --list-formats": [
                str(BIN / "python"),
                "manage.py",
                "apply_spec",
                "--list-formats",
            ],
            "studio-spec --list-formats": [str(BIN / "studio-spec"), "--list-formats"],
            "manage.py apply_spec 20 formats, jolla.jpg": [
                str(BIN / "python"),
                "manage.py",
                "apply_spec",
                social,
                str(JOLLA),
                "--output",
                out,
            ],
            "studio-spec 20 formats, jolla.jpg": [
                str(BIN / "studio-spec"),
                social,
                str(JOLLA),
                "--output",
                out,
            ],
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(runs):  # alternate, so background load hits all alike
            for name, command in commands.items():
                samples[name].append(measure(command))
    medians = {
        name: (statistics.median(w for w, _ in s), max(r for _, r in s))
        for name, s in samples.items()
    }
    for name, (wall, rss) in medians.items():
        print(f"{name:45s} {wall:6.2f} s wall (median of {runs})  peak RSS {rss:6.0f} MB")
    names = list(medians)
    for django_name, plain_name in ((names[0], names[1]), (names[2], names[3])):
        ratio = medians[django_name][0] / medians[plain_name][0]
        print(f"{plain_name} is {ratio:.1f}x faster than {django_name}")


if __name__ == "__main__":
    main()
