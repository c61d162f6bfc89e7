"""Render parsed specs: plan the geometry, share it between specs, encode each output.

`render_all` is the efficient path for many specs on one file: decode once (shrunk on
load to the largest size any spec needs), analyse the subject once and only if a spec
crops smartly, resample each distinct geometry once, and run the groups on a small thread
pool (Pillow releases the GIL while resampling and encoding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Final

from PIL import Image

from studio.imaging import geometry
from studio.imaging.encode import (
    DEFAULT_QUALITY,
    EXTENSIONS,
    MIME_TYPES,
    Format,
    encode,
    encode_to_target,
)
from studio.imaging.errors import ImageError
from studio.imaging.load import Decoded, ImageInfo, decode, probe
from studio.imaging.smartcrop import SubjectMap, analyse
from studio.spec_steps import Fill, Fit, Height, Scale, Social, Width

if TYPE_CHECKING:
    from studio.specs import Spec

#: Largest output, 50 MP: above every platform format (the largest is 3.7 MP) and keeps
#: one RGBA rendition under 200 MB of memory.
MAX_OUTPUT_PIXELS: Final = 50_000_000
#: Shrink-on-load keeps at least 1.5× the pixels per side that the output needs: at 1.0×
#: the DCT-scaled decode costs up to 12 dB of PSNR against a full-size Lanczos reference,
#: at 1.5× none measurable (>= 54 dB on corpus/camera/jolla.jpg; BENCHMARKS.md).
DRAFT_MARGIN: Final = 1.5
#: Worker threads in render_all: the production CPU queue runs on 2 cores, and each worker
#: holds one output image, so more threads add memory and no speed.
RENDER_THREADS: Final = 2


@dataclass
class Rendition:
    """One rendered output: the file's bytes and what a caller stores or shows about it.

    width, height: pixels. format: "jpeg" | "png" | "webp" | "avif". encodes: how many
    times the image was encoded (more than 1 only for a file-size budget). quality: the
    quality used, None for PNG. notes: remarks for the user.
    """

    data: bytes
    width: int
    height: int
    format: Format
    mime_type: str
    extension: str
    notes: list[str] = field(default_factory=list)
    encodes: int = 1
    quality: int | None = None
    spec: str = ""


@dataclass(frozen=True)
class _Plan:
    """The geometry of one output: equal plans give equal pixels, so they are shared."""

    op: str  # "keep" | "resample" | "pad" | "blur"
    size: tuple[int, int]
    box: geometry.Box | None = None
    colour: geometry.RGB | None = None
    note: str | None = None


def render(decoded: Decoded, spec: Spec, *, subject_map: SubjectMap | None = None) -> Rendition:
    """Render one spec from a decoded image.

    subject_map: the image's analysis if the caller has it; computed here when the spec
    crops smartly and none is given. Raises ImageError if the output would exceed
    MAX_OUTPUT_PIXELS.
    """
    if subject_map is None and spec.uses_smart_crop:
        subject_map = analyse(decoded.image)
    plan = _plan(spec, decoded.image.size, subject_map)
    return _encode(decoded, spec, _apply(plan, decoded.image), plan)


def render_all(
    fp: IO[bytes],
    specs: Sequence[Spec],
    *,
    max_pixels: int,
    max_decode_bytes: int | None = None,
) -> list[Rendition]:
    """Decode a file once and render every spec from it; results are in specs' order.

    max_decode_bytes: the decode's memory budget (studio.imaging.budget), None for none.
    Raises ImageError when the file is refused (see studio.imaging.load.decode), its decode
    is over budget, or an output would be too large.
    """
    info = probe(fp, max_pixels=max_pixels)
    fp.seek(0)
    decoded = decode(
        fp, max_pixels=max_pixels, min_size=_largest_need(specs, info), max_bytes=max_decode_bytes
    )
    subject_map = analyse(decoded.image) if any(s.uses_smart_crop for s in specs) else None
    groups: dict[_Plan, list[int]] = {}
    for index, spec in enumerate(specs):
        groups.setdefault(_plan(spec, decoded.image.size, subject_map), []).append(index)
    results: list[Rendition | None] = [None] * len(specs)

    def run(plan: _Plan, indexes: list[int]) -> None:
        image = _apply(plan, decoded.image)
        for index in indexes:
            results[index] = _encode(decoded, specs[index], image, plan)

    workers = min(RENDER_THREADS, len(groups))
    if workers <= 1:
        for plan, indexes in groups.items():
            run(plan, indexes)
    else:
        # Largest outputs first, so the last group to finish is a short one.
        order = sorted(groups.items(), key=lambda item: -item[0].size[0] * item[0].size[1])
        with ThreadPoolExecutor(workers, thread_name_prefix="render") as pool:
            for future in [pool.submit(run, plan, indexes) for plan, indexes in order]:
                future.result()
    return [result for result in results if result is not None]


def min_decode_size(spec: Spec, source_size: tuple[int, int]) -> tuple[int, int] | None:
    """Return the smallest upright decode size that serves spec, or None for full size.

    The size keeps DRAFT_MARGIN× the pixels per side the output needs, so shrink-on-load
    never costs visible quality. None when the spec needs (nearly) every source pixel.
    """
    src_w, src_h = source_size
    scale = _needed_scale(spec, source_size) * DRAFT_MARGIN
    if scale >= 1:
        return None
    # round() first: 4000 * 0.1 * 1.5 is 600.0000000000001 in binary floating point.
    return (
        min(src_w, math.ceil(round(src_w * scale, 6))),
        min(src_h, math.ceil(round(src_h * scale, 6))),
    )


def _needed_scale(spec: Spec, source: tuple[int, int]) -> float:
    """Return output pixels per source pixel (1.0 or more means: use every source pixel)."""
    src_w, src_h = source
    step, mode = spec.size_step, spec.crop_mode
    if isinstance(step, Fill | Fit | Social):
        out_w, out_h = step.format.size if isinstance(step, Social) else step.size
        if mode is not None and mode.mode in ("pad", "blur"):
            return min(out_w / src_w, out_h / src_h)
        return max(out_w / src_w, out_h / src_h)  # the largest box of the output's aspect
    if isinstance(step, Width):
        return step.value / src_w
    if isinstance(step, Height):
        return step.value / src_h
    if isinstance(step, Scale):
        return step.value / 100
    return 1.0


def _largest_need(specs: Sequence[Spec], info: ImageInfo) -> tuple[int, int] | None:
    needs = [min_decode_size(spec, info.size) for spec in specs]
    if not needs or any(need is None for need in needs):
        return None
    return (max(n[0] for n in needs if n), max(n[1] for n in needs if n))


def _plan(spec: Spec, size: tuple[int, int], subject_map: SubjectMap | None) -> _Plan:
    """Work out the geometry of spec on an image of size (width, height)."""
    step, mode = spec.size_step, spec.crop_mode
    if isinstance(step, Fill | Fit | Social):
        out = step.format.size if isinstance(step, Social) else step.size
        assert mode is not None
        if mode.mode == "pad":
            plan = _Plan("pad", out, colour=mode.rgb)
        elif mode.mode == "blur":
            plan = _Plan("blur", out)
        else:
            plan = _Plan(
                "resample", out, box=_crop_box(mode.mode, mode.focal, size, out, subject_map)
            )
        return _checked(_with_enlarge_note(plan, size))
    if isinstance(step, Width | Height) and (
        step.value >= (size[0] if isinstance(step, Width) else size[1])
    ):
        return _Plan("keep", size, note="Kept the original size: the image is already smaller")
    if isinstance(step, Width):
        return _checked(_Plan("resample", geometry.scaled_size(size, width=step.value)))
    if isinstance(step, Height):
        return _checked(_Plan("resample", geometry.scaled_size(size, height=step.value)))
    if isinstance(step, Scale) and step.value != 100:
        return _checked(_Plan("resample", geometry.scaled_size(size, percent=step.value)))
    return _Plan("keep", size)


def _crop_box(
    mode: str,
    focal: tuple[int, int] | None,
    size: tuple[int, int],
    out: tuple[int, int],
    subject_map: SubjectMap | None,
) -> geometry.Box:
    if mode == "smart":
        if subject_map is None:
            raise ValueError("smart crop needs the subject map")
        divisor = math.gcd(*out)
        box = subject_map.crop_box(out[0] // divisor, out[1] // divisor)
        return geometry.box_to_aspect(box, out)
    centre = (float(focal[0]), float(focal[1])) if focal else geometry.CENTRE
    return geometry.cover_box(size, out, focal=centre)


def _with_enlarge_note(plan: _Plan, source: tuple[int, int]) -> _Plan:
    """Add a note when the output has more pixels per side than the region it shows."""
    if plan.box is not None:
        region_w, shown_w = plan.box[2] - plan.box[0], plan.size[0]
    else:
        region_w, shown_w = source[0], geometry.contain_size(source, plan.size)[0]
    if shown_w <= region_w * 1.01:  # 1 % slack: rounding is not enlarging
        return plan
    note = "The image was enlarged to fill the size, so it may look soft"
    return _Plan(plan.op, plan.size, plan.box, plan.colour, note)


def _checked(plan: _Plan) -> _Plan:
    width, height = plan.size
    if width * height > MAX_OUTPUT_PIXELS:
        raise ImageError(
            f"The result would be {width}×{height} pixels; the largest we make is "
            f"{MAX_OUTPUT_PIXELS // 1_000_000} MP. Choose a smaller size."
        )
    return plan


def _apply(plan: _Plan, image: Image.Image) -> Image.Image:
    if plan.op == "keep":
        return image
    if plan.op == "pad":
        assert plan.colour is not None
        return geometry.fit_pad(image, plan.size, plan.colour)
    if plan.op == "blur":
        return geometry.fit_blur(image, plan.size)
    return geometry.resize(image, plan.size, box=plan.box)


def _output_format(spec: Spec, image: Image.Image, info: ImageInfo) -> Format:
    """Return the spec's format, else PNG for transparency, else the source's or JPEG."""
    if spec.format is not None:
        return spec.format  # type: ignore[return-value]
    transparent = image.mode == "RGBA"
    if spec.social is not None:
        return "png" if transparent else "jpeg"
    source = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}.get(info.format)
    if source is not None and not (source == "jpeg" and transparent):
        return source  # type: ignore[return-value]
    return "png" if transparent else "jpeg"


def _encode(decoded: Decoded, spec: Spec, image: Image.Image, plan: _Plan) -> Rendition:
    fmt = _output_format(spec, image, decoded.info)
    notes = [*decoded.notes, *([plan.note] if plan.note else [])]
    if fmt == "jpeg" and image.mode == "RGBA":
        notes.append("JPEG has no transparency: transparent areas were filled with white")
    if spec.progressive and fmt != "jpeg":
        notes.append("Progressive applies only to JPEG, so it was not used")
    quality = spec.quality
    if quality is None and spec.social is not None and fmt != "png":
        quality = DEFAULT_QUALITY[fmt]  # the platform's limit is a ceiling, not a target
    progressive = spec.progressive and fmt == "jpeg"
    exif = None if spec.strip else decoded.exif
    if (max_bytes := spec.max_bytes) is not None:
        result = encode_to_target(
            image,
            max_bytes=max_bytes,
            format=fmt,
            quality=quality,
            progressive=progressive,
            strip=spec.strip,
            icc_profile=decoded.icc_profile,
            exif=exif,
        )
        data, encodes, used, (width, height) = (
            result.data,
            result.encodes,
            result.quality,
            result.size,
        )
        notes += result.notes
    else:
        data = encode(
            image,
            format=fmt,
            quality=quality,
            progressive=progressive,
            strip=spec.strip,
            icc_profile=decoded.icc_profile,
            exif=exif,
        )
        encodes, (width, height) = 1, image.size
        used = None if fmt == "png" else quality or DEFAULT_QUALITY[fmt]
    return Rendition(
        data=data,
        width=width,
        height=height,
        format=fmt,
        mime_type=MIME_TYPES[fmt],
        extension=EXTENSIONS[fmt],
        notes=notes,
        encodes=encodes,
        quality=used,
        spec=str(spec),
    )
