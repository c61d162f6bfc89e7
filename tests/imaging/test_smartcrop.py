"""Smart crop on corpus photos whose main subjects were marked by hand."""

from __future__ import annotations

import pytest
from PIL import Image, ImageOps

from benchmarks.smartcrop_eval import SECOND_MARKER, SUBJECTS, evaluate
from studio.imaging.smartcrop import SubjectMap, analyse
from tests.conftest import CORPUS


@pytest.fixture(scope="module", params=[SUBJECTS, SECOND_MARKER], ids=["tuner", "second-marker"])
def cases(request):
    """Cases from the marks of the engineer who tuned the crop, and of one who did not."""
    return evaluate(request.param)[0]


def test_smart_crop_keeps_more_of_the_marked_subjects_than_a_centre_crop(cases):
    smart = sum(c.smart_kept for c in cases) / len(cases)
    centre = sum(c.centre_kept for c in cases) / len(cases)
    assert smart > centre


def test_smart_crop_cuts_fewer_faces_and_people_than_a_centre_crop(cases):
    fitting = [c for c in cases if c.fits and c.kind in ("face", "person")]
    assert sum(c.smart_kept < 0.99 for c in fitting) < sum(c.centre_kept < 0.99 for c in fitting)


def test_a_detected_face_is_kept_whole_when_the_crop_can_hold_it():
    image = ImageOps.exif_transpose(Image.open(CORPUS / "photos" / "img.jpg")).convert("RGB")
    subject_map = analyse(image)
    faces = [s for s in subject_map.subjects if s.kind == "face"]
    assert faces, "the paraglider's face is found"
    left, top, right, bottom = subject_map.crop_box(9, 16)
    face = faces[0].box
    assert left <= face[0] and face[2] <= right and top <= face[1] and face[3] <= bottom


@pytest.mark.parametrize("aspect", [(1, 1), (9, 16), (16, 9), (1128, 191)])
def test_boxes_have_the_exact_aspect_and_lie_inside_the_image(aspect):
    image = Image.open(CORPUS / "photos" / "guitarist.jpg").convert("RGB")
    left, top, right, bottom = analyse(image).crop_box(*aspect)
    assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height
    width, height = right - left, bottom - top
    assert (
        abs(height - width * aspect[1] / aspect[0]) <= 1
        or abs(width - height * aspect[0] / aspect[1]) <= 1
    )
    assert right - left == image.width or bottom - top == image.height, "the largest such box"


def test_the_focal_point_takes_precedence_over_the_analysis():
    image = Image.open(CORPUS / "photos" / "kitty.jpg").convert("RGB")
    left, _, right, _ = analyse(image).crop_box(1, 1, focal=(90, 50))
    assert right == image.width, "a focal point at 90 % pushes the box to the right edge"
    left, _, right, _ = analyse(image).crop_box(1, 1, focal=(10, 50))
    assert left == 0


@pytest.mark.parametrize(
    "mode,size", [("RGBA", (300, 200)), ("L", (300, 200)), ("RGB", (20, 10)), ("RGB", (2000, 40))]
)
def test_it_handles_alpha_greyscale_tiny_and_extreme_images(mode, size):
    image = Image.new(mode, size)
    subject_map = analyse(image)
    box = subject_map.crop_box(4, 5)
    assert 0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1]


def test_a_map_without_analysis_crops_the_centre():
    assert SubjectMap(200, 100).crop_box(1, 1) == (50, 0, 150, 100)
