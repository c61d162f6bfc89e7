"""The steps of the recipe ("spec") language, each a registered class that checks its arguments.

In the manner of Wagtail's image operations (wagtail/images/image_operations.py): parsing a
step validates it, so a bad spec fails before any work starts. The grammar, the canonical
order and the checks between steps are in studio.specs, which is the module to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Final

from studio.imaging.encode import FORMATS, Format
from studio.social import SOCIAL_FORMATS, SocialFormat

MAX_SIDE: Final = 10_000
#: Largest scale-P: enlarging beyond 4× only invents blur.
MAX_SCALE_PERCENT: Final = 400
#: Largest targetkb-N: 100 MB, above any platform's upload limit (studio.social).
MAX_TARGET_KB: Final = 100 * 1024
_FORMAT_LABELS: Final = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "avif": "AVIF"}


class SpecError(ValueError):
    """A recipe was refused; str() names the bad step and what is allowed instead."""


@dataclass(frozen=True)
class Step:
    """One parsed, validated step. Subclasses set name, kind and usage and implement parse."""

    name: ClassVar[str]
    #: Steps of the same kind exclude each other; kinds also fix the canonical order.
    kind: ClassVar[str]
    usage: ClassVar[str]

    @classmethod
    def parse(cls, args: str) -> Step:
        """Return the step for the text after "name-" (may be ""); raise SpecError if bad."""
        raise NotImplementedError

    def describe(self) -> str:
        """Return the step in plain English, starting lower-case."""
        raise NotImplementedError

    @classmethod
    def refuse(cls, text: str, why: str = "") -> SpecError:
        """Return the SpecError for a malformed step, quoting its usage."""
        reason = f" {why}" if why else ""
        return SpecError(f"'{text}' is not a valid {cls.name} step.{reason} Use {cls.usage}.")


REGISTRY: dict[str, type[Step]] = {}


def register[S: type[Step]](cls: S) -> S:
    """Register a step class under its name (class decorator)."""
    REGISTRY[cls.name] = cls
    return cls


# --- argument helpers -------------------------------------------------------------------

_SIZE_RE: Final = re.compile(r"(\d{1,6})x(\d{1,6})")
_FOCAL_RE: Final = re.compile(r"fp(\d{1,3})-(\d{1,3})")
_HEX_RE: Final = re.compile(r"[0-9a-fA-F]{6}")


def _size(cls: type[Step], text: str, arg: str) -> tuple[int, int]:
    match = _SIZE_RE.fullmatch(arg)
    if not match:
        raise cls.refuse(text, f"'{arg}' should be WIDTHxHEIGHT in pixels, e.g. 1080x1350.")
    width, height = int(match[1]), int(match[2])
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise cls.refuse(text, f"Width and height must be 1 to {MAX_SIDE} pixels.")
    return width, height


def _focal(cls: type[Step], text: str, arg: str) -> tuple[int, int] | None:
    match = _FOCAL_RE.fullmatch(arg)
    if not match:
        return None
    x, y = int(match[1]), int(match[2])
    if x > 100 or y > 100:
        raise cls.refuse(text, "Focal point percentages must be 0 to 100.")
    return x, y


def _number(cls: type[Step], text: str, arg: str, low: int, high: int, unit: str = "") -> int:
    if not arg.isdigit() or not low <= int(arg) <= high:
        raise cls.refuse(text, f"The number must be {low} to {high}{unit}.")
    return int(arg)


# --- crop modes shared by fill, fit and social ------------------------------------------


@dataclass(frozen=True)
class CropMode:
    """How a fixed-size frame is filled: smart, center, focal point, or fit with pad/blur."""

    mode: str  # "smart" | "center" | "fp" | "pad" | "blur"
    focal: tuple[int, int] | None = None
    colour: str | None = None  # lower-case RRGGBB for "pad"

    @property
    def rgb(self) -> tuple[int, int, int]:
        """Return the pad colour as (red, green, blue), 0-255; black if none was given."""
        hex_colour = self.colour or "000000"
        return (int(hex_colour[0:2], 16), int(hex_colour[2:4], 16), int(hex_colour[4:6], 16))

    def token(self) -> str:
        """Return the mode as written in a spec (after "fill-WxH-" or "crop-")."""
        if self.mode == "fp" and self.focal:
            return f"fp{self.focal[0]}-{self.focal[1]}"
        return {"pad": f"fit-pad-{self.colour}", "blur": "fit-blur"}.get(self.mode, self.mode)

    def describe(self) -> str:
        """Return e.g. "around the subject"."""
        if self.mode == "fp" and self.focal:
            return f"around the point {self.focal[0]}% across and {self.focal[1]}% down"
        if self.mode == "pad":
            return f"on a #{self.colour} background"
        return {
            "smart": "around the subject",
            "center": "from the centre",
            "blur": "on a blurred copy of itself",
        }[self.mode]


def _crop_mode(cls: type[Step], text: str, arg: str, *, fits: bool) -> CropMode:
    if arg in ("smart", "center"):
        return CropMode(arg)
    if (focal := _focal(cls, text, arg)) is not None:
        return CropMode("fp", focal)
    if fits and arg == "fit-blur":
        return CropMode("blur")
    if fits and arg.startswith("fit-pad-") and _HEX_RE.fullmatch(arg[8:]):
        return CropMode("pad", colour=arg[8:].lower())
    raise cls.refuse(text)


# --- size steps -------------------------------------------------------------------------


@register
@dataclass(frozen=True)
class Fill(Step):
    """Cover-crop to exactly width×height."""

    name = "fill"
    kind = "size"
    usage = "fill-WIDTHxHEIGHT-smart, fill-WIDTHxHEIGHT-center or fill-WIDTHxHEIGHT-fpX-Y"
    size: tuple[int, int]
    crop: CropMode

    @classmethod
    def parse(cls, args: str) -> Fill:
        text = f"fill-{args}"
        size_arg, _, mode_arg = args.partition("-")
        size = _size(cls, text, size_arg)
        return cls(size, _crop_mode(cls, text, mode_arg, fits=False))

    def __str__(self) -> str:
        return f"fill-{self.size[0]}x{self.size[1]}-{self.crop.token()}"

    def describe(self) -> str:
        return f"crop to {self.size[0]}×{self.size[1]} {self.crop.describe()}"


@register
@dataclass(frozen=True)
class Fit(Step):
    """Fit the whole image inside width×height, on a colour or a blurred copy."""

    name = "fit"
    kind = "size"
    usage = "fit-WIDTHxHEIGHT-pad-RRGGBB or fit-WIDTHxHEIGHT-blur"
    size: tuple[int, int]
    crop: CropMode

    @classmethod
    def parse(cls, args: str) -> Fit:
        text = f"fit-{args}"
        size_arg, _, mode_arg = args.partition("-")
        size = _size(cls, text, size_arg)
        mode = _crop_mode(cls, text, f"fit-{mode_arg}", fits=True)
        if mode.mode not in ("pad", "blur"):
            raise cls.refuse(text)
        return cls(size, mode)

    def __str__(self) -> str:
        return f"fit-{self.size[0]}x{self.size[1]}-{self.crop.token().removeprefix('fit-')}"

    def describe(self) -> str:
        return f"fit inside {self.size[0]}×{self.size[1]} {self.crop.describe()}"


@dataclass(frozen=True)
class _Number(Step):
    """A step with one whole-number argument from 1 to _high."""

    kind = "size"
    value: int
    _high: ClassVar[int] = MAX_SIDE
    _unit: ClassVar[str] = " pixels"

    @classmethod
    def parse(cls, args: str) -> _Number:
        return cls(_number(cls, f"{cls.name}-{args}", args, 1, cls._high, cls._unit))

    def __str__(self) -> str:
        return f"{self.name}-{self.value}"


@register
@dataclass(frozen=True)
class Width(_Number):
    name = "width"
    usage = "width-N, e.g. width-1200"

    def describe(self) -> str:
        return f"resize to {self.value} px wide"


@register
@dataclass(frozen=True)
class Height(_Number):
    name = "height"
    usage = "height-N, e.g. height-800"

    def describe(self) -> str:
        return f"resize to {self.value} px high"


@register
@dataclass(frozen=True)
class Scale(_Number):
    name = "scale"
    usage = "scale-PERCENT, e.g. scale-50"
    _high = MAX_SCALE_PERCENT
    _unit = " percent"

    def describe(self) -> str:
        return f"scale to {self.value}%"


@register
@dataclass(frozen=True)
class Social(Step):
    """A platform-exact format from studio.social."""

    name = "social"
    kind = "size"
    usage = "social-FORMAT with a format from apply_spec --list-formats, e.g. social-x-post"
    format: SocialFormat

    @classmethod
    def parse(cls, args: str) -> Social:
        if args not in SOCIAL_FORMATS:
            names = ", ".join(SOCIAL_FORMATS)
            raise SpecError(f"'social-{args}' is not a format we know. Use one of: {names}.")
        return cls(SOCIAL_FORMATS[args])

    def __str__(self) -> str:
        return f"social-{self.format.name}"

    def describe(self) -> str:
        article = "an" if self.format.platform_label[0] in "AEIOUX" else "a"
        return f"make {article} {self.format.title} ({self.format.width}×{self.format.height})"


@register
@dataclass(frozen=True)
class Crop(Step):
    """How a social step fills its frame."""

    name = "crop"
    kind = "crop"
    usage = "crop-smart, crop-center, crop-fpX-Y, crop-fit-pad-RRGGBB or crop-fit-blur"
    mode: CropMode

    @classmethod
    def parse(cls, args: str) -> Crop:
        return cls(_crop_mode(cls, f"crop-{args}", args, fits=True))

    def __str__(self) -> str:
        return f"crop-{self.mode.token()}"

    def describe(self) -> str:
        verb = "fitted" if self.mode.mode in ("pad", "blur") else "cropped"
        return f"{verb} {self.mode.describe()}"


# --- output steps -----------------------------------------------------------------------


@register
@dataclass(frozen=True)
class FormatStep(Step):
    name = "format"
    kind = "format"
    usage = "format-jpeg, format-png, format-webp or format-avif"
    format: Format

    @classmethod
    def parse(cls, args: str) -> FormatStep:
        value = "jpeg" if args == "jpg" else args
        if value not in FORMATS:
            raise cls.refuse(f"format-{args}")
        return cls(value)  # type: ignore[arg-type]  # checked against FORMATS above

    def __str__(self) -> str:
        return f"format-{self.format}"

    def describe(self) -> str:
        return f"save as {_FORMAT_LABELS[self.format]}"


@register
@dataclass(frozen=True)
class Quality(_Number):
    name = "quality"
    kind = "quality"
    usage = "quality-N with N from 1 to 100"
    _high = 100
    _unit = ""

    def describe(self) -> str:
        return f"at quality {self.value}"


@register
@dataclass(frozen=True)
class TargetKB(_Number):
    name = "targetkb"
    kind = "target"
    usage = "targetkb-N, e.g. targetkb-200"
    _high = MAX_TARGET_KB
    _unit = " KB"

    @property
    def max_bytes(self) -> int:
        """Return the budget in bytes (1 KB = 1024 bytes)."""
        return self.value * 1024

    def describe(self) -> str:
        return f"at most {kb_text(self.value)}"


@register
@dataclass(frozen=True)
class MaxBytes(Step):
    """``maxbytes-8mb`` / ``maxbytes-500kb`` as in DESIGN.md; parses to a TargetKB."""

    name = "maxbytes"
    kind = "target"
    usage = "maxbytes-Nkb or maxbytes-Nmb, e.g. maxbytes-8mb"

    @classmethod
    def parse(cls, args: str) -> Step:
        match = re.fullmatch(r"(\d{1,6})(kb|mb)", args.lower())
        if not match:
            raise cls.refuse(f"maxbytes-{args}")
        kb = int(match[1]) * (1024 if match[2] == "mb" else 1)
        return TargetKB.parse(str(kb))


@dataclass(frozen=True)
class _Flag(Step):
    @classmethod
    def parse(cls, args: str) -> _Flag:
        if args:
            raise cls.refuse(f"{cls.name}-{args}", "It takes no arguments.")
        return cls()

    def __str__(self) -> str:
        return self.name


@register
@dataclass(frozen=True)
class Progressive(_Flag):
    name = "progressive"
    kind = "progressive"
    usage = "progressive"

    def describe(self) -> str:
        return "progressive"


@register
@dataclass(frozen=True)
class Strip(_Flag):
    name = "strip"
    kind = "strip"
    usage = "strip"

    def describe(self) -> str:
        return "without metadata (EXIF, GPS)"


def kb_text(kb: int) -> str:
    return f"{kb // 1024} MB" if kb % 1024 == 0 else f"{kb} KB"
