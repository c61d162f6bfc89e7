"""The recipe language: table-driven parsing, descriptions, refusals and render results."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from studio import rendering
from studio.imaging.errors import ImageError
from studio.imaging.load import decode
from studio.social import COMPRESSION_PRESETS, SOCIAL_FORMATS
from studio.specs import SpecError, min_decode_size, parse, render, render_all
from tests.corpus import CAMERA, EDGE, PHOTOS

MAX_PIXELS = 100_000_000

# (spec as typed, canonical form, description)
VALID = [
    (
        "fill-1080x1350-smart|format-webp|targetkb-200",
        "fill-1080x1350-smart|format-webp|targetkb-200",
        "Crop to 1080×1350 around the subject, save as WebP at most 200 KB",
    ),
    (
        "targetkb-200|FORMAT-WEBP|fill-1080x1350-smart",
        "fill-1080x1350-smart|format-webp|targetkb-200",
        "Crop to 1080×1350 around the subject, save as WebP at most 200 KB",
    ),
    ("fill-300x200-center", "fill-300x200-center", "Crop to 300×200 from the centre"),
    (
        "fill-300x200-fp20-80",
        "fill-300x200-fp20-80",
        "Crop to 300×200 around the point 20% across and 80% down",
    ),
    (
        "fit-1200x628-pad-FFAA00|format-png",
        "fit-1200x628-pad-ffaa00|format-png",
        "Fit inside 1200×628 on a #ffaa00 background, save as PNG",
    ),
    ("fit-800x800-blur", "fit-800x800-blur", "Fit inside 800×800 on a blurred copy of itself"),
    ("width-1200", "width-1200", "Resize to 1200 px wide"),
    (
        "height-800|strip",
        "height-800|strip",
        "Resize to 800 px high, keep the file format, without metadata (EXIF, GPS)",
    ),  # fmt: skip
    (
        "scale-50|format-avif|quality-60",
        "scale-50|format-avif|quality-60",
        "Scale to 50%, save as AVIF at quality 60",
    ),
    (
        "format-jpeg|quality-70|targetkb-200|strip",
        "format-jpeg|quality-70|targetkb-200|strip",
        "Save as JPEG at quality 70, at most 200 KB, without metadata (EXIF, GPS)",
    ),
    (
        "format-jpg|progressive",
        "format-jpeg|progressive",
        "Save as JPEG, progressive",
    ),
    (
        "fill-1080x1350-smart|format-jpeg|maxbytes-8mb",
        "fill-1080x1350-smart|format-jpeg|targetkb-8192",
        "Crop to 1080×1350 around the subject, save as JPEG at most 8 MB",
    ),
    (
        "social-x-post",
        "social-x-post",
        "Make an X (Twitter) post (1200×675), cropped around the subject, "
        "save as JPEG (PNG if it has transparency) at most 5 MB",
    ),
    (
        "crop-center|social-instagram-feed-portrait",
        "social-instagram-feed-portrait|crop-center",
        "Make an Instagram feed portrait (1080×1350), cropped from the centre, "
        "save as JPEG (PNG if it has transparency) at most 30 MB",
    ),
    (
        "social-linkedin-company-cover|crop-fit-pad-000000|format-png",
        "social-linkedin-company-cover|crop-fit-pad-000000|format-png",
        "Make a LinkedIn company cover (1128×191), fitted on a #000000 background, "
        "save as PNG at most 8 MB",
    ),
    (
        "social-youtube-thumbnail|crop-fp10-20|quality-90|targetkb-500",
        "social-youtube-thumbnail|crop-fp10-20|quality-90|targetkb-500",
        "Make a YouTube thumbnail (1280×720), cropped around the point 10% across and 20% down, "
        "save as JPEG (PNG if it has transparency) at quality 90, at most 500 KB",
    ),
]

# (spec, a phrase the SpecError must contain)
INVALID = [
    ("", "The recipe is empty"),
    ("fill-100x100-smart||strip", "empty step"),
    ("resize-100x100", "'resize-100x100' is not a step we know. Steps are: crop, fill, fit"),
    ("fill-100x100", "'fill-100x100' is not a valid fill step. Use fill-WIDTHxHEIGHT-smart"),
    ("fill-0x100-smart", "Width and height must be 1 to 10000 pixels"),
    ("fill-10001x100-smart", "Width and height must be 1 to 10000 pixels"),
    ("fill-100by100-smart", "'100by100' should be WIDTHxHEIGHT"),
    ("fill-100x100-fp101-50", "Focal point percentages must be 0 to 100"),
    ("fill-100x100-fit-blur", "not a valid fill step"),
    ("fit-100x100-pad-red", "Use fit-WIDTHxHEIGHT-pad-RRGGBB or fit-WIDTHxHEIGHT-blur"),
    ("fit-100x100-center", "not a valid fit step"),
    ("width-0", "The number must be 1 to 10000 pixels"),
    ("width-abc", "not a valid width step"),
    ("scale-401", "The number must be 1 to 400 percent"),
    ("quality-101", "The number must be 1 to 100"),
    ("targetkb-0", "The number must be 1 to 102400 KB"),
    ("maxbytes-8gb", "Use maxbytes-Nkb or maxbytes-Nmb"),
    ("format-gif", "Use format-jpeg, format-png, format-webp or format-avif"),
    ("strip-all", "It takes no arguments"),
    ("social-instagram-reel", "'social-instagram-reel' is not a format we know"),
    ("fill-100x100-smart|width-50", "a recipe can have only one size step"),
    ("social-x-post|fill-100x100-smart", "only one size step"),
    ("quality-80|quality-70", "only one quality step"),
    ("format-png|format-jpeg", "only one format step"),
    ("fill-100x100-smart|crop-center", "only goes with a social step"),
    ("format-png|quality-80", "does not apply to PNG"),
    ("format-webp|progressive", "'progressive' applies only to JPEG"),
    ("social-x-post|format-webp", "Use format-jpeg or format-png"),
    ("social-x-post|targetkb-6000", "above X (Twitter)'s upload limit of 5 MB"),
    ("social-x-post|crop-center|crop-fp1-2", "only one crop step"),
]


@pytest.mark.parametrize(("text", "canonical", "description"), VALID)
def test_it_parses_a_valid_spec(text, canonical, description):
    spec = parse(text)
    assert str(spec) == canonical
    assert spec.describe() == description
    assert parse(str(spec)) == spec


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_it_refuses_an_invalid_spec_with_a_clear_message(text, message):
    with pytest.raises(SpecError) as error:
        parse(text)
    assert message in str(error.value)


@pytest.mark.parametrize("name", sorted(SOCIAL_FORMATS))
def test_every_social_format_parses(name):
    spec = parse(f"social-{name}")
    assert spec.social is not None and spec.social.format is SOCIAL_FORMATS[name]
    assert spec.max_bytes == SOCIAL_FORMATS[name].max_bytes


def test_there_are_twenty_social_formats():
    assert len(SOCIAL_FORMATS) == 20


@pytest.mark.parametrize("preset", sorted(COMPRESSION_PRESETS))
def test_every_compression_preset_is_a_canonical_spec(preset):
    text = COMPRESSION_PRESETS[preset].spec
    assert str(parse(text)) == text


# --- min_decode_size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("fill-400x300-center", (4000, 3000), (600, 450)),
        ("fill-300x300-smart", (4000, 2000), (900, 450)),
        ("fit-400x400-blur", (4000, 2000), (600, 300)),
        ("width-1000", (4000, 3000), (1500, 1125)),
        ("scale-10", (4000, 3000), (600, 450)),
        ("social-youtube-channel-art", (3264, 2448), None),
        ("fill-3000x3000-center", (4000, 3000), None),
        ("format-webp", (4000, 3000), None),
    ],
)
def test_min_decode_size_keeps_a_margin_over_what_the_output_needs(text, source, expected):
    assert min_decode_size(parse(text), source) == expected


# --- rendering ------------------------------------------------------------------------------

# (spec, source, (width, height), format, byte limit or None)
RUNS = [
    ("fill-1080x1350-smart|format-webp|targetkb-200", PHOTOS / "65380541.jpg", (1080, 1350),
     "webp", 200 * 1024),
    ("fill-300x200-fp10-90", CAMERA / "jolla.jpg", (300, 200), "jpeg", None),
    ("fit-500x500-pad-ffffff|format-png", PHOTOS / "kitty.jpg", (500, 500), "png", None),
    ("fit-500x300-blur|format-avif", PHOTOS / "guitarist.jpg", (500, 300), "avif", None),
    ("width-300", PHOTOS / "kitty.jpg", (300, 200), "jpeg", None),
    ("height-100", EDGE / "pil123rgba.png", (108, 100), "png", None),
    ("scale-50|format-webp|quality-60", EDGE / "hopper.webp", (64, 64), "webp", None),
    ("social-x-post", CAMERA / "iphone_13_pro_max.HEIC", (1200, 675), "jpeg", 5 * 2**20),
    ("social-pinterest-pin", EDGE / "pil123rgba.png", (1000, 1500), "png", 20 * 2**20),
    ("social-youtube-thumbnail|targetkb-100", CAMERA / "jolla.jpg", (1280, 720), "jpeg",
     100 * 1024),
    ("social-facebook-cover|crop-fit-blur", CAMERA / "canon_hdr_NO.jpg", (820, 312), "jpeg",
     30 * 2**20),
    ("format-jpeg|quality-70|targetkb-200|strip", CAMERA / "jolla.jpg", None, "jpeg", 200 * 1024),
]  # fmt: skip


@pytest.mark.parametrize(("text", "source", "size", "fmt", "limit"), RUNS)
def test_it_renders_the_spec(text, source, size, fmt, limit):
    with source.open("rb") as fp:
        (rendition,) = render_all(fp, [parse(text)], max_pixels=MAX_PIXELS)
    image = Image.open(io.BytesIO(rendition.data))
    assert image.format.lower() == fmt == rendition.format
    assert image.size == (rendition.width, rendition.height)
    if size is not None:
        assert image.size == size
    if limit is not None:
        assert len(rendition.data) <= limit
        assert rendition.encodes <= 7
    assert rendition.spec == text.lower() or rendition.spec == str(parse(text))


def test_a_strip_spec_drops_gps_but_a_plain_spec_keeps_it():
    with (CAMERA / "DSCN0010.jpg").open("rb") as fp:
        stripped, kept = render_all(
            fp, [parse("width-320|strip"), parse("width-320")], max_pixels=MAX_PIXELS
        )
    assert 0x8825 not in Image.open(io.BytesIO(stripped.data)).getexif()
    assert 0x8825 in Image.open(io.BytesIO(kept.data)).getexif()


def test_render_all_decodes_once_and_analyses_the_subject_once(monkeypatch):
    calls = {"decode": 0, "analyse": 0, "apply": 0}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(rendering, "decode", counting("decode", rendering.decode))
    monkeypatch.setattr(rendering, "analyse", counting("analyse", rendering.analyse))
    monkeypatch.setattr(rendering, "_apply", counting("apply", rendering._apply))
    specs = [parse(f"social-{name}") for name in SOCIAL_FORMATS]
    with (CAMERA / "jolla.jpg").open("rb") as fp:
        renditions = render_all(fp, specs, max_pixels=MAX_PIXELS)
    assert [(r.width, r.height) for r in renditions] == [f.size for f in SOCIAL_FORMATS.values()]
    # 20 formats share 14 distinct sizes (five 1080×1920, three 1080×1080).
    assert calls == {"decode": 1, "analyse": 1, "apply": 14}


def test_render_all_skips_the_subject_analysis_when_no_spec_crops_smartly(monkeypatch):
    monkeypatch.setattr(rendering, "analyse", lambda image: pytest.fail("analysed"))
    with (PHOTOS / "kitty.jpg").open("rb") as fp:
        render_all(fp, [parse("fill-100x100-center"), parse("width-50")], max_pixels=MAX_PIXELS)


def test_render_all_shrinks_on_load_to_the_largest_size_needed(monkeypatch):
    sizes = []
    real_decode = rendering.decode

    def spy(fp, **kwargs):
        decoded = real_decode(fp, **kwargs)
        sizes.append(decoded.image.size)
        return decoded

    monkeypatch.setattr(rendering, "decode", spy)
    with (CAMERA / "jolla.jpg").open("rb") as fp:
        render_all(fp, [parse("fill-200x200-center"), parse("width-400")], max_pixels=MAX_PIXELS)
    assert sizes == [(816, 612)]  # 1/4 scale: still >= 1.5 × 400 px wide


class LeftSubject:
    """A subject map that always puts the subject at the far left."""

    def __init__(self, width, height):
        self.width, self.height = width, height

    def crop_box(self, aspect_w, aspect_h, *, focal=None):
        side = min(self.height, self.width * aspect_h // aspect_w)
        return (0, 0, side * aspect_w // aspect_h, side)


def test_smart_crop_follows_the_subject_map():
    with (PHOTOS / "kitty.jpg").open("rb") as fp:
        decoded = decode(fp, max_pixels=MAX_PIXELS)
    subject = LeftSubject(*decoded.image.size)
    smart = render(decoded, parse("fill-100x100-smart|format-png"), subject_map=subject)
    left = render(decoded, parse("fill-100x100-fp0-50|format-png"))
    centre = render(decoded, parse("fill-100x100-center|format-png"))
    assert smart.data == left.data != centre.data


def test_a_social_format_from_a_transparent_image_is_a_png_with_alpha():
    with (EDGE / "pil123rgba.png").open("rb") as fp:
        (rendition,) = render_all(fp, [parse("social-x-card")], max_pixels=MAX_PIXELS)
    image = Image.open(io.BytesIO(rendition.data))
    assert (rendition.format, rendition.mime_type, rendition.extension) == (
        "png",
        "image/png",
        "png",
    )
    assert image.mode == "RGBA" and np.asarray(image)[..., 3].min() < 255
    assert any("enlarged" in note for note in rendition.notes)


def test_forcing_jpeg_on_a_transparent_image_flattens_it_and_says_so():
    with (EDGE / "pil123rgba.png").open("rb") as fp:
        (rendition,) = render_all(fp, [parse("format-jpeg")], max_pixels=MAX_PIXELS)
    assert rendition.format == "jpeg"
    assert any("filled with white" in note for note in rendition.notes)


def test_width_never_enlarges_and_says_so():
    with (EDGE / "hopper.png").open("rb") as fp:
        (rendition,) = render_all(fp, [parse("width-1000")], max_pixels=MAX_PIXELS)
    assert (rendition.width, rendition.height) == (128, 128)
    assert any("already smaller" in note for note in rendition.notes)


def test_it_refuses_an_output_above_50_megapixels():
    with (CAMERA / "jolla.jpg").open("rb") as fp, pytest.raises(ImageError, match="50 MP"):
        render_all(fp, [parse("scale-400")], max_pixels=MAX_PIXELS)


def test_render_all_passes_on_the_refusal_of_a_broken_file():
    with (EDGE / "truncated_jpeg.jpg").open("rb") as fp, pytest.raises(ImageError):
        render_all(fp, [parse("width-50")], max_pixels=MAX_PIXELS)
