"""Previews shown before a job runs: the crop box and safe zone, and compression estimates."""

from __future__ import annotations

import dataclasses
import io
import math

from django import forms
from django.conf import settings

from assets.models import Asset
from studio.forms import CROP_MODES
from studio.imaging.encode import TARGET_MAX_QUALITY, TARGET_MIN_QUALITY
from studio.imaging.errors import ImageError
from studio.imaging.load import decode
from studio.imaging.smartcrop import analyse
from studio.social import SOCIAL_FORMATS
from studio.specs import SpecError, parse, render

# Longest side of the sample encoded for a compression estimate, and the factor between the two
# sample sizes used to extrapolate bytes per pixel to the full size.
SAMPLE_LONG_SIDE = 768
SAMPLE_STEP = 2


class PreviewForm(forms.Form):
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), to_field_name="code")
    format = forms.ChoiceField(choices=[(name, name) for name in SOCIAL_FORMATS])
    crop_mode = forms.ChoiceField(choices=CROP_MODES, required=False)
    focal_x = forms.FloatField(min_value=0, max_value=100, required=False)
    focal_y = forms.FloatField(min_value=0, max_value=100, required=False)

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.for_workspace(workspace).usable()


def _pct(value: float, whole: float) -> float:
    return round(100 * value / whole, 3)


def crop_preview(*, asset: Asset, format: str, crop_mode: str, focal_x, focal_y) -> dict:
    """Return the crop box, the safe zone and detected subjects in percent of the image.

    Works on the asset's thumbnail (already oriented and small), so a preview costs one small
    decode and one subject analysis. Returns {"pending": True} until the thumbnail exists.
    """
    fmt = SOCIAL_FORMATS[format]
    if not asset.thumbnail:
        return {"pending": True, "asset": asset, "format": fmt}
    with asset.thumbnail.open("rb") as fp:
        image = decode(io.BytesIO(fp.read()), max_pixels=settings.STUDIO_MAX_PIXELS).image
    width, height = image.size
    subject_map = analyse(image)
    if crop_mode in ("fit-pad", "fit-blur"):
        # The whole image is kept; the frame around it is the output, bars fill the rest.
        scale = min(fmt.width / width, fmt.height / height)
        frame_w, frame_h = fmt.width / scale, fmt.height / scale
        left, top = (width - frame_w) / 2, (height - frame_h) / 2
        box = (left, top, left + frame_w, top + frame_h)
    else:
        focal = (
            (focal_x, focal_y)
            if crop_mode == "focal" and focal_x is not None and focal_y is not None
            else None
        )
        if crop_mode == "center":
            focal = (50.0, 50.0)
        box = subject_map.crop_box(fmt.width, fmt.height, focal=focal)
    bw, bh = box[2] - box[0], box[3] - box[1]
    top_f, bottom_f, left_f, right_f = fmt.safe_zone
    safe = (
        box[0] + bw * left_f,
        box[1] + bh * top_f,
        box[2] - bw * right_f,
        box[3] - bh * bottom_f,
    )

    def rect(b) -> dict:
        return {
            "left": _pct(b[0], width),
            "top": _pct(b[1], height),
            "width": _pct(b[2] - b[0], width),
            "height": _pct(b[3] - b[1], height),
        }

    return {
        "asset": asset,
        "format": fmt,
        "crop_mode": crop_mode,
        "crop": rect(box),
        "safe": rect(safe),
        "subjects": [{"kind": s.kind, **rect(s.box)} for s in getattr(subject_map, "subjects", [])],
        "focal": {"x": focal_x, "y": focal_y}
        if crop_mode == "focal" and focal_x is not None
        else None,
    }


def _percent(fraction: float) -> int:
    """Return a fraction as a whole percent, at least 1 and at most 99 (it is not all)."""
    return min(99, max(1, round(100 * fraction)))


def _without_target(spec_text: str) -> str:
    return "|".join(step for step in spec_text.split("|") if not step.startswith("targetkb-"))


@dataclasses.dataclass(frozen=True)
class _SizeCurve:
    """Encoded bytes as a power of pixels: bytes(px) = bpp * (pixels / px) ** exponent * px."""

    bpp: float  # bytes per pixel of the sample of ``pixels`` pixels
    pixels: int
    exponent: float

    def bytes_at(self, px: float) -> float:
        return self.bpp * (self.pixels / px) ** self.exponent * px


def _size_curve(decoded, spec_text: str) -> _SizeCurve:
    """Return the encoded size of the image as a function of its pixel count.

    Bytes per pixel grow as an image is downscaled (more detail per pixel), roughly as a power
    of the scale; two samples a factor SAMPLE_STEP apart give that power.
    """
    spec = parse(_without_target(spec_text))
    image = decoded.image
    scale = min(1.0, SAMPLE_LONG_SIDE / max(image.size))
    samples = []
    for factor in (1, SAMPLE_STEP):
        size = (
            max(1, round(image.width * scale / factor)),
            max(1, round(image.height * scale / factor)),
        )
        sample = dataclasses.replace(decoded, image=image.resize(size))
        samples.append((size[0] * size[1], len(render(sample, spec).data)))
    (px1, b1), (px2, b2) = samples
    bpp1, bpp2 = b1 / px1, b2 / px2
    exponent = math.log(bpp2 / bpp1) / math.log(px1 / px2) if bpp1 > 0 and bpp2 > bpp1 else 0.0
    return _SizeCurve(bpp=bpp1, pixels=px1, exponent=exponent)


def estimate_bytes(decoded, spec_text: str) -> int:
    """Estimate the encoded size of the full image by encoding two downscaled samples.

    The samples' bytes per pixel are extrapolated to the full pixel count (``_size_curve``).
    ``decoded`` may itself be a draft (reduced) decode.
    """
    full_px = decoded.info.width * decoded.info.height
    return round(_size_curve(decoded, spec_text).bytes_at(full_px))


def _at_floor_quality(spec_text: str) -> str | None:
    """Return the spec at the lowest quality a target-size search may use (None for PNG).

    Mirrors studio.imaging.encode.encode_to_target: the search goes from the asked quality
    down to TARGET_MIN_QUALITY, and only below that does it shrink the pixels.
    """
    spec = parse(_without_target(spec_text))
    if spec.format == "png":
        return None
    ceiling = spec.quality if spec.quality is not None else TARGET_MAX_QUALITY
    floor = min(TARGET_MIN_QUALITY, ceiling)
    steps = [step for step in str(spec).split("|") if step and not step.startswith("quality-")]
    return "|".join([*steps, f"quality-{floor}"])


def shrink_fraction(decoded, spec_text: str, max_bytes: int) -> float | None:
    """Return the fraction of its pixels (0-1) an image keeps to fit max_bytes, None if all.

    A target-size job first lowers the quality to TARGET_MIN_QUALITY; only a file still too
    large is resized, by bytes per pixel, to about 90 % of the budget (encode._shrink_to_target).
    PNG is first reduced to 256 colours, which is not estimated: None.
    """
    floor_spec = _at_floor_quality(spec_text)
    if floor_spec is None:
        return None
    full_px = decoded.info.width * decoded.info.height
    curve = _size_curve(decoded, floor_spec)
    at_full = curve.bytes_at(full_px)
    if at_full <= max_bytes:
        return None
    # Solve bytes_at(f * full_px) = 0.9 * max_bytes: bytes grow as px ** (1 - exponent).
    exponent = min(curve.exponent, 0.9)
    fraction = (0.9 * max_bytes / at_full) ** (1 / (1 - exponent))
    return max(min(fraction, 1.0), 1 / full_px)


def compression_estimates(assets: list[Asset], spec_text: str) -> list[dict]:
    """Return, per asset, {asset, before, after, saved_percent, capped, shrink_percent}.

    shrink_percent: the percent of its pixels the image will keep to fit the target size
    (None when it is not resized); {asset, error} for an image that cannot be estimated.
    """
    results = []
    try:
        target = next(
            (
                int(step.split("-")[1]) * 1024
                for step in spec_text.split("|")
                if step.startswith("targetkb-")
            ),
            None,
        )
        parse(spec_text)
    except SpecError as exc:
        return [{"asset": asset, "error": str(exc)} for asset in assets]
    for asset in assets:
        try:
            with asset.file.open("rb") as fp:
                decoded = decode(
                    io.BytesIO(fp.read()),
                    max_pixels=settings.STUDIO_MAX_PIXELS,
                    min_size=(SAMPLE_LONG_SIDE, SAMPLE_LONG_SIDE),
                    # The web process decodes within its budget (assets.checks); a heavier
                    # file gets no estimate rather than a 1 GB decode here.
                    max_bytes=settings.STUDIO_UPLOAD_DECODE_BUDGET_BYTES,
                )
            after = estimate_bytes(decoded, spec_text)
            shrink = (
                shrink_fraction(decoded, spec_text, target)
                if target is not None and after > target
                else None
            )
        except ImageError as exc:
            results.append({"asset": asset, "error": str(exc)})
            continue
        if target is not None:
            after = min(after, target)
        results.append(
            {
                "asset": asset,
                "before": asset.bytes,
                "after": after,
                "saved_percent": round(100 * (1 - after / asset.bytes)) if asset.bytes else 0,
                "capped": target is not None and after == target,
                # Percent of its pixels the image keeps (None: not resized), e.g. 42.
                "shrink_percent": _percent(shrink) if shrink is not None else None,
            }
        )
    return results
