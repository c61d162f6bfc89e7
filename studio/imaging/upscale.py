"""Upscaling without a model: Lanczos resampling followed by an unsharp mask tuned to the factor.

Sizes are (width, height) in pixels; a factor is output/input linear size (2.0 doubles both
sides). This is the "upscale/lanczos" model of the local provider: it makes an image larger
without inventing detail, and sharpens just enough to undo the softness of interpolation.

Gamma space, not linear light. Resampling in linear light is right for *reducing* (averaging
gamma-encoded values darkens fine bright detail), but for enlarging, which interpolates between
neighbours, it bought nothing on our corpus and costs a lot: on the 24 corpus/photos shrunk by
2 and enlarged back, Lanczos in sRGB gamma came 30.88 dB PSNR from the original against
30.21 dB in linear light (linear light also makes the dark lobes of Lanczos ringing more
visible next to bright edges), and it took 0.89 s against 12.2 s for a 2× of camera/jolla.jpg
(8 MP, float32 planes per channel through numpy). So we stay in gamma space.

Transparency: Pillow resamples "RGBA" and "LA" premultiplied by alpha ("RGBa"/"La",
libImaging/Resample.c), so the colour of fully transparent pixels (often black, sometimes
a leftover green) cannot bleed into visible edges as a dark or coloured fringe. Alpha is
resampled but never sharpened (a sharpened alpha gets halos and overshoots to 0/255), and
the colour is sharpened against its visible surroundings only (`_upscale_with_alpha`).
"""

from __future__ import annotations

import math
from typing import Final

from PIL import Image, ImageFilter

from studio.imaging.errors import ImageError

Size = tuple[int, int]

#: Default largest output, width × height in pixels: the default of settings.STUDIO_MAX_PIXELS
#: (studio/settings.py), the largest image the rest of the studio will open.
DEFAULT_MAX_PIXELS: Final = 100_000_000

#: Unsharp mask after a factor-f enlargement: Gaussian radius UNSHARP_RADIUS_PER_FACTOR × f
#: pixels, strength UNSHARP_PERCENT %, only where the detail differs from its blur by more than
#: UNSHARP_THRESHOLD levels of 255. Chosen on the 24 corpus/photos shrunk by f (Lanczos) and
#: enlarged back, against the originals (mean PSNR, dB; "sharpness" = Laplacian variance as a
#: fraction of the original's):
#:
#:   f=2  bicubic 30.55 / 0.139   Lanczos 30.88 / 0.151   +unsharp(1.0 px, 60 %) 30.95 / 0.234
#:   f=3  bicubic 27.96 / 0.047   Lanczos 28.18 / 0.049   +unsharp(1.5 px, 60 %) 28.22 / 0.076
#:   f=4  bicubic 26.60 / 0.024   Lanczos 26.78 / 0.025   +unsharp(2.0 px, 60 %) 26.81 / 0.039
#:
#: 60 % is the strongest setting (of 40-100 %, at radius 0.5 f; a radius 0.65 f or 80 % already
#: fell below plain Lanczos) that stays *closer* to the true image than Lanczos alone at every
#: factor, while restoring ~55 % more edge energy. The radius grows with the factor because
#: an f× enlargement spreads an edge over ~f pixels. Threshold 2 leaves flat areas (sky,
#: skin) and JPEG noise alone; it cost < 0.01 dB against threshold 0.
UNSHARP_RADIUS_PER_FACTOR: Final = 0.5
UNSHARP_PERCENT: Final = 60
UNSHARP_THRESHOLD: Final = 2

#: 16-bit samples are 257× 8-bit ones (65535 / 255), so the threshold scales with them.
_SIXTEEN_BIT_MODES: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


class UpscaleTooLarge(ImageError):
    """The enlarged image would exceed the pixel limit.

    ``megapixels`` is the size the result would have had and ``limit`` the allowed size,
    both in millions of pixels.
    """

    def __init__(self, size: Size, max_pixels: int) -> None:
        self.size = size
        self.megapixels = size[0] * size[1] / 1e6
        self.limit = max_pixels / 1e6
        super().__init__(
            f"The result would be {_mp(self.megapixels)} megapixels "
            f"({size[0]}×{size[1]}); the limit is {_mp(self.limit)} megapixels. "
            "Choose a smaller factor."
        )


def upscaled_size(size: Size, factor: float) -> Size:
    """Return size × factor rounded to whole pixels (each side at least 1).

    Raises ValueError for a factor that is not a finite number >= 1 or an empty size.
    """
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"size must be at least 1×1, got {width}×{height}")
    if not math.isfinite(factor) or factor < 1:
        raise ValueError(f"an upscale factor must be a number >= 1, got {factor!r}")
    return (max(1, round(width * factor)), max(1, round(height * factor)))


def upscale(
    image: Image.Image,
    factor: float,
    *,
    sharpen: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Return image enlarged by factor with Lanczos (a = 3), then unsharp-masked.

    image: any of "1", "L", "LA", "RGB", "RGBA", "P", "PA", "CMYK", "I;16", "I" (others are
    converted to RGB). Output mode: "L", "LA", "RGB", "RGBA" as the input, "I;16" for 16-bit
    input (kept at 16 bits), "RGB" for CMYK and "RGB"/"RGBA" for palettes (with or without
    transparency; re-quantising an enlarged photo would band it). CMYK is converted with
    Pillow's plain formula; colour-managed conversion is load.decode's job, which callers
    with files should use first.

    factor: output/input linear size, >= 1; the output is `upscaled_size(image.size, factor)`.
    sharpen: apply the factor-tuned unsharp mask (UNSHARP_* constants).
    max_pixels: the largest width × height allowed for the result.

    Raises UpscaleTooLarge (an ImageError) when the result would exceed max_pixels, checked
    before any work; ValueError for a factor < 1 or not finite.
    """
    size = upscaled_size(image.size, factor)
    if size[0] * size[1] > max_pixels:
        raise UpscaleTooLarge(size, max_pixels)
    image = _supported_mode(image)
    radius = UNSHARP_RADIUS_PER_FACTOR * factor
    if image.mode in _SIXTEEN_BIT_MODES:
        return _upscale_16bit(image, size, radius if sharpen else 0.0)
    if image.mode in ("RGBA", "LA"):
        return _upscale_with_alpha(image, size, radius if sharpen else 0.0)
    out = image.resize(size, Image.Resampling.LANCZOS)
    if sharpen:
        out = out.filter(_unsharp(radius))
    return out


# Cost: on a 2× of camera/jolla.jpg (to 32 MP) Lanczos takes 1.0 s and this unsharp mask 2.2 s,
# because Pillow's Gaussian is three box-blur passes. OpenCV's GaussianBlur + addWeighted gives
# the same pixels (mean difference 0.001 levels) in 1.1 s, if that ever matters more than
# keeping this module on Pillow alone.
def _unsharp(radius: float) -> ImageFilter.UnsharpMask:
    return ImageFilter.UnsharpMask(
        radius=radius, percent=UNSHARP_PERCENT, threshold=UNSHARP_THRESHOLD
    )


def _supported_mode(image: Image.Image) -> Image.Image:
    """Convert modes we do not resample as they are to the nearest mode we do."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA") or mode in _SIXTEEN_BIT_MODES:
        if mode in ("L", "RGB") and "transparency" in image.info:  # tRNS colour key
            return image.convert("LA" if mode == "L" else "RGBA")
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if mode in ("La", "RGBa"):
        return image.convert(mode.upper())
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX, F


def _upscale_with_alpha(image: Image.Image, size: Size, radius: float) -> Image.Image:
    """Resample premultiplied, then sharpen the colour of visible pixels only.

    An unsharp mask compares each pixel with its blurred neighbourhood; next to a transparent
    area that neighbourhood holds whatever colour the transparent pixels happen to store
    (black, or the green of a tRNS key in corpus/edge/p_trns_single.png), and sharpening
    against it paints a fringe. So transparent pixels first get the colour of their visible
    surroundings (a blur normalised by alpha: blur(colour × alpha) / blur(alpha), which is
    what un-premultiplying a blurred premultiplied image computes), and only then is the
    colour sharpened. Alpha is resampled, never sharpened.
    """
    straight, premultiplied = image.mode, {"RGBA": "RGBa", "LA": "La"}[image.mode]
    colour_mode = "RGB" if straight == "RGBA" else "L"
    resampled = image.convert(premultiplied).resize(size, Image.Resampling.LANCZOS)
    big = resampled.convert(straight)
    if radius <= 0:
        return big
    alpha = big.getchannel("A")
    colour = big.convert(colour_mode) if straight == "RGBA" else big.getchannel("L")
    # Twice the sharpening radius reaches every transparent pixel the unsharp blur weighs.
    surroundings = resampled.filter(ImageFilter.GaussianBlur(2 * radius)).convert(straight)
    surroundings = (
        surroundings.convert(colour_mode) if straight == "RGBA" else surroundings.getchannel("L")
    )
    visible = alpha.point(lambda value: 255 if value else 0)
    sharp = Image.composite(colour, surroundings, visible).filter(_unsharp(radius))
    sharp = sharp.convert(straight)
    sharp.putalpha(alpha)
    return sharp


def _upscale_16bit(image: Image.Image, size: Size, radius: float) -> Image.Image:
    """Resample and sharpen a 16-bit greyscale image in float, return "I;16".

    Pillow's blur filters take 8-bit images only, so the Gaussian comes from OpenCV (already a
    dependency, imported here so 8-bit callers do not pay for it); the formula is Pillow's
    UnsharpMask: out = in + (in - blur) × percent / 100 where |in - blur| >= threshold.
    """
    import cv2
    import numpy as np

    values = np.asarray(image.convert("I"), dtype=np.float32)
    big = np.asarray(
        Image.fromarray(values).resize(size, Image.Resampling.LANCZOS), dtype=np.float32
    )
    if radius > 0:
        blurred = cv2.GaussianBlur(big, (0, 0), sigmaX=radius, borderType=cv2.BORDER_REPLICATE)
        detail = big - blurred
        mask = np.abs(detail) > UNSHARP_THRESHOLD * 257
        big = big + np.where(mask, detail * (UNSHARP_PERCENT / 100), 0).astype(np.float32)
    out = np.clip(np.rint(big), 0, 65535).astype(np.uint16)
    return Image.fromarray(out)  # uint16 -> "I;16"


def _mp(megapixels: float) -> str:
    """Format megapixels without pointless decimals: 100, 4.8, 0.25."""
    if megapixels >= 10:
        return f"{megapixels:.0f}"
    return f"{megapixels:.2g}" if megapixels < 1 else f"{megapixels:.1f}".removesuffix(".0")
