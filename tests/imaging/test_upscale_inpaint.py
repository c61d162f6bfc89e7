"""Upscaling (Lanczos + unsharp mask) and erasing (Telea inpainting) on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from studio.imaging.errors import ImageError
from studio.imaging.inpaint import erase, erase_region, prepare_mask
from studio.imaging.load import decode
from studio.imaging.upscale import UpscaleTooLarge, upscale, upscaled_size
from tests.corpus import CAMERA, EDGE, PHOTOS

#: Eight photos of different kinds: a bird, a child, a bridge, a car, a street, a lake, a cat.
ROUND_TRIP_PHOTOS = [
    "29386679.jpg",
    "60569462.jpg",
    "64786603.jpg",
    "65344435.jpg",
    "65394327.jpg",
    "65408685.jpg",
    "65231965.jpg",
    "kitty.jpg",
]


def photo(name: str) -> Image.Image:
    with (PHOTOS / name).open("rb") as fp:
        return decode(fp, max_pixels=100_000_000).image


def psnr(image: Image.Image, reference: Image.Image) -> float:
    error = np.mean((np.asarray(image, np.float64) - np.asarray(reference, np.float64)) ** 2)
    return float(10 * np.log10(255**2 / error))


def laplacian_variance(image: Image.Image) -> float:
    grey = np.asarray(image.convert("L"), np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def red_excess(pixels: np.ndarray) -> float:
    """Mean of R - (G + B) / 2 over an RGB region: ~0 for neutral colours, ~255 for pure red."""
    wide = pixels.astype(np.float64)
    return float(np.mean(wide[..., 0] - (wide[..., 1] + wide[..., 2]) / 2))


def premultiplied_float_lanczos(image: Image.Image, size) -> tuple[np.ndarray, np.ndarray]:
    """The reference for transparent edges: colour × alpha resampled in float, then divided."""
    rgba = np.asarray(image.convert("RGBA"), np.float32)
    alpha = rgba[..., 3] / 255

    def resample(plane: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(plane).resize(size, Image.Resampling.LANCZOS))

    big_alpha = resample(alpha)
    colour = np.stack([resample(rgba[..., i] * alpha) for i in range(3)], axis=-1)
    return colour / np.maximum(big_alpha, 1e-6)[..., None], np.clip(big_alpha * 255, 0, 255)


# --- upscale ---------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("name", ["kitty.jpg", "65420791.jpg", "65309527.jpg"])
def test_upscale_multiplies_both_sides_by_the_factor_exactly(name, factor):
    image = photo(name)
    out = upscale(image, factor)
    assert out.size == (image.width * factor, image.height * factor)
    assert out.mode == image.mode


def test_a_fractional_factor_rounds_each_side_to_whole_pixels():
    assert upscaled_size((900, 204), 1.5) == (1350, 306)
    assert upscale(photo("65420791.jpg"), 1.5).size == (1350, 306)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_lanczos_with_sharpening_recovers_more_of_the_original_than_bicubic(factor):
    """Shrink real photos by the factor, enlarge them back, compare with the originals."""
    ours, bicubic, sharp_ours, sharp_bicubic = [], [], [], []
    for name in ROUND_TRIP_PHOTOS:
        original = photo(name)
        width, height = original.width // factor * factor, original.height // factor * factor
        original = original.crop((0, 0, width, height))
        small = original.resize((width // factor, height // factor), Image.Resampling.LANCZOS)
        enlarged = upscale(small, factor)
        plain = small.resize((width, height), Image.Resampling.BICUBIC)
        ours.append(psnr(enlarged, original))
        bicubic.append(psnr(plain, original))
        sharp_ours.append(laplacian_variance(enlarged))
        sharp_bicubic.append(laplacian_variance(plain))
    # Closer to the truth on every photo (measured: mean +0.42, +0.25, +0.20 dB; the least
    # +0.24, +0.19, +0.17 dB) and visibly sharper (measured: 1.8× the Laplacian variance).
    assert np.mean(ours) >= np.mean(bicubic) + 0.15
    assert min(np.subtract(ours, bicubic)) > 0
    assert np.mean(sharp_ours) >= 1.5 * np.mean(sharp_bicubic)


def test_sharpening_adds_edge_energy_that_plain_lanczos_lacks():
    image = photo("64786603.jpg")
    sharpened = upscale(image, 2)
    plain = upscale(image, 2, sharpen=False)
    assert plain.tobytes() == image.resize(sharpened.size, Image.Resampling.LANCZOS).tobytes()
    assert laplacian_variance(sharpened) > 1.3 * laplacian_variance(plain)


@pytest.mark.parametrize(
    ("name", "source_mode", "expected_mode"),
    [
        ("hopper_gray.jpg", "L", "L"),
        ("hopper.png", "RGB", "RGB"),
        ("pil123rgba.png", "RGBA", "RGBA"),
        ("hopper.gif", "P", "RGB"),
        ("pil123p.png", "P", "RGBA"),
        ("l_trns.png", "L", "LA"),
        ("16bit.cropped.tif", "I;16", "I;16"),
        ("pil_sample_cmyk.jpg", "CMYK", "RGB"),
    ],
)
def test_upscale_handles_each_mode_of_the_edge_corpus(name, source_mode, expected_mode):
    with Image.open(EDGE / name) as image:
        image.load()
    assert image.mode == source_mode
    out = upscale(image, 2)
    assert out.mode == expected_mode
    assert out.size == (image.width * 2, image.height * 2)
    # Shrunk back, the enlargement is the picture it came from (in its output mode).
    reference = image.convert(expected_mode) if source_mode != "I;16" else image
    back = out.resize(image.size, Image.Resampling.LANCZOS)
    if expected_mode in ("RGBA", "LA"):  # compare what is visible: colour over grey
        back = _over_grey(back)
        reference = _over_grey(reference)
    difference = np.abs(np.asarray(back, np.float64) - np.asarray(reference, np.float64))
    scale = 257 if source_mode == "I;16" else 1
    assert difference.mean() < 4 * scale


def _over_grey(image: Image.Image) -> Image.Image:
    background = Image.new("RGBA", image.size, (128, 128, 128, 255))
    return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")


def test_sixteen_bit_input_keeps_sixteen_bit_precision():
    with Image.open(EDGE / "16bit.cropped.tif") as image:
        image.load()
    out = np.asarray(upscale(image, 2))
    assert out.dtype == np.uint16
    source = np.asarray(image)
    assert abs(out.mean() - source.mean()) < 0.01 * source.mean()
    assert len(np.unique(out)) > len(np.unique(source))  # interpolated, not 8-bit steps


def test_cmyk_becomes_rgb_with_the_colours_pillow_converts_to():
    with Image.open(EDGE / "pil_sample_cmyk.jpg") as image:
        image.load()
    out = upscale(image, 2, sharpen=False)
    expected = image.convert("RGB").resize(out.size, Image.Resampling.LANCZOS)
    assert out.tobytes() == expected.tobytes()


def test_alpha_is_resampled_but_never_sharpened():
    with Image.open(EDGE / "pil123rgba.png") as image:
        image.load()
    out = upscale(image, 3)
    expected_alpha = image.resize(out.size, Image.Resampling.LANCZOS).getchannel("A")
    assert out.getchannel("A").tobytes() == expected_alpha.tobytes()


def cutout_with_black_under_transparency() -> Image.Image:
    """A bright real photo cut out by a disc, transparent pixels stored black (as many tools do)."""
    image = photo("65191659.jpg").crop((200, 100, 500, 400)).convert("RGBA")  # a white room
    alpha = Image.new("L", image.size, 0)
    ImageDraw.Draw(alpha).ellipse((30, 30, 270, 270), fill=255)
    black = Image.new("RGBA", image.size, (0, 0, 0, 0))
    return Image.composite(image, black, alpha)


@pytest.mark.parametrize(
    ("source", "naive_fringes"),
    [
        pytest.param(cutout_with_black_under_transparency, True, id="photo-cutout-black-key"),
        pytest.param(
            lambda: Image.open(EDGE / "p_trns_single.png").convert("RGBA"), True, id="green-key"
        ),
        # Dark artwork on black: a fringe would be invisible, but the edges must still match.
        pytest.param(lambda: Image.open(EDGE / "pil123rgba.png"), False, id="pil123rgba"),
    ],
)
def test_transparent_edges_get_no_dark_or_coloured_fringe(source, naive_fringes):
    """Edge pixels keep the colour of the visible side, as premultiplied float resampling gives."""
    image = source()
    image.load()
    size = (image.width * 2, image.height * 2)
    reference, reference_alpha = premultiplied_float_lanczos(image, size)
    out = np.asarray(upscale(image, 2), np.float64)
    edge = (reference_alpha > 32) & (reference_alpha < 250)
    assert edge.sum() > 100
    difference = out[..., :3][edge] - reference[edge]
    # No shift to darker or to any colour (sharpening changes single pixels, not the mean).
    assert np.abs(difference.mean(axis=0)).max() < 3
    # Unsharpened, edges match the float reference but for 8-bit premultiplied rounding.
    plain = np.asarray(upscale(image, 2, sharpen=False), np.float64)[..., :3][edge]
    assert np.abs(plain - reference[edge]).mean() < 6

    if naive_fringes:  # the test can tell: resampling straight (not premultiplied) fringes
        bands = image.convert("RGBA").split()
        naive = Image.merge("RGBA", [b.resize(size, Image.Resampling.LANCZOS) for b in bands])
        naive_difference = np.asarray(naive, np.float64)[..., :3][edge] - reference[edge]
        assert np.abs(naive_difference.mean(axis=0)).max() > 15


def test_a_result_over_the_pixel_limit_is_refused_before_any_work():
    image = photo("65380541.jpg")  # 900×600
    with pytest.raises(UpscaleTooLarge) as refused:
        upscale(image, 4, max_pixels=5_000_000)
    assert str(refused.value) == (
        "The result would be 8.6 megapixels (3600×2400); the limit is 5 megapixels. "
        "Choose a smaller factor."
    )
    assert isinstance(refused.value, ImageError)
    assert upscale(image, 2, max_pixels=5_000_000).size == (1800, 1200)  # 2.16 MP fits


@pytest.mark.parametrize("factor", [0.5, 0, -2, float("nan"), float("inf")])
def test_a_factor_below_one_or_not_a_number_is_a_programming_error(factor):
    with pytest.raises(ValueError, match="upscale factor must be a number >= 1"):
        upscale(photo("kitty.jpg"), factor)


# --- erase -----------------------------------------------------------------------------------


def with_red_square(name: str, box: tuple[int, int, int, int]) -> tuple[Image.Image, Image.Image]:
    """Return (original photo, the photo with a solid red square painted over box)."""
    original = photo(name)
    painted = original.copy()
    ImageDraw.Draw(painted).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=(255, 0, 0))
    return original, painted


def square_mask(size, box, *, scale: float = 1.0, margin: int = 2) -> Image.Image:
    """A white square over box (plus margin) on black, drawn at scale × the image size."""
    mask = Image.new("L", (round(size[0] * scale), round(size[1] * scale)), 0)
    left, top, right, bottom = (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
    ImageDraw.Draw(mask).rectangle(
        (left * scale, top * scale, right * scale - 1, bottom * scale - 1), fill=255
    )
    return mask


@pytest.mark.parametrize(
    ("name", "box"),
    [
        ("65408685.jpg", (300, 400, 360, 460)),  # the lit skyline of a lake at dusk
        ("64786603.jpg", (420, 250, 480, 310)),  # the Golden Gate bridge's deck and cables
        ("65394327.jpg", (400, 300, 460, 360)),  # a street in Akihabara
        ("64765319.jpg", (420, 310, 480, 370)),  # surf in a greyscale beach photo
    ],
)
def test_erase_removes_a_red_square_and_leaves_everything_else_untouched(name, box):
    original, painted = with_red_square(name, box)
    mask = square_mask(painted.size, box)
    out = erase(painted, mask)

    assert out.size == painted.size and out.mode == painted.mode
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    before = np.asarray(original.convert("RGB"))[region]
    after = np.asarray(out.convert("RGB"))[region]
    assert red_excess(np.asarray(painted.convert("RGB"))[region]) > 100  # it was red
    assert red_excess(after) < red_excess(before) + 12  # the red is gone
    # Filled from its surroundings: the fill's mean colour is that of a ring around the box.
    ring = np.asarray(original.convert("RGB"), np.float64)[
        box[1] - 12 : box[3] + 12, box[0] - 12 : box[2] + 12
    ].copy()
    ring[16:-16, 16:-16] = np.nan
    ring_mean = np.nanmean(ring.reshape(-1, 3), axis=0)
    assert np.abs(after.reshape(-1, 3).mean(axis=0) - ring_mean).max() < 15

    grown = np.asarray(prepare_mask(mask, painted.size)) > 0
    assert np.array_equal(np.asarray(out)[~grown], np.asarray(painted)[~grown])
    assert not np.array_equal(np.asarray(out)[grown], np.asarray(painted)[grown])


def test_a_mask_of_another_size_is_stretched_to_the_image():
    box = (420, 250, 480, 310)
    original, painted = with_red_square("64786603.jpg", box)
    small_mask = square_mask(painted.size, box, scale=1 / 3, margin=6)  # 300×199 for 900×598
    assert small_mask.size != painted.size

    stretched = prepare_mask(small_mask, painted.size, grow=0)
    assert stretched.size == painted.size
    left, top, right, bottom = stretched.getbbox()
    assert abs(left - 414) <= 3 and abs(top - 244) <= 3
    assert abs(right - 486) <= 3 and abs(bottom - 316) <= 3

    out = np.asarray(erase(painted, small_mask))
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert red_excess(out[region]) < red_excess(np.asarray(original)[region]) + 12


def test_prepare_mask_binarises_at_half_and_grows_by_the_given_pixels():
    mask = Image.new("L", (100, 100), 0)
    ImageDraw.Draw(mask).rectangle((40, 40, 59, 59), fill=128)  # exactly 50 %: erase
    ImageDraw.Draw(mask).rectangle((0, 0, 9, 9), fill=127)  # just under: keep
    binary = prepare_mask(mask, (100, 100), grow=0)
    assert set(np.unique(np.asarray(binary))) == {0, 255}
    assert binary.getbbox() == (40, 40, 60, 60)
    assert prepare_mask(mask, (100, 100), grow=5).getbbox() == (35, 35, 65, 65)


def test_a_brush_stroke_on_a_transparent_layer_counts_as_a_mask():
    box = (420, 250, 480, 310)
    original, painted = with_red_square("64786603.jpg", box)
    layer = Image.new("RGBA", painted.size, (255, 255, 255, 0))  # white, but fully transparent
    ImageDraw.Draw(layer).rectangle((418, 248, 481, 311), fill=(255, 255, 255, 255))
    grown = prepare_mask(layer, painted.size, grow=0)
    assert grown.getbbox() == (418, 248, 482, 312)
    out = np.asarray(erase(painted, layer))
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert red_excess(out[region]) < red_excess(np.asarray(original)[region]) + 12


def test_an_empty_mask_is_refused():
    image = photo("kitty.jpg")
    with pytest.raises(ImageError, match="The mask is empty, so there is nothing to erase"):
        erase(image, Image.new("L", image.size, 0))
    faint = Image.new("L", image.size, 100)  # grey under 50 %: still nothing marked
    with pytest.raises(ImageError, match="The mask is empty"):
        erase(image, faint)


def test_a_mask_covering_almost_everything_is_refused():
    image = photo("kitty.jpg")
    mask = Image.new("L", image.size, 255)
    ImageDraw.Draw(mask).rectangle((0, 0, 99, 99), fill=0)  # 10 000 of 273 280 px kept
    with pytest.raises(ImageError, match=r"The mask covers 96% of the image.*AI edit"):
        erase(image, mask)


def test_erase_keeps_transparency_exactly():
    box = (420, 250, 480, 310)
    _, painted = with_red_square("64786603.jpg", box)
    alpha = Image.linear_gradient("L").resize(painted.size)
    rgba = painted.convert("RGBA")
    rgba.putalpha(alpha)
    out = erase(rgba, square_mask(rgba.size, box))
    assert out.mode == "RGBA"
    assert out.getchannel("A").tobytes() == alpha.tobytes()
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert red_excess(np.asarray(out.convert("RGB"))[region]) < 40


def test_a_large_region_is_inpainted_at_the_working_resolution_and_pasted_back():
    with (CAMERA / "jolla.jpg").open("rb") as fp:
        image = decode(fp, max_pixels=100_000_000).image  # 3264×2448, 8 MP
    painted = image.copy()
    box = (1200, 900, 1800, 1400)  # 0.3 MP of red
    ImageDraw.Draw(painted).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=(255, 0, 0))
    mask = square_mask(painted.size, box)

    result = erase_region(painted, mask)
    region_w, region_h = result.box[2] - result.box[0], result.box[3] - result.box[1]
    assert result.working_scale < 1  # reduced: more masked pixels than the 0.25 MP budget
    assert result.working_size[0] * result.working_size[1] < region_w * region_h
    # The region is the mask's box plus a margin, not the whole photo.
    assert region_w * region_h < 0.1 * image.width * image.height

    out = np.asarray(result.image)
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert red_excess(out[region]) < red_excess(np.asarray(image)[region]) + 12
    grown = np.asarray(prepare_mask(mask, painted.size)) > 0
    assert np.array_equal(out[~grown], np.asarray(painted)[~grown])


def test_erase_works_on_palette_and_sixteen_bit_images():
    with Image.open(EDGE / "hopper.gif") as palette:
        palette.load()
    mask = Image.new("L", palette.size, 0)
    ImageDraw.Draw(mask).rectangle((50, 50, 70, 70), fill=255)
    out = erase(palette, mask)
    assert out.mode == "RGB" and out.size == palette.size

    with Image.open(EDGE / "16bit.cropped.tif") as deep:
        deep.load()
    mask = Image.new("L", deep.size, 0)
    ImageDraw.Draw(mask).rectangle((20, 20, 30, 30), fill=255)
    out = erase(deep, mask)
    assert out.mode == "L"
    expected_outside = (np.asarray(deep, np.uint32) * 255 + 32767) // 65535
    grown = np.asarray(prepare_mask(mask, deep.size)) > 0
    assert np.array_equal(np.asarray(out)[~grown], expected_outside[~grown])


def test_a_smaller_working_budget_reduces_the_region_and_still_erases():
    box = (420, 250, 480, 310)
    original, painted = with_red_square("64786603.jpg", box)
    mask = square_mask(painted.size, box)
    full = erase_region(painted, mask)
    reduced = erase_region(painted, mask, working_masked_pixels=1_000)
    assert full.working_scale == 1
    assert reduced.working_scale < 0.5
    assert erase(painted, mask, working_masked_pixels=1_000).tobytes() == reduced.image.tobytes()
    region = (slice(box[1], box[3]), slice(box[0], box[2]))
    assert (
        red_excess(np.asarray(reduced.image)[region])
        < red_excess(np.asarray(original)[region]) + 12
    )
    grown = np.asarray(prepare_mask(mask, painted.size)) > 0  # pasted back through the mask
    assert np.array_equal(np.asarray(reduced.image)[~grown], np.asarray(painted)[~grown])
