"""Geometry: crop boxes, sizes that keep the aspect ratio, and Lanczos resampling.

Sizes are (width, height) in pixels; boxes are (left, top, right, bottom) in source pixels
and may be fractional, because Pillow's ``resize(box=...)`` samples sub-pixel regions: a
box of exactly the output's aspect ratio avoids the up-to-one-pixel stretch that rounding
a crop to whole pixels causes. Focal points are (x, y) in percent of width and height.

Resampling quality: Pillow's 8-bit LANCZOS (a = 3) keeps about 57 dB PSNR against the same
filter run in 32-bit float per channel on our corpus (benchmarks/social_export.py), well
above the 45 dB we require. Pillow premultiplies RGBA by alpha before resampling and
un-premultiplies after (libImaging/Resample.c via RGBa), so transparent pixels do not
bleed their colour into visible edges; nothing extra is needed here.
"""

from __future__ import annotations

import math
from typing import Final

from PIL import Image, ImageFilter

Size = tuple[int, int]
Box = tuple[float, float, float, float]
FocalPoint = tuple[float, float]
RGB = tuple[int, int, int]

CENTRE: Final[FocalPoint] = (50.0, 50.0)

#: The blurred background of `fit_blur` is built at 1/8 of the output size: blurred detail
#: is thrown away anyway, and it makes the background cost ~1/64 of a full resample.
_BLUR_REDUCTION: Final = 8
#: Gaussian radius as a fraction of the small background's longer side (looks like a
#: "frosted" copy at any output size; 1/40 chosen by eye on corpus/photos).
_BLUR_RADIUS_FRACTION: Final = 1 / 40


def cover_box(source: Size, target: Size, *, focal: FocalPoint = CENTRE) -> Box:
    """Return the largest box of target's aspect ratio inside source, centred on focal.

    The box is moved, never shrunk, to stay inside the image, so the focal point is as
    close to the centre of the crop as the image allows. Raises ValueError for empty sizes.
    """
    src_w, src_h = _positive(source)
    out_w, out_h = _positive(target)
    scale = min(src_w / out_w, src_h / out_h)
    box_w, box_h = out_w * scale, out_h * scale
    left = _clamp(focal[0] / 100 * src_w - box_w / 2, 0.0, src_w - box_w)
    top = _clamp(focal[1] / 100 * src_h - box_h / 2, 0.0, src_h - box_h)
    return (left, top, left + box_w, top + box_h)


def box_to_aspect(box: tuple[float, float, float, float], target: Size) -> Box:
    """Trim a box around its centre to exactly target's aspect ratio.

    Smart-crop boxes come in whole pixels, so their aspect ratio is off by up to a pixel;
    trimming (never growing) keeps the box inside whatever bounds it was inside.
    """
    left, top, right, bottom = box
    out_w, out_h = _positive(target)
    box_w, box_h = right - left, bottom - top
    if box_w <= 0 or box_h <= 0:
        raise ValueError(f"empty box {box!r}")
    if box_w * out_h > box_h * out_w:
        new_w, new_h = box_h * out_w / out_h, box_h
    else:
        new_w, new_h = box_w, box_w * out_h / out_w
    cx, cy = (left + right) / 2, (top + bottom) / 2
    return (cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2)


def contain_size(source: Size, bound: Size) -> Size:
    """Return the largest size of source's aspect ratio that fits inside bound (>= 1 px)."""
    src_w, src_h = _positive(source)
    max_w, max_h = _positive(bound)
    scale = min(max_w / src_w, max_h / src_h)
    return (_at_least_one(src_w * scale, max_w), _at_least_one(src_h * scale, max_h))


def scaled_size(
    source: Size,
    *,
    width: int | None = None,
    height: int | None = None,
    percent: float | None = None,
) -> Size:
    """Return source resized to a width, a height or a percentage, keeping its aspect ratio.

    Exactly one of width, height (pixels) or percent must be given; ValueError otherwise.
    """
    src_w, src_h = _positive(source)
    if sum(arg is not None for arg in (width, height, percent)) != 1:
        raise ValueError("give exactly one of width, height or percent")
    if width is not None:
        return (width, _at_least_one(src_h * width / src_w))
    if height is not None:
        return (_at_least_one(src_w * height / src_h), height)
    assert percent is not None
    return (_at_least_one(src_w * percent / 100), _at_least_one(src_h * percent / 100))


def resize(image: Image.Image, size: Size, *, box: Box | None = None) -> Image.Image:
    """Resample the box region of image (whole image if None) to size with Lanczos (a = 3).

    Only the box is read, so crop-and-resize is one resampling pass: never resize the
    whole image and then crop. Returns a new image of the same mode; the input is untouched.
    """
    size = _positive(size)
    full: Box = (0.0, 0.0, float(image.width), float(image.height))
    if size == image.size and (box is None or box == full):
        return image.copy()
    return image.resize(size, Image.Resampling.LANCZOS, box=box)


def fill(
    image: Image.Image, size: Size, *, focal: FocalPoint = CENTRE, box: Box | None = None
) -> Image.Image:
    """Cover-crop image to exactly size: the largest box of that aspect around focal.

    box: a crop box already chosen (e.g. by smart crop); it is trimmed to size's aspect.
    """
    crop = box_to_aspect(box, size) if box is not None else cover_box(image.size, size, focal=focal)
    return resize(image, size, box=crop)


def fit_pad(image: Image.Image, size: Size, colour: RGB) -> Image.Image:
    """Fit the whole image inside size, centred on an opaque background colour.

    An RGBA image keeps its own transparency inside the image area; the bars are opaque.
    """
    inner = resize(image, contain_size(image.size, size))
    canvas = Image.new(image.mode, size, (*colour, 255) if image.mode == "RGBA" else colour)
    canvas.paste(inner, _centred(inner.size, size))
    return canvas


def fit_blur(image: Image.Image, size: Size) -> Image.Image:
    """Fit the whole image inside size, on a blurred cover-cropped copy of itself."""
    size = _positive(size)
    inner = resize(image, contain_size(image.size, size))
    small = (
        max(1, math.ceil(size[0] / _BLUR_REDUCTION)),
        max(1, math.ceil(size[1] / _BLUR_REDUCTION)),
    )
    background = image.resize(
        small, Image.Resampling.BOX, box=cover_box(image.size, small), reducing_gap=2.0
    )
    radius = max(small) * _BLUR_RADIUS_FRACTION
    background = background.filter(ImageFilter.GaussianBlur(radius))
    background = background.resize(size, Image.Resampling.BICUBIC)
    if image.mode == "RGBA":
        background.alpha_composite(inner, _centred(inner.size, size))
    else:
        background.paste(inner, _centred(inner.size, size))
    return background


def flatten(image: Image.Image, colour: RGB = (255, 255, 255)) -> Image.Image:
    """Return an RGB image: RGBA composited over colour (white by default), RGB unchanged."""
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    background = Image.new("RGB", image.size, colour)
    background.paste(image, mask=image.getchannel("A"))
    return background


def _centred(inner: Size, outer: Size) -> tuple[int, int]:
    return ((outer[0] - inner[0]) // 2, (outer[1] - inner[1]) // 2)


def _positive(size: Size) -> Size:
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"size must be at least 1×1, got {width}×{height}")
    return (int(width), int(height))


def _at_least_one(value: float, upper: int | None = None) -> int:
    rounded = max(1, round(value))
    return min(rounded, upper) if upper is not None else rounded


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, max(low, high)))
