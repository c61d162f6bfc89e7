"""The recipe ("spec") language: parse, validate, print, describe and render image recipes.

A spec is steps joined with ``|``, each ``name-arg-arg``, in the manner of Wagtail's image
filter specs; every step is a registered class (studio.spec_steps) that checks its
arguments when parsed, and `parse` checks the steps against each other, so a bad spec
fails before any work starts. Examples: ``fill-1080x1350-smart|format-webp|targetkb-200``,
``social-x-post|crop-fp30-40``, ``fit-1200x628-pad-ffffff|format-png``.

Size steps (at most one): ``fill-WxH-smart|center|fpX-Y`` (cover crop to exactly W×H around
the subject, the centre, or a focal point X % across and Y % down), ``fit-WxH-pad-RRGGBB``
and ``fit-WxH-blur`` (the whole image inside W×H on a colour or a blurred copy), ``width-N``
and ``height-N`` (never enlarge), ``scale-P`` (percent, may enlarge up to 400 %), and
``social-FORMAT`` (a name from studio.social.SOCIAL_FORMATS: exactly the platform's size,
JPEG, or PNG when the image has transparency, never above the platform's upload limit).
Crop mode, only after a social step: ``crop-smart`` (the default), ``crop-center``,
``crop-fpX-Y``, ``crop-fit-pad-RRGGBB``, ``crop-fit-blur``.
Output: ``format-jpeg|png|webp|avif``, ``quality-N`` (1-100; with a target, the ceiling),
``targetkb-N`` (the largest quality whose file is at most N KB; ``maxbytes-8mb`` is an alias),
``progressive`` (JPEG), ``strip`` (drop EXIF and GPS, keep the colour profile).
The canonical form orders steps: size, crop, format, quality, targetkb, progressive, strip.
Rendering (`render`, `render_all`, `min_decode_size`) lives in studio.rendering and is
re-exported here, so ``from studio.specs import parse, render_all`` is all a caller needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.ai_steps import AI_PARAM_KINDS, CAPABILITIES, ModelStep, check_ai_steps
from studio.rendering import Rendition, min_decode_size, render, render_all
from studio.spec_steps import (
    REGISTRY,
    Crop,
    CropMode,
    Fill,
    Fit,
    FormatStep,
    Quality,
    Social,
    SpecError,
    Step,
    TargetKB,
    kb_text,
)

__all__ = ["Rendition", "Spec", "SpecError", "min_decode_size", "parse", "render", "render_all"]

_SIZE_NAMES = "fill, fit, width, height, scale or social"
_DEFAULT_CROP = CropMode("smart")
_AI_NAMES = (*CAPABILITIES, *AI_PARAM_KINDS)
#: Canonical order of step kinds: the AI model, size, crop, AI parameters, output.
KIND_ORDER = (
    "model", "size", "crop", *AI_PARAM_KINDS, "format", "quality", "target", "progressive", "strip",
)  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """A parsed, validated recipe: its steps in canonical order.

    str(spec) is the canonical form, and parse(str(spec)) == spec.
    """

    steps: tuple[Step, ...]

    def __str__(self) -> str:
        return "|".join(str(step) for step in self.steps)

    def step(self, kind: str) -> Step | None:
        """Return the step of a kind ("size", "crop", "format", ...) or None."""
        return next((step for step in self.steps if step.kind == kind), None)

    @property
    def model_step(self) -> ModelStep | None:
        """Return the AI model step (``generate-stability-core``...), if any."""
        step = self.step("model")
        return step if isinstance(step, ModelStep) else None

    def ai_options(self) -> dict:
        """Return the AI parameters as provider options (providers.base.ProviderRequest).

        E.g. {"aspect_ratio": "16:9", "seed": 42, "strength": 0.7, "output_format": "png"}.
        """
        options = dict(
            step.as_option()  # type: ignore[attr-defined]
            for step in self.steps
            if step.kind in AI_PARAM_KINDS
        )
        if self.format is not None:
            options["output_format"] = self.format
        return options

    @property
    def size_step(self) -> Step | None:
        """Return the fill/fit/width/height/scale/social step, if any."""
        return self.step("size")

    @property
    def social(self) -> Social | None:
        """Return the social step, if any."""
        step = self.size_step
        return step if isinstance(step, Social) else None

    @property
    def crop_mode(self) -> CropMode | None:
        """Return how a fixed frame is filled (fill, fit, social + crop), else None."""
        step = self.size_step
        if isinstance(step, Fill | Fit):
            return step.crop
        if isinstance(step, Social):
            crop = self.step("crop")
            return crop.mode if isinstance(crop, Crop) else _DEFAULT_CROP
        return None

    @property
    def uses_smart_crop(self) -> bool:
        """Return True if rendering needs the image's subject map."""
        mode = self.crop_mode
        return mode is not None and mode.mode == "smart"

    @property
    def format(self) -> str | None:
        """Return the requested output format ("jpeg", ...) or None to decide per image."""
        step = self.step("format")
        return step.format if isinstance(step, FormatStep) else None

    @property
    def quality(self) -> int | None:
        """Return the requested quality (1-100) or None."""
        step = self.step("quality")
        return step.value if isinstance(step, Quality) else None

    @property
    def max_bytes(self) -> int | None:
        """Return the file-size budget in bytes: targetkb, capped by a social platform's limit."""
        step = self.step("target")
        target = step.max_bytes if isinstance(step, TargetKB) else None
        if (social := self.social) is not None:
            return min(target or social.format.max_bytes, social.format.max_bytes)
        return target

    @property
    def progressive(self) -> bool:
        """Return True if a JPEG output should be progressive."""
        return self.step("progressive") is not None

    @property
    def strip(self) -> bool:
        """Return True if EXIF (and GPS) must be dropped."""
        return self.step("strip") is not None

    def slug(self) -> str:
        """Return the canonical form made safe for a file name ("|" becomes "_")."""
        return str(self).replace("|", "_")

    def describe(self) -> str:
        """Return the recipe in plain English, e.g.

        "Crop to 1080×1350 around the subject, save as WebP at most 200 KB".
        """
        clauses: list[str] = []
        if (model := self.model_step) is not None:
            clauses.append(model.describe())
            clauses += [step.describe() for step in self.steps if step.kind in AI_PARAM_KINDS]
        if (size := self.size_step) is not None:
            clauses.append(size.describe())
        if self.social is not None:
            crop = self.step("crop") or Crop(_DEFAULT_CROP)
            clauses.append(crop.describe())
        if output := self._describe_output():
            clauses.append(output)
        text = ", ".join(clauses)
        return text[:1].upper() + text[1:]

    def _has_output_steps(self) -> bool:
        return any(step.kind in KIND_ORDER[KIND_ORDER.index("format") :] for step in self.steps)

    def _describe_output(self) -> str:
        fmt = self.step("format")
        if fmt is not None:
            head = fmt.describe()
        elif self.social is not None:
            head = "save as JPEG (PNG if it has transparency)"
        elif self._has_output_steps():
            head = "keep the file format"
        else:
            return ""
        quality = self.step("quality")
        if quality is not None:
            head += f" {quality.describe()}"
        parts = [head]
        if (max_bytes := self.max_bytes) is not None:
            limit = f"at most {kb_text(max_bytes // 1024)}"
            if head.startswith("save") and quality is None:
                parts[0] += f" {limit}"  # "save as WebP at most 200 KB"
            else:
                parts.append(limit)
        parts += [step.describe() for step in self.steps if step.kind in ("progressive", "strip")]
        return ", ".join(parts)


def parse(spec: str) -> Spec:
    """Parse a recipe like "fill-1080x1350-smart|format-webp|targetkb-200".

    Steps may come in any order and any letter case; the result is canonical. Raises
    SpecError naming the bad step and what is allowed, for unknown or malformed steps,
    two steps of one kind, and combinations that contradict each other.
    """
    text = spec.strip()
    if not text:
        raise SpecError(f"The recipe is empty. Start with a size step ({_SIZE_NAMES}).")
    steps: list[Step] = []
    for raw in text.split("|"):
        raw = raw.strip().lower()
        if not raw:
            raise SpecError(
                "The recipe has an empty step: remove the extra '|' "
                "(steps are joined with a single '|')."
            )
        name, _, args = raw.partition("-")
        step_class = REGISTRY.get(name)
        if step_class is None:
            image = sorted(n for n in REGISTRY if n not in _AI_NAMES)
            raise SpecError(
                f"'{raw}' is not a step we know. Steps are: {', '.join(image)}; AI steps are "
                f"CAPABILITY-PROVIDER-MODEL ({', '.join(CAPABILITIES)}) with "
                f"{', '.join(AI_PARAM_KINDS)}."
            )
        steps.append(step_class.parse(args))
    steps.sort(key=lambda step: KIND_ORDER.index(step.kind))
    _check(steps)
    return Spec(tuple(steps))


def _check(steps: list[Step]) -> None:
    """Refuse repeated kinds and steps that contradict each other."""
    for first, second in zip(steps, steps[1:], strict=False):
        if first.kind == second.kind:
            what = f"size step ({_SIZE_NAMES})" if first.kind == "size" else f"{first.name} step"
            raise SpecError(
                f"'{first}' and '{second}' contradict each other: a recipe can have "
                f"only one {what}."
            )
    by_kind = {step.kind: step for step in steps}
    check_ai_steps(by_kind)
    size, fmt = by_kind.get("size"), by_kind.get("format")
    if "crop" in by_kind and not isinstance(size, Social):
        raise SpecError(
            f"'{by_kind['crop']}' only goes with a social step, e.g. social-x-post|crop-center; "
            "for other sizes use fill-WIDTHxHEIGHT-center or fit-WIDTHxHEIGHT-pad-RRGGBB."
        )
    if isinstance(fmt, FormatStep) and fmt.format == "png" and "quality" in by_kind:
        raise SpecError(
            f"'{by_kind['quality']}' does not apply to PNG, which is lossless: remove it, "
            "or choose format-jpeg, format-webp or format-avif."
        )
    if isinstance(fmt, FormatStep) and fmt.format != "jpeg" and "progressive" in by_kind:
        raise SpecError(f"'progressive' applies only to JPEG, not to '{fmt}': remove one of them.")
    if isinstance(size, Social):
        social = size.format
        if isinstance(fmt, FormatStep) and fmt.format not in ("jpeg", "png"):
            raise SpecError(
                f"'{size}' is saved as JPEG or PNG, which {social.platform_label} accepts; "
                f"'{fmt}' is not allowed there. Use format-jpeg or format-png."
            )
        target = by_kind.get("target")
        if isinstance(target, TargetKB) and target.max_bytes > social.max_bytes:
            raise SpecError(
                f"'{target}' is above {social.platform_label}'s upload limit of "
                f"{kb_text(social.max_bytes // 1024)}; the social step already keeps files "
                "under that limit, so remove it or choose a smaller target."
            )
