"""The AI steps of the recipe language: a model step and the parameters it takes.

``generate-stability-core|aspect-16:9|style-photographic|seed-42``,
``edit-stability-outpaint|left-512|right-512``, ``upscale-local-lanczos|factor-2``.
The model step is ``CAPABILITY-PROVIDER-MODEL``; ``CAPABILITY-PROVIDER-MODEL`` is also the
price key (billing.OperationPrice) and the registry entry (providers.models.AIModel), which
say whether such a model exists, is offered and takes these parameters; parsing checks only
the grammar and each provider's documented ranges (:data:`MODEL_LIMITS`), so the spec language
stays free of the database and a value a provider would answer 400 to fails here, before any
job or call. Prompts are texts given beside the spec (job parameters, ``apply_spec --prompt``),
not inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from studio.spec_steps import SpecError, Step, register

#: Capabilities a model step may name (providers.models.AIModel.Capability).
CAPABILITIES: Final = (
    "generate", "edit", "upscale", "control", "video", "avatar", "3d", "faceswap", "caption",
)  # fmt: skip
PROVIDERS: Final = ("stability", "wavespeed", "huggingface", "gemini", "local")
#: Stability's aspect ratios (v2beta generate endpoints), which the other providers also get.
ASPECT_RATIOS: Final = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
#: Stability's 17 style presets (v2beta ``style_preset``).
STYLE_PRESETS: Final = (
    "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art",
    "analog-film", "neon-punk", "isometric", "low-poly", "origami", "modeling-compound",
    "cinematic", "3d-model", "pixel-art", "tile-texture",
)  # fmt: skip
#: Largest seed Stability accepts (v2beta: 0 .. 4294967294); 0 means "random" there.
MAX_SEED: Final = 4_294_967_294
#: Largest outpaint per side, pixels (Stability outpaint: left/right/up/down 0 .. 2000).
MAX_OUTPAINT: Final = 2000
#: Video resolutions (WaveSpeed WAN 2.5 and InfiniteTalk pages) and the WaveSpeed upscalers'
#: ``target_resolution`` choices (wavespeed-ai/image-upscaler and ultimate-image-upscaler pages).
VIDEO_RESOLUTIONS: Final = ("480p", "720p", "1080p")
UPSCALE_RESOLUTIONS: Final = ("2k", "4k", "8k")
_MODEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9.]*(?:-[a-z0-9.]+)*")

#: Kinds of the AI parameter steps, in canonical order (after "model", before "format").
AI_PARAM_KINDS: Final = (
    "aspect", "style", "seed", "strength", "fidelity", "creativity", "grow",
    "left", "right", "up", "down", "factor", "resolution", "duration",
)  # fmt: skip


@dataclass(frozen=True)
class ModelStep(Step):
    """Run one AI model: ``CAPABILITY-PROVIDER-MODEL`` (e.g. ``generate-stability-core``)."""

    kind = "model"
    usage = "CAPABILITY-PROVIDER-MODEL, e.g. generate-stability-core or upscale-local-lanczos"
    provider: str
    model: str

    @classmethod
    def parse(cls, args: str) -> ModelStep:
        text = f"{cls.name}-{args}"
        provider, _, model = args.partition("-")
        if provider not in PROVIDERS:
            raise cls.refuse(text, f"The provider must be one of {', '.join(PROVIDERS)}.")
        if not _MODEL_RE.fullmatch(model):
            raise cls.refuse(text, "Name a model after the provider.")
        return cls(provider, model)

    @property
    def key(self) -> str:
        """Return the price and registry key, e.g. "generate-stability-core"."""
        return f"{self.name}-{self.provider}-{self.model}"

    def __str__(self) -> str:
        return self.key

    def describe(self) -> str:
        verb = {"generate": "generate an image", "3d": "make a 3D model"}.get(self.name, self.name)
        return f"{verb} with {self.provider} {self.model}"


def _model_step(capability: str) -> type[ModelStep]:
    cls = dataclass(frozen=True)(
        type(
            f"{capability.title()}Step", (ModelStep,), {"name": capability, "__module__": __name__}
        )
    )
    return register(cls)


for _capability in CAPABILITIES:
    _model_step(_capability)


@dataclass(frozen=True)
class _AIParam(Step):
    """A parameter of an AI model: one argument, checked when parsed."""

    value: Any
    option: ClassVar[str]
    """The ProviderRequest option name (providers.base.ProviderRequest.options)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # concrete steps; each parameter is its own kind
            cls.kind = cls.name

    def __str__(self) -> str:
        return f"{self.name}-{self.value}"

    def as_option(self) -> tuple[str, Any]:
        """Return (option name, value) as adapters take it."""
        return self.option, self.value


@register
@dataclass(frozen=True)
class Aspect(_AIParam):
    name = "aspect"
    usage = f"aspect-W:H with one of {', '.join(ASPECT_RATIOS)}"
    option = "aspect_ratio"

    @classmethod
    def parse(cls, args: str) -> Aspect:
        ratio = args.replace("x", ":")
        if ratio not in ASPECT_RATIOS:
            raise cls.refuse(f"aspect-{args}")
        return cls(ratio)

    def describe(self) -> str:
        return f"aspect ratio {self.value}"


@register
@dataclass(frozen=True)
class Style(_AIParam):
    name = "style"
    usage = f"style-PRESET with one of {', '.join(STYLE_PRESETS)}"
    option = "style_preset"

    @classmethod
    def parse(cls, args: str) -> Style:
        if args not in STYLE_PRESETS:
            raise cls.refuse(f"style-{args}")
        return cls(args)

    def describe(self) -> str:
        return f"{self.value.replace('-', ' ')} style"


@dataclass(frozen=True)
class _IntParam(_AIParam):
    low: ClassVar[int] = 0
    high: ClassVar[int] = 100

    @classmethod
    def parse(cls, args: str) -> _IntParam:
        text = f"{cls.name}-{args}"
        if not args.isdigit() or not cls.low <= int(args) <= cls.high:
            raise cls.refuse(text, f"The number must be {cls.low} to {cls.high}.")
        return cls(int(args))


@register
@dataclass(frozen=True)
class Seed(_IntParam):
    name = "seed"
    usage = f"seed-N with N from 0 to {MAX_SEED}"
    option = "seed"
    high = MAX_SEED

    def describe(self) -> str:
        return f"seed {self.value}"


@dataclass(frozen=True)
class _Percent(_IntParam):
    """A 0-100 % slider, sent to providers as a fraction 0..1."""

    def as_option(self) -> tuple[str, Any]:
        return self.option, self.value / 100

    def describe(self) -> str:
        return f"{self.name} {self.value}%"


@register
@dataclass(frozen=True)
class Strength(_Percent):
    name = "strength"
    usage = "strength-PERCENT, e.g. strength-70"
    option = "strength"


@register
@dataclass(frozen=True)
class Fidelity(_Percent):
    name = "fidelity"
    usage = "fidelity-PERCENT, e.g. fidelity-50"
    option = "fidelity"


@register
@dataclass(frozen=True)
class Creativity(_Percent):
    name = "creativity"
    usage = "creativity-PERCENT, e.g. creativity-30"
    option = "creativity"


@register
@dataclass(frozen=True)
class Grow(_IntParam):
    name = "grow"
    usage = "grow-PIXELS from 0 to 100, e.g. grow-5"
    option = "grow_mask"

    def describe(self) -> str:
        return f"mask grown by {self.value} px"


@dataclass(frozen=True)
class _Outpaint(_IntParam):
    high = MAX_OUTPAINT

    def describe(self) -> str:
        return f"{self.value} px more {self.name}"


for _side in ("left", "right", "up", "down"):
    register(
        dataclass(frozen=True)(
            type(
                f"Outpaint{_side.title()}",
                (_Outpaint,),
                {
                    "name": _side,
                    "option": _side,
                    "usage": f"{_side}-PIXELS from 0 to {MAX_OUTPAINT}",
                    "__module__": __name__,
                },
            )
        )
    )


@register
@dataclass(frozen=True)
class Factor(_IntParam):
    name = "factor"
    usage = "factor-2, factor-3 or factor-4"
    option = "factor"
    low, high = 2, 4

    def describe(self) -> str:
        return f"{self.value}× larger"


@register
@dataclass(frozen=True)
class Resolution(_AIParam):
    """A video resolution (480p...) or an upscaler's target resolution (2k, 4k, 8k)."""

    name = "resolution"
    usage = "resolution-480p, -720p or -1080p for videos; resolution-2k, -4k or -8k for upscalers"
    option = "resolution"

    @classmethod
    def parse(cls, args: str) -> Resolution:
        if args not in (*VIDEO_RESOLUTIONS, *UPSCALE_RESOLUTIONS):
            raise cls.refuse(f"resolution-{args}")
        return cls(args)

    def describe(self) -> str:
        if self.value in UPSCALE_RESOLUTIONS:
            return f"{self.value.upper()} output"
        return f"{self.value} video"


@register
@dataclass(frozen=True)
class Duration(_IntParam):
    name = "duration"
    usage = "duration-SECONDS from 1 to 60"
    option = "duration"
    low, high = 1, 60

    def describe(self) -> str:
        return f"{self.value} seconds"


@dataclass(frozen=True)
class Limits:
    """What one model (or every model of a provider) documents for the AI parameter steps.

    ``ranges`` maps a step kind to its (low, high) in the step's own units (creativity and
    strength in %, grow in pixels, seed as is); ``choices`` maps a kind to the values allowed
    (aspect ratios, resolutions, factors); ``formats`` are the output formats; ``refuse`` maps a
    kind the model does not take to what to use instead. ``label`` names the model in messages.
    """

    label: str
    ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    formats: tuple[str, ...] = ()
    refuse: Mapping[str, str] = field(default_factory=dict)


# Sources, as cited beside the adapters' constants: Stability's API reference
# (platform.stability.ai/docs/api-reference; providers.stability), WaveSpeed's model pages
# (providers.wavespeed), the Gemini API image-generation guide (providers.gemini).
_SD3 = ("png", "jpeg")  # generate/sd3: output_format jpeg | png, no webp
_SMALL_GROW = {"grow": (0, 20)}  # erase, search-and-replace/-recolor: grow_mask [0 .. 20]
#: WaveSpeed upscalers take target_resolution 2k|4k|8k, not a factor (their model pages).
_UPSCALER: Final = {
    "choices": {"resolution": UPSCALE_RESOLUTIONS},
    "refuse": {"factor": "a target resolution (resolution-2k, resolution-4k or resolution-8k)"},
}
#: Kontext [pro] aspect ratios (its llms.txt pages): no 5:4 or 4:5.
_KONTEXT = ("21:9", "16:9", "3:2", "1:1", "2:3", "9:16", "9:21")
#: Per model step key ("upscale-stability-creative"); provider-wide limits in PROVIDER_LIMITS.
MODEL_LIMITS: Final[Mapping[str, Limits]] = {
    "upscale-stability-creative": Limits(
        "Stability Creative Upscale",
        ranges={"creativity": (10, 50)},  # [0.1 .. 0.5]
    ),
    "upscale-stability-conservative": Limits(
        "Stability Conservative Upscale",
        ranges={"creativity": (20, 50)},  # [0.2 .. 0.5]
    ),
    "edit-stability-erase": Limits("Stability Erase", ranges=_SMALL_GROW),
    "edit-stability-search-and-replace": Limits("Stability Search and Replace", _SMALL_GROW),
    "edit-stability-search-and-recolor": Limits("Stability Search and Recolor", _SMALL_GROW),
    "edit-stability-remove-background": Limits(
        "Stability Remove Background",
        formats=("png", "webp"),  # keeps transparency
    ),
    **{
        f"generate-stability-sd3.5-{size}": Limits(f"Stability SD3.5 {label}", formats=_SD3)
        for size, label in (
            ("large", "Large"),
            ("large-turbo", "Large Turbo"),
            ("medium", "Medium"),
            ("flash", "Flash"),
        )
    },
    "upscale-wavespeed-image-upscaler": Limits("WaveSpeed Image Upscaler", **_UPSCALER),
    "upscale-wavespeed-ultimate-upscaler": Limits("WaveSpeed Ultimate Upscaler", **_UPSCALER),
    # Bria Increase Resolution's schema: desired_increase 2 or 4.
    "upscale-wavespeed-bria-upscale": Limits(
        "Bria Increase Resolution", choices={"factor": (2, 4)}
    ),
    "generate-wavespeed-flux-kontext-pro": Limits(
        "FLUX Kontext [pro]", choices={"aspect": _KONTEXT}
    ),
    "edit-wavespeed-flux-kontext-pro": Limits("FLUX Kontext [pro]", choices={"aspect": _KONTEXT}),
}
#: Limits every model of a provider shares.
PROVIDER_LIMITS: Final[Mapping[str, Limits]] = {
    # WaveSpeed seeds are "-1 ~ 2147483647" (a signed 32-bit integer) on its model pages.
    "wavespeed": Limits("WaveSpeed models", ranges={"seed": (0, 2_147_483_647)}),
    # Gemini API image-generation guide: 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9 (no 9:21).
    "gemini": Limits(
        "Gemini image models",
        choices={"aspect": ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16")},
    ),
}
_PARAM_WORDS: Final = {"grow": "mask growth", "aspect": "aspect ratio", "format": "output format"}
_FORMAT_NAMES: Final = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
_UNITS: Final = {"creativity": " %", "strength": " %", "fidelity": " %", "grow": " px"}


def check_model_limits(model: ModelStep, by_kind: Mapping[str, Step]) -> None:
    """Refuse AI parameter steps outside what ``model`` documents (MODEL_LIMITS, PROVIDER_LIMITS).

    Raises SpecError naming the parameter, the allowed range or choices and the model, e.g.
    "'creativity-80' is out of range for Stability Creative Upscale: creativity goes from 10 to
    50 %." Resolutions default to the video ones for models without their own choices.
    """
    for limits in (MODEL_LIMITS.get(model.key), PROVIDER_LIMITS.get(model.provider)):
        if limits is None:
            continue
        for kind, instead in limits.refuse.items():
            if kind in by_kind:
                raise SpecError(
                    f"'{by_kind[kind]}' does not apply to {limits.label}, which takes {instead}."
                )
        for kind, (low, high) in limits.ranges.items():
            step = by_kind.get(kind)
            if isinstance(step, _AIParam) and not low <= step.value <= high:
                word, unit = _PARAM_WORDS.get(kind, kind), _UNITS.get(kind, "")
                raise SpecError(
                    f"'{step}' is out of range for {limits.label}: {word} goes from {low} to "
                    f"{high}{unit}."
                )
        for kind, allowed in limits.choices.items():
            step = by_kind.get(kind)
            if isinstance(step, _AIParam) and step.value not in allowed:
                word = _PARAM_WORDS.get(kind, kind)
                raise SpecError(
                    f"'{step}' is not offered by {limits.label}: its {word} is one of "
                    f"{', '.join(str(value) for value in allowed)}."
                )
        fmt = by_kind.get("format")
        if (
            limits.formats
            and fmt is not None
            and getattr(fmt, "format", None) not in limits.formats
        ):
            raise SpecError(
                f"'{fmt}' is not offered by {limits.label}: it returns "
                f"{' or '.join(_FORMAT_NAMES[name] for name in limits.formats)}; use "
                f"{' or '.join(f'format-{name}' for name in limits.formats)}."
            )
    resolution = by_kind.get("resolution")
    has_own = any(
        "resolution" in limits.choices
        for limits in (MODEL_LIMITS.get(model.key), PROVIDER_LIMITS.get(model.provider))
        if limits is not None
    )
    if (
        isinstance(resolution, Resolution)
        and not has_own
        and resolution.value not in VIDEO_RESOLUTIONS
    ):
        raise SpecError(
            f"'{resolution}' is a target resolution for upscalers; '{model}' takes "
            f"{', '.join(f'resolution-{value}' for value in VIDEO_RESOLUTIONS)}."
        )


def check_ai_steps(by_kind: dict[str, Step]) -> None:
    """Refuse AI parameters without a model step, size steps with one, and parameters outside
    the model's documented ranges (check_model_limits); see specs._check."""
    model = by_kind.get("model")
    params = [by_kind[kind] for kind in AI_PARAM_KINDS if kind in by_kind]
    if model is None and params:
        raise SpecError(
            f"'{params[0]}' only goes with an AI model step, e.g. "
            f"generate-stability-core|{params[0]}."
        )
    if model is None:
        return
    for kind in ("size", "crop", "quality", "target", "progressive", "strip"):
        if kind in by_kind:
            raise SpecError(
                f"'{by_kind[kind]}' cannot follow '{model}' in one recipe: run the AI step first, "
                "then make sizes and files from its result in the Social Optimizer or "
                "Compression Studio."
            )
    fmt = by_kind.get("format")
    if fmt is not None and str(fmt) == "format-avif":
        raise SpecError(f"'{model}' returns PNG, JPEG or WebP; use format-png, -jpeg or -webp.")
    if isinstance(model, ModelStep):
        check_model_limits(model, by_kind)
