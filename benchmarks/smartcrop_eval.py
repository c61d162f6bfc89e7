"""Measure how much of each hand-marked subject smart crop keeps, against a centre crop.

Run from the project root: ``.venv/bin/python benchmarks/smartcrop_eval.py``
(``--detail`` adds per-aspect means; ``--json`` prints only the totals, as JSON).

Two sets of hand-marked main subjects on the corpus photos (tests/imaging/):

- smartcrop_subjects_second_marker.json: 29 photos, pixel boxes of the upright image with a
  note each, faces marked separately from people; the smart crop's constants were checked
  against this set, so its figures flatter the crop a little.
- smartcrop_subjects.json: 18 photos, boxes as tenths of the image, marked by another engineer;
  never used to tune this version of the crop, so it is the fairer check.

For every photo and each aspect in ASPECTS the largest box of that aspect is placed twice, by
``SubjectMap.crop_box`` and centred, and each subject scores the share of its area inside the
box. A face counts as kept whole at WHOLE of its area or more; it "fits" when its box is no
wider and no taller than the crop, i.e. some crop of that size could keep it whole. Analysis
time is measured per photo (decoding excluded) and on one 12 MP photo.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.imaging.smartcrop import SubjectMap, analyse  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
SECOND_MARKER = ROOT / "tests" / "imaging" / "smartcrop_subjects_second_marker.json"
SUBJECTS = ROOT / "tests" / "imaging" / "smartcrop_subjects.json"
#: A 12 MP phone photo (3024×4032 HEIC) for the timing that the product cares about.
TWELVE_MP = "camera/iphone_13_pro_max.HEIC"
#: 1:1, 4:5, 9:16, 16:9, 1.91:1, 3:1 and LinkedIn's 1128×191 cover (5.9:1).
ASPECTS: list[tuple[int, int]] = [(1, 1), (4, 5), (9, 16), (16, 9), (191, 100), (3, 1), (1128, 191)]
#: Share of a face's area that counts as "kept whole": the pixel boxes are good to about
#: 1-2 px, i.e. up to 5 % of the area of the smallest (≈30 px) marked faces.
WHOLE = 0.95


def _register_heif() -> None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # the HEIC entries are then skipped
        pass


def load(path: str) -> Image.Image:
    """Return the corpus image at ``path`` upright (EXIF orientation applied) in RGB."""
    _register_heif()
    with Image.open(CORPUS / path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def annotations(path: Path = SECOND_MARKER) -> list[dict]:
    """Return the marked photos of a marks file as dicts: path, subjects (kind, box, note).

    Boxes come back in pixels when the file has them ({"images": [...]}, with width and
    height), else as fractions of the image ({photo: [{kind, box, note}]}) with "fractions"
    set; kind "animal" reads as "pet".
    """
    data = json.loads(path.read_text())
    if "images" in data:
        return data["images"]
    return [
        {
            "path": photo,
            "fractions": True,
            "subjects": [
                {
                    "kind": "pet" if m["kind"] == "animal" else m["kind"],
                    "box": m["box"],
                    "note": m.get("note", ""),
                }
                for m in marks
            ],
        }
        for photo, marks in data.items()
        if not photo.startswith("_")
    ]


def kept(subject: tuple[float, ...], box: tuple[float, ...]) -> float:
    """Return the share (0..1) of the subject box's area that lies inside the crop box."""
    w = min(subject[2], box[2]) - max(subject[0], box[0])
    h = min(subject[3], box[3]) - max(subject[1], box[1])
    area = (subject[2] - subject[0]) * (subject[3] - subject[1])
    return max(0.0, w) * max(0.0, h) / area if area > 0 else 1.0


@dataclass
class Case:
    """One subject of one photo under one aspect ratio."""

    photo: str
    aspect: tuple[int, int]
    kind: str
    note: str
    smart: float  # share of the subject kept by smart crop
    centre: float  # share kept by the centre crop
    fits: bool  # a crop of this size can hold the subject whole


@dataclass
class Report:
    """Every case, the analysis time of each photo (s) and the faces no crop can keep."""

    cases: list[Case] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: (photo, aspect) → faces that fit the crop alone but not together with the others:
    #: the best possible box still leaves this many out.
    unavoidable: dict[tuple[str, tuple[int, int]], int] = field(default_factory=dict)

    def mean(self, which: str, cases: list[Case] | None = None) -> float:
        chosen = self.cases if cases is None else cases
        return statistics.fmean(getattr(c, which) for c in chosen) if chosen else 1.0

    def faces_cut(self, which: str) -> list[Case]:
        """Return the cases of a face that fits the crop but is not kept whole."""
        return [c for c in self.cases if c.kind == "face" and c.fits and getattr(c, which) < WHOLE]

    def subjects_cut(self, which: str, kinds: tuple[str, ...]) -> list[Case]:
        return [c for c in self.cases if c.kind in kinds and c.fits and getattr(c, which) < WHOLE]


def evaluate(path: Path = SECOND_MARKER) -> Report:
    """Return the report for the marks in ``path`` (every marked photo that can be decoded)."""
    report = Report()
    for entry in annotations(path):
        try:
            image = load(entry["path"])
        except (OSError, ValueError):
            continue  # e.g. HEIC without pillow-heif
        if entry.get("fractions"):
            w, h = image.size
            entry = {
                **entry,
                "subjects": [
                    {
                        **m,
                        "box": [m["box"][0] * w, m["box"][1] * h, m["box"][2] * w, m["box"][3] * h],
                    }
                    for m in entry["subjects"]
                ],
            }
        started = time.perf_counter()
        subject_map = analyse(image)
        report.seconds[entry["path"]] = time.perf_counter() - started
        centre = SubjectMap(image.width, image.height)
        for aspect in ASPECTS:
            smart_box = subject_map.crop_box(*aspect)
            centre_box = centre.crop_box(*aspect)
            cw, ch = smart_box[2] - smart_box[0], smart_box[3] - smart_box[1]
            report.unavoidable[entry["path"], aspect] = _faces_left_out(entry, image.size, (cw, ch))
            for subject in entry["subjects"]:
                box = tuple(subject["box"])
                report.cases.append(
                    Case(
                        photo=entry["path"],
                        aspect=aspect,
                        kind=subject["kind"],
                        note=subject["note"],
                        smart=kept(box, smart_box),
                        centre=kept(box, centre_box),
                        fits=box[2] - box[0] <= cw and box[3] - box[1] <= ch,
                    )
                )
    return report


def _faces_left_out(entry: dict, size: tuple[int, int], crop: tuple[int, int]) -> int:
    """Return how many fitting faces even the best-placed box of size ``crop`` leaves out.

    The box spans the image along one axis, so every whole-pixel offset along the other is
    tried; a face counts as kept at WHOLE of its area, as everywhere in this evaluation.
    """
    faces = [s["box"] for s in entry["subjects"] if s["kind"] == "face"]
    fitting = [f for f in faces if f[2] - f[0] <= crop[0] and f[3] - f[1] <= crop[1]]
    if not fitting:
        return 0
    horizontal = crop[0] < size[0]
    span = size[0] - crop[0] if horizontal else size[1] - crop[1]
    best = 0
    for offset in range(span + 1):
        box = (
            (offset, 0, offset + crop[0], size[1])
            if horizontal
            else (0, offset, size[0], offset + crop[1])
        )
        best = max(best, sum(kept(tuple(f), box) >= WHOLE for f in fitting))
    return len(fitting) - best


def twelve_mp_seconds(repeats: int = 3) -> float | None:
    """Return the median analysis time of the 12 MP photo, or None if it cannot be decoded."""
    try:
        image = load(TWELVE_MP)
    except (OSError, ValueError):
        return None
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        analyse(image)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _ratio(aspect: tuple[int, int]) -> str:
    return f"{aspect[0]}:{aspect[1]}" if max(aspect) < 100 else f"{aspect[0] / aspect[1]:.2f}:1"


def print_report(report: Report, detail: bool) -> None:
    """Print one table per photo (kept share per aspect, smart / centre) and the totals."""
    photos = list(dict.fromkeys(c.photo for c in report.cases))
    header = " ".join(f"{_ratio(a):>11}" for a in ASPECTS)
    for photo in photos:
        cases = [c for c in report.cases if c.photo == photo]
        print(f"\n{photo}  (analysis {1000 * report.seconds[photo]:.0f} ms)")
        print(f"  {'subject (smart / centre kept)':38} {header}")
        subjects = list(dict.fromkeys((c.kind, c.note) for c in cases))
        for kind, note in subjects:
            cells = []
            for aspect in ASPECTS:
                (c,) = [x for x in cases if x.aspect == aspect and (x.kind, x.note) == (kind, note)]
                flag = "!" if c.kind == "face" and c.fits and c.smart < WHOLE else " "
                cells.append(f"{c.smart:4.2f}/{c.centre:4.2f}{flag}")
            label = f"{kind}: {note}"[:38]
            print(f"  {label:38} " + " ".join(f"{cell:>11}" for cell in cells))
        if detail:
            for aspect in ASPECTS:
                row = [c for c in cases if c.aspect == aspect]
                print(
                    f"    {_ratio(aspect):>8} mean kept smart {report.mean('smart', row):.2f}"
                    f" centre {report.mean('centre', row):.2f}"
                )
    print("\n(! = a face that fits the crop but is not kept whole)")
    print_totals(report)


def totals(report: Report) -> dict:
    """Return the headline figures as a dict."""
    fitting = [c for c in report.cases if c.fits]
    faces = [c for c in report.cases if c.kind == "face" and c.fits]
    out = {
        "photos": len(report.seconds),
        "cases": len(report.cases),
        "mean_kept": {"smart": report.mean("smart"), "centre": report.mean("centre")},
        "mean_kept_where_it_fits": {
            "smart": report.mean("smart", fitting),
            "centre": report.mean("centre", fitting),
        },
        "faces_fitting": len(faces),
        "faces_unavoidable": sum(report.unavoidable.values()),
        "faces_cut": {w: len(report.faces_cut(w)) for w in ("smart", "centre")},
        "faces_sliced": {
            w: sum(1 for c in report.faces_cut(w) if getattr(c, w) > 0) for w in ("smart", "centre")
        },
        "people_pets_fitting": sum(1 for c in fitting if c.kind in ("person", "pet")),
        "people_pets_cut": {
            w: len(report.subjects_cut(w, ("person", "pet"))) for w in ("smart", "centre")
        },
        "by_kind": {
            kind: {
                "smart": report.mean("smart", [c for c in report.cases if c.kind == kind]),
                "centre": report.mean("centre", [c for c in report.cases if c.kind == kind]),
            }
            for kind in ("face", "person", "pet", "object")
        },
        "analysis_ms": {
            "median": 1000 * statistics.median(report.seconds.values()),
            "max": 1000 * max(report.seconds.values()),
        },
    }
    return out


def print_totals(report: Report, twelve_mp: float | None = None) -> None:
    t = totals(report)
    print(f"\n{t['photos']} photos, {t['cases']} cases (subject × aspect)")
    print(
        f"mean share of subject kept:        smart {t['mean_kept']['smart']:.3f}"
        f"  centre {t['mean_kept']['centre']:.3f}"
    )
    print(
        f"  … where a crop could keep it:    smart {t['mean_kept_where_it_fits']['smart']:.3f}"
        f"  centre {t['mean_kept_where_it_fits']['centre']:.3f}"
    )
    for kind, v in t["by_kind"].items():
        print(
            f"  {kind:7}                          smart {v['smart']:.3f}  centre {v['centre']:.3f}"
        )
    print(
        f"faces not kept whole though they fit ({t['faces_fitting']} cases):"
        f" smart {t['faces_cut']['smart']} ({t['faces_sliced']['smart']} sliced),"
        f" centre {t['faces_cut']['centre']} ({t['faces_sliced']['centre']} sliced);"
        f" {t['faces_unavoidable']} of them no crop can keep (they do not fit together)"
    )
    print(
        f"people/pets not kept whole though they fit ({t['people_pets_fitting']} cases):"
        f" smart {t['people_pets_cut']['smart']}, centre {t['people_pets_cut']['centre']}"
    )
    print(
        f"analysis time per photo: median {t['analysis_ms']['median']:.0f} ms,"
        f" max {t['analysis_ms']['max']:.0f} ms"
    )
    if twelve_mp is not None:
        print(f"analysis of the 12 MP photo ({TWELVE_MP}): {1000 * twelve_mp:.0f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detail", action="store_true", help="add per-aspect means per photo")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON only")
    args = parser.parse_args(argv)
    reports = {path.name: evaluate(path) for path in (SECOND_MARKER, SUBJECTS)}
    twelve = twelve_mp_seconds()
    if args.json:
        out = {name: totals(report) for name, report in reports.items()}
        print(json.dumps({**out, "twelve_mp_ms": twelve and 1000 * twelve}, indent=1))
        return
    for name, report in reports.items():
        print(f"\n==== {name}")
        print_report(report, args.detail)
        for case in report.faces_cut("smart"):
            aspect = _ratio(case.aspect)
            print(f"  face cut: {case.photo} {aspect} kept {case.smart:.2f} ({case.note})")
    if twelve is not None:
        print(f"\nanalysis of the 12 MP photo ({TWELVE_MP}): {1000 * twelve:.0f} ms (median of 3)")


if __name__ == "__main__":
    main()
