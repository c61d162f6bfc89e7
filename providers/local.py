"""The "local" provider: AI-studio operations that run on this machine, with no key and no cost.

Models (ProviderRequest.model):

- "upscale/lanczos": enlarge ``request.image`` with Lanczos and a factor-tuned unsharp mask
  (studio.imaging.upscale). Options: ``factor`` 2, 3 or 4 (default 2), or a target ``width``
  and/or ``height`` in pixels instead (the image is enlarged, keeping its aspect ratio, to
  the largest size within them); ``output_format``.
- "edit/erase": remove what ``request.mask`` paints white from ``request.image`` by filling it
  from its surroundings (OpenCV Telea inpainting, studio.imaging.inpaint). Options:
  ``grow_mask`` (pixels the mask is grown by, 0-100, default 5), ``output_format``.

Output: PNG when the input has transparency (it would be lost otherwise), else
``output_format`` ("png", "jpeg", "webp" or "avif"; default "png", lossless like the input
pixels deserve). Inputs are decoded safely by studio.imaging.load.decode (pixel limit,
upright by EXIF orientation, 8-bit sRGB); the result carries the sRGB profile and no EXIF.
The pixel limit, for inputs and results alike, is settings.STUDIO_MAX_PIXELS.

Work is synchronous, so the Checkpoint is not used: there is no prediction to resume.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any, Final, cast

from PIL import Image

from providers.base import (
    Checkpoint,
    InputRejected,
    ProviderConfig,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderUnavailable,
)
from studio.imaging.encode import FORMATS, MIME_TYPES, Format, encode
from studio.imaging.errors import ImageError
from studio.imaging.inpaint import DEFAULT_GROW, erase_region
from studio.imaging.load import Decoded, decode
from studio.imaging.upscale import DEFAULT_MAX_PIXELS, UpscaleTooLarge, upscale

logger = logging.getLogger(__name__)

UPSCALE_MODEL: Final = "upscale/lanczos"
ERASE_MODEL: Final = "edit/erase"
MODELS: Final = (UPSCALE_MODEL, ERASE_MODEL)

#: The factors offered: beyond 4× Lanczos only enlarges blur (benchmarks in upscale.py show
#: the round-trip PSNR falling 2 dB per step), and 2-4 is what hosted upscalers offer too.
FACTORS: Final = (2, 3, 4)
DEFAULT_FACTOR: Final = 2
#: The default output format: lossless, so an enlargement adds no compression artefacts.
DEFAULT_FORMAT: Final[Format] = "png"
#: grow_mask range accepted; Stability's Erase API allows 0-20, we allow more for big photos.
MAX_GROW: Final = 100


class LocalAdapter:
    """Run "upscale/lanczos" and "edit/erase" in-process; see the module docstring."""

    name = "local"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def run(self, request: ProviderRequest, checkpoint: Checkpoint) -> ProviderOutput:
        """Return the model's output as encoded bytes; raise only ProviderError subclasses.

        InputRejected for anything the user can change (a missing, damaged or too-large
        image, an empty mask, a bad option, a result over the pixel limit);
        ProviderUnavailable for an unexpected failure of the image code itself.
        """
        try:
            if request.model == UPSCALE_MODEL:
                return self._upscale(request)
            if request.model == ERASE_MODEL:
                return self._erase(request)
        except ProviderError:
            raise
        except ImageError as exc:
            raise InputRejected(str(exc)) from exc
        except MemoryError as exc:
            raise InputRejected(
                "This image is too large to process here. Try a smaller image or factor."
            ) from exc
        except Exception as exc:  # the contract: nothing but ProviderError leaves run()
            logger.exception("local %s failed", request.model)
            raise ProviderUnavailable(
                "The image tool failed unexpectedly. Try again; if it fails again, "
                "try another image or contact support."
            ) from exc
        raise InputRejected(
            f"This tool ({request.model}) is not available on this server. Choose another one."
        )

    def _upscale(self, request: ProviderRequest) -> ProviderOutput:
        max_pixels = _max_pixels()
        source = _decode(request.image, "image to enlarge", max_pixels)
        width, height = source.image.size
        factor, target = _upscale_factor(request.options, (width, height))
        try:
            result = upscale(source.image, factor, max_pixels=max_pixels)
        except UpscaleTooLarge as exc:
            raise InputRejected(
                f"The result would be {exc.megapixels:.1f} megapixels; the limit is "
                f"{exc.limit:g} megapixels. "
                + ("Choose a smaller size." if target else "Choose a smaller factor.")
            ) from exc
        data, media_type = _encode(result, source, request.options)
        return ProviderOutput(
            data=data,
            media_type=media_type,
            finish_reason="SUCCESS",
            details={
                "factor": round(factor, 4),
                "width": result.width,
                "height": result.height,
                "source_width": width,
                "source_height": height,
                "notes": list(source.notes),
            },
        )

    def _erase(self, request: ProviderRequest) -> ProviderOutput:
        max_pixels = _max_pixels()
        source = _decode(request.image, "image to erase from", max_pixels)
        if not request.mask:
            raise InputRejected("Paint over what you want to erase, then try again.")
        mask = _decode(request.mask, "mask", max_pixels)
        grow = _int_option(request.options, "grow_mask", DEFAULT_GROW, 0, MAX_GROW)
        result = erase_region(source.image, mask.image, grow=grow)
        data, media_type = _encode(result.image, source, request.options)
        return ProviderOutput(
            data=data,
            media_type=media_type,
            finish_reason="SUCCESS",
            details={
                "width": result.image.width,
                "height": result.image.height,
                "mask_coverage": round(result.coverage, 4),
                "working_width": result.working_size[0],
                "working_height": result.working_size[1],
                "notes": list(source.notes),
            },
        )


def _max_pixels() -> int:
    """Return settings.STUDIO_MAX_PIXELS, or the studio's default outside Django."""
    from django.conf import settings

    if not settings.configured:
        return DEFAULT_MAX_PIXELS
    return int(getattr(settings, "STUDIO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _decode(data: bytes | None, what: str, max_pixels: int) -> Decoded:
    """Decode an input file (upright 8-bit sRGB); InputRejected when missing or unreadable."""
    if not data:
        raise InputRejected(f"Choose an {what}." if what[0] in "aeiou" else f"Choose a {what}.")
    try:
        return decode(io.BytesIO(data), max_pixels=max_pixels)
    except ImageError as exc:
        prefix = "The mask: " if what == "mask" else ""
        raise InputRejected(prefix + str(exc)) from exc


def _upscale_factor(options: Mapping[str, Any], size: tuple[int, int]) -> tuple[float, bool]:
    """Return (factor, whether it came from a target size) from the request options.

    A target width and/or height (pixels) wins over factor: it is the more specific request.
    With both, the image is fitted inside them. The target must be larger than the image.
    """
    width, height = size
    target_w = _int_option(options, "width", None, 1, None)
    target_h = _int_option(options, "height", None, 1, None)
    if target_w is None and target_h is None:
        factor = _int_option(options, "factor", DEFAULT_FACTOR, None, None)
        if factor not in FACTORS:
            raise InputRejected("Choose an upscale factor of 2, 3 or 4.")
        return float(factor), False
    factors = [t / s for t, s in ((target_w, width), (target_h, height)) if t is not None]
    factor = min(factors)
    if factor <= 1:
        raise InputRejected(
            f"The image is already {width}×{height} pixels, as large as the size you chose. "
            "Choose a larger size."
        )
    return factor, True


def _int_option(
    options: Mapping[str, Any], key: str, default: int | None, low: int | None, high: int | None
) -> int | None:
    """Return options[key] as an int within [low, high], default when absent or None."""
    value = options.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
        if isinstance(value, bool) or number != float(value):
            raise ValueError(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputRejected(f"The {key.replace('_', ' ')} must be a whole number.") from exc
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise InputRejected(f"The {key.replace('_', ' ')} must be {bounds}.")
    return number


def _encode(image: Image.Image, source: Decoded, options: Mapping[str, Any]) -> tuple[bytes, str]:
    """Encode the result: PNG when it has alpha, else output_format (default PNG)."""
    requested = str(options.get("output_format") or DEFAULT_FORMAT).lower()
    if requested == "jpg":
        requested = "jpeg"
    if requested not in FORMATS:
        raise InputRejected("Choose PNG, JPEG, WebP or AVIF as the output format.")
    fmt = cast(Format, "png" if image.mode in ("RGBA", "LA") else requested)
    return encode(image, format=fmt, icc_profile=source.icc_profile), MIME_TYPES[fmt]
