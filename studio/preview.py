"""Previews shown before a job runs: the crop box and safe zone, and compression estimates."""

from __future__ import annotations

import dataclasses
import io
import math

from django import forms
from django.conf import settings

from assets.models import Asset
from studio.forms import CROP_MODES
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


def _without_target(spec_text: str) -> str:
    return "|".join(step for step in spec_text.split("|") if not step.startswith("targetkb-"))


def estimate_bytes(decoded, spec_text: str) -> int:
    """Estimate the encoded size of the full image by encoding two downscaled samples.

    Bytes per pixel grow as an image is downscaled (more detail per pixel), roughly as a power
    of the scale; two samples a factor SAMPLE_STEP apart give that power, which is extrapolated
    to the full pixel count. ``decoded`` may itself be a draft (reduced) decode.
    """
    spec = parse(_without_target(spec_text))
    full_w, full_h = decoded.info.width, decoded.info.height
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
    full_px = full_w * full_h
    return round(bpp1 * (px1 / full_px) ** exponent * full_px)


def compression_estimates(assets: list[Asset], spec_text: str) -> list[dict]:
    """Return, per asset, {asset, before, after, saved_percent} or {asset, error}."""
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
            }
        )
    return results
