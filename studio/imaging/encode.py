"""Encoding to JPEG, PNG, WebP and AVIF, and hitting a target file size in few encodes.

Metadata policy: the ICC profile passed in is always embedded (colours depend on it);
EXIF (which holds GPS, camera serials, dates) only when ``strip`` is False; XMP never,
because we do not carry it through decoding. ``image.info`` is ignored.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

from PIL import Image

from studio.imaging.geometry import flatten, resize

Format = Literal["jpeg", "png", "webp", "avif"]
FORMATS: Final[tuple[Format, ...]] = ("jpeg", "png", "webp", "avif")
LOSSY: Final[frozenset[str]] = frozenset({"jpeg", "webp", "avif"})

MIME_TYPES: Final[dict[str, str]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}
EXTENSIONS: Final[dict[str, str]] = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}
_PIL_FORMAT: Final[dict[str, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}

#: Quality when none is asked for. JPEG 85 is the "Social" compression preset
#: (shared/PROVIDERS.md); WebP 80 and AVIF 75 are Pillow's own defaults (Pillow docs,
#: "Image file formats").
DEFAULT_QUALITY: Final[dict[str, int]] = {"jpeg": 85, "webp": 80, "avif": 75}
#: The ceiling of a target-size search when no quality is asked for: above 95 JPEG files
#: grow fast for no visible gain (libjpeg's own documentation of -quality).
TARGET_MAX_QUALITY: Final = 95
#: The floor of a target-size search; below it JPEG blocking is obvious, so we shrink instead.
TARGET_MIN_QUALITY: Final = 30
#: Encodes a target-size search may spend on quality before it settles.
MAX_TARGET_ENCODES: Final = 7
#: Aim a little under the budget until a guess fits, so the first guesses usually fit;
#: then aim just under it, to find the largest quality that fits.
_AIM: Final = 0.96
_AIM_FITTED: Final = 0.995
#: Each guess cuts at least 1/_MIN_CUT off the bracket; 6 gave the fewest encodes on
#: corpus/photos (mean 4.6 for JPEG, against 4.9 for 4 and 5.0 for 3), never more than 7.
_MIN_CUT: Final = 6
#: PNG ``optimize`` (zlib level 9 plus a filter search) only up to 0.25 MP: on a 1080×1920
#: image it took 3.8 s against 0.4 s at zlib's default level 6, for 9 % smaller graphics
#: and 2 % smaller photos (Pillow 13, measured on corpus/edge/pil123rgba.png and jolla.jpg).
_PNG_OPTIMIZE_MAX_PIXELS: Final = 250_000
#: libwebp effort 0-6; 4 is cwebp's default and ~3x faster than 6 for ~2 % larger files.
_WEBP_METHOD: Final = 4
#: libavif speed 0-10: 8 made files within 0.5 % of Pillow's default 6 at 3.5× the speed
#: (0.54 s against 1.9 s for a 900×600 photo); 9 is faster again but 8 % larger.
_AVIF_SPEED: Final = 8

_Encoder = Callable[[Image.Image, int | None], bytes]
_Curve = tuple[tuple[int, float], ...]

#: Typical log(size(q) / size(95)) of our encoders: the mean over nine corpus/photos at
#: 800×800 with Pillow 13 (libjpeg-turbo, libwebp method 4, libavif speed 6); the spread
#: between photos is 0.03-0.2. Only the curve's shape is used: measured encodes correct it.
_SIZE_CURVE: Final[dict[str, _Curve]] = {
    "jpeg": (
        (5, -2.978), (10, -2.452), (20, -1.927), (30, -1.641), (40, -1.455), (50, -1.303),
        (60, -1.165), (70, -0.982), (75, -0.884), (80, -0.748), (85, -0.585), (90, -0.358),
        (95, 0.0), (100, 0.727),
    ),
    "webp": (
        (5, -2.413), (10, -2.23), (20, -1.985), (30, -1.788), (40, -1.622), (50, -1.481),
        (60, -1.358), (70, -1.236), (75, -1.167), (80, -0.96), (85, -0.732), (90, -0.426),
        (95, 0.0), (100, 0.343),
    ),
    "avif": (
        (5, -3.38), (10, -3.134), (20, -2.792), (30, -2.449), (40, -2.072), (50, -1.688),
        (60, -1.342), (70, -1.041), (75, -0.896), (80, -0.723), (85, -0.59), (90, -0.358),
        (95, 0.0), (100, 0.765),
    ),
}  # fmt: skip


@dataclass
class TargetResult:
    """The outcome of `encode_to_target`.

    data: the encoded file, len(data) <= max_bytes. quality: the quality used (None for PNG).
    encodes: how many times the image was encoded. scale: output/input linear size (1.0 when
    the pixels were not reduced). size: (width, height) of the encoded image. notes: remarks
    for the user (e.g. that the image was made smaller to fit).
    """

    data: bytes
    quality: int | None
    encodes: int
    scale: float = 1.0
    size: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)


def encode(
    image: Image.Image,
    *,
    format: Format,
    quality: int | None = None,
    progressive: bool = False,
    strip: bool = True,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
) -> bytes:
    """Encode an RGB/RGBA image (or a palette image as PNG) and return the file's bytes.

    quality: 1-100 for JPEG/WebP/AVIF (DEFAULT_QUALITY if None); ignored for PNG.
    progressive: JPEG only. strip: drop EXIF (and with it GPS); the ICC profile is kept.
    JPEG has no alpha channel, so RGBA is flattened on white. Raises ValueError for an
    unknown format or a quality outside 1-100.
    """
    if format not in _PIL_FORMAT:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    if quality is not None and not 1 <= quality <= 100:
        raise ValueError(f"quality must be 1-100, got {quality}")
    if image.mode not in ("RGB", "RGBA") and not (format == "png" and image.mode == "P"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    if format == "jpeg":
        image = flatten(image)
    params: dict[str, object] = {"xmp": b"", "exif": b"" if strip or exif is None else exif}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if format in LOSSY:
        params["quality"] = quality if quality is not None else DEFAULT_QUALITY[format]
    if format == "jpeg":
        params.update(optimize=True, progressive=progressive)
    elif format == "webp":
        params["method"] = _WEBP_METHOD
    elif format == "avif":
        params["speed"] = _AVIF_SPEED
    elif image.width * image.height <= _PNG_OPTIMIZE_MAX_PIXELS:
        params["optimize"] = True
    else:
        params["compress_level"] = 6
    buffer = io.BytesIO()
    image.save(buffer, _PIL_FORMAT[format], **params)
    return buffer.getvalue()


def encode_to_target(
    image: Image.Image,
    *,
    max_bytes: int,
    format: Format,
    quality: int | None = None,
    min_quality: int = TARGET_MIN_QUALITY,
    progressive: bool = False,
    strip: bool = True,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
) -> TargetResult:
    """Encode at the largest quality whose file is <= max_bytes, shrinking only if needed.

    quality: the ceiling (TARGET_MAX_QUALITY if None); a file that fits at the ceiling is
    returned after one encode. Otherwise the search brackets the answer between the ceiling
    and min_quality, interpolates on log(size) against quality, and bisects, in at most
    MAX_TARGET_ENCODES encodes; on photos it lands at 90-100 % of max_bytes (JPEG/WebP
    quality steps near q85 change the size by 2-5 %). If min_quality is still too large the
    pixels are reduced by sqrt(budget / size), the bytes-per-pixel estimate, until it fits.
    PNG is lossless: colours are reduced to a 256-colour palette first, then pixels.
    Raises ValueError if max_bytes < 1.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")

    def run(img: Image.Image, q: int | None) -> bytes:
        return encode(
            img,
            format=format,
            quality=q,
            progressive=progressive,
            strip=strip,
            icc_profile=icc_profile,
            exif=exif,
        )

    if format == "png":
        return _png_to_target(image, max_bytes, run)
    ceiling = quality if quality is not None else TARGET_MAX_QUALITY
    floor = min(min_quality, ceiling)
    result = _search_quality(image, max_bytes, ceiling, floor, run, _SIZE_CURVE[format])
    if len(result.data) <= max_bytes:
        return result
    return _shrink_to_target(image, max_bytes, run, result)


def _search_quality(
    image: Image.Image, max_bytes: int, ceiling: int, floor: int, run: _Encoder, curve: _Curve
) -> TargetResult:
    """Find the largest quality in [floor, ceiling] that fits, else return the floor's file.

    Each guess comes from the typical size/quality curve (_SIZE_CURVE) corrected by what
    the encodes so far measured: the curve's error at the known qualities either side is
    interpolated linearly, like regula falsi on the residual. Guesses stay inside the
    bracket and cut at least a sixth off it, so the search ends in a few encodes.
    """
    files: dict[int, bytes] = {}

    def encode_at(q: int) -> int:
        files[q] = run(image, q)
        return len(files[q])

    if encode_at(ceiling) <= max_bytes:
        return TargetResult(files[ceiling], ceiling, 1, size=image.size)
    lo, hi = floor - 1, ceiling  # lo: best known fit (floor - 1 = none yet); hi: too big
    residual = {hi: math.log(len(files[hi])) - _curve_at(curve, hi)}
    while hi - lo > 1 and len(files) < MAX_TARGET_ENCODES:
        if lo < floor and len(files) == MAX_TARGET_ENCODES - 1:
            q = floor  # last chance to learn whether anything fits at all
        else:
            # Aim under the budget until something fits, then just under it; and cut at
            # least a sixth off the bracket, so a poor prediction cannot creep by ones.
            goal = math.log(max_bytes * (_AIM if lo < floor else _AIM_FITTED))
            q = _predict(curve, residual, lo, hi, goal, floor)
            if q is None and lo < floor:
                q = floor  # even the floor is predicted too large: find out at once
            elif q is None:
                q = lo + 1  # every step up is predicted too large: check the nearest
            else:
                margin = math.ceil((hi - max(lo, floor - 1)) / _MIN_CUT)
                q = min(max(q, max(lo, floor - 1) + margin, floor), hi - margin)
        size = encode_at(q)
        residual[q] = math.log(size) - _curve_at(curve, q)
        lo, hi = (q, hi) if size <= max_bytes else (lo, q)
    best = lo if lo >= floor else floor  # the floor was always tried when nothing fitted
    return TargetResult(files[best], best, len(files), size=image.size)


def _predict(
    curve: _Curve, residual: dict[int, float], lo: int, hi: int, goal: float, floor: int
) -> int | None:
    """Return the largest quality in (lo, hi) whose predicted log-size is <= goal, or None."""
    known_lo = lo if lo in residual else None
    best = None
    for q in range(max(lo + 1, floor), hi):
        if known_lo is None:
            r = residual[hi]
        else:
            t = (q - known_lo) / (hi - known_lo)
            r = residual[known_lo] + t * (residual[hi] - residual[known_lo])
        if _curve_at(curve, q) + r <= goal:
            best = q
    return best


def _curve_at(curve: _Curve, q: float) -> float:
    """Linearly interpolate (and extrapolate at the ends) a (quality, log size) table."""
    for (q0, s0), (q1, s1) in itertools.pairwise(curve):
        if q <= q1 or q1 == curve[-1][0]:
            return s0 + (q - q0) * (s1 - s0) / (q1 - q0)
    raise AssertionError("unreachable")


def _shrink_to_target(
    image: Image.Image, max_bytes: int, run: _Encoder, first: TargetResult
) -> TargetResult:
    """Reduce pixels (by the bytes-per-pixel estimate) until the file at first.quality fits.

    first: the encode at the lowest allowed quality, which was too large.
    """
    data, encodes, current = first.data, first.encodes, image
    while len(data) > max_bytes and current.width * current.height > 1:
        factor = min(math.sqrt(max_bytes * 0.9 / len(data)), 0.95)
        size = (max(1, round(current.width * factor)), max(1, round(current.height * factor)))
        current = resize(image, size)
        data = run(current, first.quality)
        encodes += 1
    scale = current.width / image.width
    note = (
        f"Made the image smaller ({current.width}×{current.height}, {scale:.0%}) "
        f"to fit in {_kb(max_bytes)}"
    )
    return TargetResult(data, first.quality, encodes, scale, current.size, [note])


def _png_to_target(image: Image.Image, max_bytes: int, run: _Encoder) -> TargetResult:
    """Fit a PNG: as is, then as a 256-colour palette, then palette at fewer pixels."""
    data = run(image, None)
    if len(data) <= max_bytes:
        return TargetResult(data, None, 1, size=image.size)
    notes = [f"Reduced to 256 colours to fit in {_kb(max_bytes)}"]
    current, encodes = image, 1
    while True:
        data = _encode_palette(current, run)
        encodes += 1
        if len(data) <= max_bytes or current.width * current.height <= 1:
            break
        factor = min(math.sqrt(max_bytes * 0.9 / len(data)), 0.95)
        size = (max(1, round(current.width * factor)), max(1, round(current.height * factor)))
        current = resize(image, size)
    scale = current.width / image.width
    if current is not image:
        notes.append(f"Made the image smaller ({current.width}×{current.height}, {scale:.0%})")
    return TargetResult(data, None, encodes, scale, current.size, notes)


def _encode_palette(image: Image.Image, run: _Encoder) -> bytes:
    """Quantize to 256 colours (median cut for RGB; RGBA needs Pillow's fast octree)."""
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    return run(image.quantize(256, method=method), None)


def _kb(num_bytes: int) -> str:
    return (
        f"{num_bytes / 1024:.0f} KB" if num_bytes < 1024 * 1024 else f"{num_bytes / 2**20:.1f} MB"
    )
