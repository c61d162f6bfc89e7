"""Memory a decode will take, estimated from the headers alone, so callers can refuse it first.

Decoding is where an image costs memory: a 249 KB deflate TIFF of 9000×9000 16-bit grey
holds 162 MB of samples, and turning them into 8-bit sRGB makes more copies. `decode_cost`
gives an upper estimate in bytes from what `studio.imaging.load.probe` read (pixel size,
mode, bit depth, progressive JPEG), for the decode `studio.imaging.load.decode` does,
including its JPEG shrink-on-load (DCT scaling by 1/2, 1/4 or 1/8). Callers compare it with
a budget: the web process decodes only what fits its per-request budget, a worker only what
fits its own (settings STUDIO_UPLOAD_DECODE_BUDGET_BYTES, STUDIO_WORKER_DECODE_BUDGET_BYTES).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from studio.imaging.errors import ImageError

if TYPE_CHECKING:
    from PIL import ImageFile

    from studio.imaging.load import ImageInfo

#: Bytes per pixel of a Pillow image in memory, by mode (Pillow's Storage.c: "1", "L", "P"
#: keep one byte; "I;16*" two; every other mode, RGB included, four).
_PIXEL_BYTES: Final = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
#: Colour components the codec stores per pixel, for its own buffers.
_COMPONENTS: Final = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "CMYK": 4, "RGBA": 4}
#: The decoded image, then its 8-bit RGB(A) conversion and one more full copy (colour
#: transform, alpha split or EXIF rotation): four bytes per pixel each (measured on
#: corpus/edge and a 9000×9000 16-bit TIFF in BENCHMARKS.md, "Hostile uploads").
_CONVERSION_BYTES: Final = 2 * 4
#: libjpeg keeps every DCT coefficient of a progressive JPEG (one 16-bit value per sample)
#: until the last scan, whatever the output scale (libjpeg's jdcoefct.c, "whole_image").
_COEFFICIENT_BYTES: Final = 2


def draft_scale(info: ImageInfo, min_size: tuple[int, int] | None) -> int:
    """Return the JPEG shrink-on-load divisor (1, 2, 4 or 8) that decode(min_size=...) uses.

    Mirrors PIL.JpegImagePlugin.draft: the largest of 8, 4, 2 that keeps both sides at or
    above min_size (upright, so swapped for orientations 5-8); 1 for other formats.
    """
    if min_size is None or info.format != "JPEG":
        return 1
    want_w, want_h = (max(side, 1) for side in min_size)
    width, height = info.size
    scale = min(width // want_w, height // want_h)
    return next((s for s in (8, 4, 2) if scale >= s), 1)


def decode_cost(info: ImageInfo, *, min_size: tuple[int, int] | None = None) -> int:
    """Return an upper estimate of the bytes decoding the first frame takes at its peak.

    info: from probe(). min_size: as passed to decode() (JPEGs shrink on load). The estimate
    is decoded pixels × (Pillow's bytes per pixel for the mode + _CONVERSION_BYTES), plus the
    codec's own full-size buffers where it keeps them: every DCT coefficient of a progressive
    JPEG, the sample planes of HEIF and AVIF (2 bytes a sample above 8 bits).
    """
    scale = draft_scale(info, min_size)
    pixels = math.ceil(info.width / scale) * math.ceil(info.height / scale)
    cost = pixels * (_PIXEL_BYTES.get(info.mode, 4) + _CONVERSION_BYTES)
    full = info.width * info.height
    components = _COMPONENTS.get(info.mode, 3)
    if info.format == "JPEG" and info.progressive:
        cost += full * components * _COEFFICIENT_BYTES
    if info.format in ("HEIF", "AVIF"):
        cost += full * components * (2 if info.bits_per_sample > 8 else 1)
    return cost


def bits_per_sample(image: ImageFile.ImageFile) -> int:
    """Return the bits per sample the file stores (TIFF tag 258, PNG's raw mode, HEIF's)."""
    if image.mode.startswith("I;16"):
        return 16
    if image.mode in ("I", "F"):
        return 32
    if image.format == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258)
        if isinstance(bits, tuple | list) and bits and isinstance(bits[0], int):
            return max(bits)
        return bits if isinstance(bits, int) else 8
    if image.format == "HEIF" and isinstance(image.info.get("bit_depth"), int):
        return int(image.info["bit_depth"])
    rawmode = image.tile[0].args if image.tile else None
    if isinstance(rawmode, tuple):
        rawmode = rawmode[0] if rawmode else None
    if isinstance(rawmode, str) and rawmode.endswith(("16", "16B", "16L")):
        return 16
    return 1 if image.mode == "1" else 8


def over_budget(info: ImageInfo, cost: int, max_bytes: int) -> ImageError:
    """Return the refusal of a decode whose cost (bytes) is over max_bytes, for the user."""
    return ImageError(
        f"This image needs about {mib(cost)} of memory to read ({info.width}×{info.height}, "
        f"{info.bits_per_sample}-bit), more than the {mib(max_bytes)} we allow for one image. "
        "Save it at a smaller size or at 8 bits per channel, then upload it again."
    )


def mib(n: int) -> str:
    """Return a byte count in whole MiB for messages ("812 MB")."""
    return f"{math.ceil(n / 1_048_576)} MB"
