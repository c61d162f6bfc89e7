"""Measure how much of each hand-marked subject smart crop keeps, against a centre crop.

Run: .venv/bin/python benchmarks/smartcrop_eval.py
Subjects: tests/imaging/smartcrop_subjects.json (marked by hand on corpus photos by the engineer
who tuned the crop) and tests/imaging/smartcrop_subjects_second_marker.json (marked
independently, in pixels, by another engineer who never saw the tuning). For every
photo and aspect ratio (those of the social formats that crop hardest), print the share of each
subject's area kept by both crops, and count subjects cut although a crop of that size could
have kept them whole.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.imaging.smartcrop import SubjectMap, analyse  # noqa: E402

pillow_heif.register_heif_opener()

CORPUS = ROOT.parent / "shared" / "corpus"
SUBJECTS = ROOT / "tests" / "imaging" / "smartcrop_subjects.json"
SECOND_MARKER = ROOT / "tests" / "imaging" / "smartcrop_subjects_second_marker.json"
#: 1:1, 4:5, 9:16, 16:9, 1.91:1, 3:1 and LinkedIn's 1128×191 company cover.
ASPECTS = [(1, 1), (4, 5), (9, 16), (16, 9), (191, 100), (3, 1), (1128, 191)]


@dataclass
class Case:
    photo: str
    aspect: tuple[int, int]
    kind: str
    smart_kept: float
    centre_kept: float
    fits: bool  # a crop of this size can hold the subject whole


def kept(subject, box) -> float:
    """Return the share (0..1) of the subject box's area inside the crop box."""
    w = min(subject[2], box[2]) - max(subject[0], box[0])
    h = min(subject[3], box[3]) - max(subject[1], box[1])
    area = (subject[2] - subject[0]) * (subject[3] - subject[1])
    return max(0, w) * max(0, h) / area if area else 1.0


def marked_subjects(path: Path) -> dict[str, list[tuple[str, tuple[float, float, float, float]]]]:
    """Return {corpus path: [(kind, (left, top, right, bottom) as fractions)]} from a marks file.

    Two layouts are read: {path: [{kind, box: fractions}]} and
    {"images": [{path, width, height, subjects: [{kind, box: pixels}]}]}.
    """
    data = json.loads(path.read_text())
    if "images" in data:
        return {
            item["path"]: [
                (
                    s["kind"],
                    (
                        s["box"][0] / item["width"],
                        s["box"][1] / item["height"],
                        s["box"][2] / item["width"],
                        s["box"][3] / item["height"],
                    ),
                )
                for s in item["subjects"]
            ]
            for item in data["images"]
        }
    return {
        photo: [(s["kind"], tuple(s["box"])) for s in marks]
        for photo, marks in data.items()
        if not photo.startswith("_")
    }


def evaluate(path: Path = SUBJECTS) -> tuple[list[Case], list[float]]:
    """Return every (photo, aspect, subject) case and the analysis time of each photo (s)."""
    cases, times = [], []
    for photo, marked in marked_subjects(path).items():
        image = ImageOps.exif_transpose(Image.open(CORPUS / photo)).convert("RGB")
        w, h = image.size
        started = time.perf_counter()
        subject_map = analyse(image)
        times.append(time.perf_counter() - started)
        centre = SubjectMap(w, h)
        for aspect in ASPECTS:
            smart_box = subject_map.crop_box(*aspect)
            centre_box = centre.crop_box(*aspect)
            cw, ch = smart_box[2] - smart_box[0], smart_box[3] - smart_box[1]
            for kind, (fx0, fy0, fx1, fy1) in marked:
                box = (fx0 * w, fy0 * h, fx1 * w, fy1 * h)
                fits = box[2] - box[0] <= cw + 1 and box[3] - box[1] <= ch + 1
                cases.append(
                    Case(photo, aspect, kind, kept(box, smart_box), kept(box, centre_box), fits)
                )
    return cases, times


def main() -> None:
    for path in (SUBJECTS, SECOND_MARKER):
        print(f"== {path.name}")
        report(*evaluate(path))


def report(cases: list[Case], times: list[float]) -> None:
    print(f"{'photo':42} {'aspect':>10} {'kind':7} {'smart':>6} {'centre':>6}")
    for case in cases:
        aspect = f"{case.aspect[0]}:{case.aspect[1]}"
        print(
            f"{case.photo:42} {aspect:>10} {case.kind:7} {case.smart_kept:6.2f} {case.centre_kept:6.2f}"
        )
    smart = sum(c.smart_kept for c in cases) / len(cases)
    centre = sum(c.centre_kept for c in cases) / len(cases)
    fitting = [c for c in cases if c.fits]
    cut_smart = sum(1 for c in fitting if c.smart_kept < 0.99)
    cut_centre = sum(1 for c in fitting if c.centre_kept < 0.99)
    faces = [c for c in fitting if c.kind in ("face", "person")]
    print(
        f"\ncases: {len(cases)} (subjects × aspects), {len(fitting)} where the subject fits the crop"
    )
    print(
        f"mean share of subject kept: smart {smart:.3f}, centre {centre:.3f} ({smart / centre:.2f}×)"
    )
    print(
        f"subjects cut although they fit: smart {cut_smart}, centre {cut_centre} (of {len(fitting)})"
    )
    print(
        f"faces/people cut although they fit: smart {sum(1 for c in faces if c.smart_kept < 0.99)}, "
        f"centre {sum(1 for c in faces if c.centre_kept < 0.99)} (of {len(faces)})"
    )
    print(
        f"analysis time per photo: mean {1000 * sum(times) / len(times):.0f} ms, max {1000 * max(times):.0f} ms"
    )


if __name__ == "__main__":
    main()
