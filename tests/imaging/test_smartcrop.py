"""Smart crop on the corpus photos whose main subjects were marked by hand.

Plain pytest functions, no database: run alone with
``.venv/bin/python -m pytest -p no:django --noconftest tests/imaging/test_smartcrop.py``.
Ground truth: the two marks files that benchmarks/smartcrop_eval.py scores (see its docstring);
the per-face tests use the pixel-accurate one, smartcrop_subjects_second_marker.json.
"""

from __future__ import annotations

import pytest
from PIL import Image

from benchmarks.smartcrop_eval import (
    ASPECTS,
    SECOND_MARKER,
    SUBJECTS,
    WHOLE,
    Report,
    evaluate,
    kept,
    load,
)
from studio.imaging import subjects
from studio.imaging.smartcrop import PROMINENT, PROTECT, SubjectMap, analyse

#: Marked faces that no detector here finds (MTCNN misses faces under paint and large
#: sunglasses, and 24-px profiles; the old man's profile scores too unsteadily). Crops can
#: only keep these by chance, so the face test below leaves them out; the benchmark counts them.
UNDETECTED = {
    ("photos/65380541.jpg", "woman with large sunglasses"),
    ("photos/65380541.jpg", "woman with pink glasses, cut by the right edge"),
    ("photos/65231965.jpg", "young man's face in profile"),
    ("photos/65231965.jpg", "older man's face, three-quarter profile"),
    ("photos/goodtimes.jpg", "old man's face in profile, brim to beard"),
}


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(SECOND_MARKER)


@pytest.fixture(scope="module")
def other_report() -> Report:
    return evaluate(SUBJECTS)


def test_every_marked_photo_is_evaluated(report, other_report):
    assert len(report.seconds) == 29, "all marked photos decode (the HEIC needs pillow-heif)"
    assert len(other_report.seconds) == 18


def test_smart_crop_keeps_clearly_more_of_the_marked_subjects_than_a_centre_crop(
    report, other_report
):
    # Measured: 0.78 vs 0.70 on the set the constants were checked on, 0.83 vs 0.70 on the
    # other engineer's marks; 0.05 leaves room for small changes, none for a centre crop.
    for marks in (report, other_report):
        smart, centre = marks.mean("smart"), marks.mean("centre")
        assert smart >= centre + 0.05, f"smart {smart:.3f} vs centre {centre:.3f}"


def test_smart_crop_cuts_far_fewer_faces_people_and_pets_than_a_centre_crop(report):
    assert len(report.faces_cut("smart")) * 2 <= len(report.faces_cut("centre"))
    kinds = ("person", "pet")
    assert (
        len(report.subjects_cut("smart", kinds)) * 3
        <= len(report.subjects_cut("centre", kinds)) * 2
    )


def test_every_found_face_is_kept_whole_wherever_a_crop_of_that_size_can_keep_it(report):
    # Per photo and aspect, faces may be left out only as far as no box could keep them all
    # (report.unavoidable: the crowd photo's faces do not fit a 9:16 box together).
    for (photo, aspect), unavoidable in report.unavoidable.items():
        cut = [
            c
            for c in report.faces_cut("smart")
            if (c.photo, c.aspect) == (photo, aspect) and (c.photo, c.note) not in UNDETECTED
        ]
        assert len(cut) <= unavoidable, f"{photo} {aspect}: {[c.note for c in cut]}"


@pytest.mark.parametrize(
    "photo",
    ["photos/65380541.jpg", "photos/img.jpg", "photos/60569462.jpg", "photos/guitarist.jpg"],
)
def test_the_main_faces_the_analysis_finds_are_never_cut_when_they_fit_together(photo):
    subject_map = analyse(load(photo))
    faces = [s for s in subject_map.subjects if s.kind == "face"]
    largest = max(min(f.box[2] - f.box[0], f.box[3] - f.box[1]) for f in faces)
    main = [
        f
        for f in faces
        if f.confidence >= PROTECT
        and min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= PROMINENT * largest
    ]
    assert main, "the photo's main face is found"
    union = (
        min(f.box[0] for f in main),
        min(f.box[1] for f in main),
        max(f.box[2] for f in main),
        max(f.box[3] for f in main),
    )
    for aspect in ASPECTS:
        box = subject_map.crop_box(*aspect)
        if union[2] - union[0] <= box[2] - box[0] and union[3] - union[1] <= box[3] - box[1]:
            assert all(kept(f.box, box) == 1.0 for f in main), f"{aspect}: {box}"


def test_without_the_mtcnn_wheel_the_haar_cascade_still_finds_a_clear_face(monkeypatch):
    monkeypatch.setattr(subjects, "_mtcnn", lambda: None)
    faces = [s for s in analyse(load("photos/img.jpg")).subjects if s.kind == "face"]
    assert len(faces) == 1 and kept(faces[0].box, (200, 100, 310, 230)) == 1.0


def test_the_focal_point_takes_precedence_over_the_subjects():
    image = load("photos/img.jpg")  # the paraglider's face is in the middle
    subject_map = analyse(image)
    assert subject_map.crop_box(1, 1, focal=(0, 50))[0] == 0
    assert subject_map.crop_box(1, 1, focal=(100, 50))[2] == image.width
    left, top, right, bottom = subject_map.crop_box(1, 2, focal=(20, 50))
    assert abs((left + right) / 2 - 0.2 * image.width) <= 1
    assert subject_map.crop_box(16, 9, focal=(50, 100))[3] == image.height


@pytest.mark.parametrize("aspect", [*ASPECTS, (1080, 1350), (1, 3), (7, 1)])
@pytest.mark.parametrize(
    "photo", ["photos/guitarist.jpg", "photos/65420791.jpg", "photos/kitty.jpg"]
)
def test_boxes_have_the_exact_aspect_fill_one_side_and_lie_inside_the_image(photo, aspect):
    image = load(photo)
    left, top, right, bottom = analyse(image).crop_box(*aspect)
    assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height
    width, height = right - left, bottom - top
    assert width == image.width or height == image.height, "the largest box of that aspect"
    if width == image.width:
        assert abs(height - width * aspect[1] / aspect[0]) <= 1
    else:
        assert abs(width - height * aspect[0] / aspect[1]) <= 1


def test_an_rgba_photo_is_analysed_like_the_rgb_one_and_its_transparency_counts_for_nothing():
    rgb = load("photos/img.jpg")
    rgba = rgb.convert("RGBA")
    assert analyse(rgba).crop_box(9, 16) == analyse(rgb).crop_box(9, 16)
    # Make the right half transparent: the box moves away from it.
    alpha = Image.new("L", rgb.size, 255)
    alpha.paste(0, (rgb.width // 2, 0, rgb.width, rgb.height))
    rgba.putalpha(alpha)
    subject_map = analyse(rgba)
    assert subject_map.importance[:, -5:].max() == 0


def test_a_greyscale_photo_still_finds_its_people():
    image = load("photos/65231965.jpg").convert("L").convert("RGB")  # already grey: no colour
    people = [s for s in analyse(image).subjects if s.kind == "person"]
    assert people, "HOG finds the man with the guitar without colour"


@pytest.mark.parametrize(
    "mode,size",
    [
        ("RGB", (20, 10)),
        ("RGB", (1, 1)),
        ("RGBA", (7, 300)),
        ("L", (300, 200)),
        ("RGB", (3000, 40)),
    ],
)
def test_tiny_flat_and_extreme_images_get_valid_boxes(mode, size):
    subject_map = analyse(
        Image.new(mode, size, {"L": 128, "RGB": (90, 120, 200), "RGBA": (90, 120, 200, 255)}[mode])
    )
    for aspect in [(1, 1), (4, 5), (16, 9), (1128, 191)]:
        left, top, right, bottom = subject_map.crop_box(*aspect)
        assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]


def test_an_aspect_side_that_is_not_positive_is_refused():
    with pytest.raises(ValueError):
        SubjectMap(100, 100).crop_box(0, 1)


def test_a_map_without_analysis_crops_the_centre():
    assert SubjectMap(200, 100).crop_box(1, 1) == (50, 0, 150, 100)
    assert SubjectMap(100, 300).crop_box(1, 1) == (0, 100, 100, 200)


def test_the_whole_box_is_used_when_the_aspect_matches_the_image():
    image = load("photos/kitty.jpg")  # 640×427
    assert analyse(image).crop_box(640, 427) == (0, 0, 640, 427)


def test_kept_shares_are_measured_as_areas():
    assert kept((0, 0, 10, 10), (5, 0, 20, 10)) == 0.5
    assert WHOLE < 1.0
