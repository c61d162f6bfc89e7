"""Subject detection from many threads at once, as overlapping crop previews run it.

No database. Before the detector pool, OpenCV nets shared between threads raised, returned
no faces or killed the process with SIGSEGV, so the threaded part runs in a subprocess: a
crash there is a failed assertion here, not a dead test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.imaging import subjects
from studio.imaging.smartcrop import analyse
from tests.conftest import CORPUS

ROOT = Path(__file__).resolve().parents[2]
#: A crowd of faces, single faces, people without a found face, a cat and an old man in
#: profile (neither detected: only the saliency map finds them).
PHOTOS = [
    "photos/65231965.jpg",
    "photos/goodtimes.jpg",
    "photos/65380541.jpg",
    "photos/guitarist.jpg",
    "photos/kitty.jpg",
    "photos/60569462.jpg",
    "photos/64856363.jpg",
    "photos/65309527.jpg",
]
THREADS = 8
ROUNDS = 4

# Every round, thread k analyses photo (k + round) % 8 once all 8 threads are ready, so the
# calls overlap and each thread meets several photos. Prints one JSON line, a rounds x
# threads table of subject lists, and how many detector sets the pool ended with.
THREADED = """
import json, sys, threading
from concurrent.futures import ThreadPoolExecutor
from PIL import Image
from studio.imaging import subjects
from studio.imaging.smartcrop import analyse

paths, threads, rounds = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
images = [Image.open(p) for p in paths]
for image in images:
    image.load()

def run(k, barrier, round_):
    barrier.wait()
    try:
        found = analyse(images[(k + round_) % len(images)]).subjects
        return [[s.kind, list(s.box), s.confidence] for s in found]
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"

table = []
with ThreadPoolExecutor(threads) as pool:
    for round_ in range(rounds):
        barrier = threading.Barrier(threads)
        futures = [pool.submit(run, k, barrier, round_) for k in range(threads)]
        table.append([f.result() for f in futures])
print(json.dumps({"results": table, "sets": getattr(subjects, "_loaded", None)}))
"""


def _subjects_of(path: Path) -> list:
    with Image.open(path) as image:
        image.load()
        return [[s.kind, list(s.box), s.confidence] for s in analyse(image).subjects]


@pytest.fixture(scope="module")
def single_threaded() -> list[list]:
    return [_subjects_of(CORPUS / name) for name in PHOTOS]


def test_the_photos_give_faces_and_people_to_detect(single_threaded):
    # The corpus has no frontal cat face, so the cat cascade runs but finds nothing.
    kinds = {kind for found in single_threaded for kind, _, _ in found}
    assert {"face", "person"} <= kinds


def test_eight_threads_at_once_find_what_one_thread_finds(single_threaded):
    paths = [str(CORPUS / name) for name in PHOTOS]
    done = subprocess.run(
        [sys.executable, "-c", THREADED, json.dumps(paths), str(THREADS), str(ROUNDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"threaded detection died ({done.returncode}): {done.stderr}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for round_, row in enumerate(report["results"]):
        for k, found in enumerate(row):
            photo = (k + round_) % len(PHOTOS)
            assert found == single_threaded[photo], f"round {round_}, thread {k}, {PHOTOS[photo]}"
    assert 1 <= report["sets"] <= subjects.MAX_INSTANCES


def test_after_warm_up_detection_loads_no_model(monkeypatch):
    assert subjects.warm_up() >= 1

    def no_loading():
        raise AssertionError("a detector set was loaded after warm_up")

    monkeypatch.setattr(subjects, "_load", no_loading)
    with Image.open(CORPUS / "photos/65380541.jpg") as image:
        image.load()
        assert any(s.kind == "face" for s in analyse(image).subjects)


def test_a_set_that_failed_mid_pass_is_dropped_and_detection_goes_on(monkeypatch):
    subjects.warm_up()
    rgb = np.zeros((200, 200, 3), np.uint8)
    before = subjects._loaded

    def broken(kit, rgb):
        raise RuntimeError("OpenCV failed")

    with monkeypatch.context() as patched:
        patched.setattr(subjects, "_people", broken)
        with pytest.raises(RuntimeError):
            subjects.detect(rgb)
    assert subjects._loaded == before - 1
    assert subjects.detect(rgb) == []
