"""Stability AI v2beta endpoints as data: which fields each takes, and their documented limits.

One :class:`Endpoint` per registry model path (``generate/core``, ``upscale/creative``...);
providers.stability builds and checks requests from it. Sources: the Stability AI API reference
(https://platform.stability.ai/docs/api-reference), read through its OpenAPI document as
generated into ``src/stabilityAi/types.ts`` of tadasant/mcp-server-stability-ai and through
Comfy Router's mirrored per-endpoint schemas, plus ../shared/PROVIDERS.md; each constant names
the field it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: "alpha": optional when the image has an alpha channel, which the API then takes as the mask.
Need = Literal["required", "optional", "alpha", "none"]

#: Longest prompt Stability accepts, in characters (API reference: prompt "[1 .. 10000] characters").
MAX_PROMPT_CHARS = 10_000
#: Largest seed; 0 or no seed means "random" (API reference: seed "[0 .. 4294967294]").
MAX_SEED = 4_294_967_294
#: Largest request body Stability accepts (API reference, 413: "larger than 10MiB").
MAX_REQUEST_MIB = 10
#: Outpaint may add at most this many pixels on each side (API reference: left/right/up/down 0..2000).
MAX_OUTPAINT_PIXELS = 2000
#: Output aspect ratios of the generate and control/style endpoints (API reference: aspect_ratio).
ASPECT_RATIOS = frozenset({"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"})
#: Stability's style presets (API reference: style_preset; the same 17 as PROVIDERS.md).
STYLE_PRESETS = frozenset(
    {
        "3d-model",
        "analog-film",
        "anime",
        "cinematic",
        "comic-book",
        "digital-art",
        "enhance",
        "fantasy-art",
        "isometric",
        "line-art",
        "low-poly",
        "modeling-compound",
        "neon-punk",
        "origami",
        "photographic",
        "pixel-art",
        "tile-texture",
    }
)
#: Output formats most endpoints offer (API reference: output_format, default png).
IMAGE_FORMATS = ("jpeg", "png", "webp")
#: remove-background keeps transparency, so it offers no JPEG (API reference: output_format).
TRANSPARENT_FORMATS = ("png", "webp")
#: The finish reason of an output Stability's moderation blurred (API reference: finish-reason).
CONTENT_FILTERED = "CONTENT_FILTERED"
#: Media type of a Stable Fast 3D result (API reference: 200 "model/gltf-binary").
GLB_MEDIA_TYPE = "model/gltf-binary"
#: Seconds between polls of ``/v2beta/results/{id}``, at least: the API reference of the
#: asynchronous endpoints says "Rate-limiting or other errors may occur if you poll more than
#: once every 10 seconds" (also in the OpenAPI text mirrored in tadasant/mcp-server-stability-ai
#: src/stabilityAi/types.ts). Only an explicitly configured interval goes below it (tests).
MIN_POLL_INTERVAL = 10.0
#: The SD3.5 models return PNG or JPEG only (API reference, generate/sd3: output_format
#: "jpeg" | "png"; unlike ultra and core it has no webp).
SD3_FORMATS = ("jpeg", "png")
#: Range of the 0..1 sliders (API reference: strength, control_strength, fidelity,
#: style_strength, composition_fidelity are "number [0 .. 1]").
FRACTION = (0.0, 1.0)
#: grow_mask of erase and search-and-replace/-recolor: "number [0 .. 20]"; inpaint: "[0 .. 100]"
#: (API reference, one section per edit endpoint).
SMALL_GROW = (0, 20)
INPAINT_GROW = (0, 100)

# Form fields per endpoint family, named as in ProviderRequest.options (identical to Stability's).
_GENERATE = ("aspect_ratio", "seed", "style_preset", "output_format")
_SEED_FORMAT = ("seed", "output_format")


@dataclass(frozen=True)
class Endpoint:
    """How one registry model path maps onto one Stability endpoint.

    ``path`` is relative to ``/v2beta/``; ``fields`` are the option names sent as form fields
    when present; ``prompt``/``image``/``mask`` say whether the request must, may or must not
    carry them; ``references`` maps ProviderRequest.references names to file fields.
    """

    path: str
    fields: tuple[str, ...] = ()
    prompt: Need = "none"
    prompt_field: str = "prompt"
    negative_prompt: bool = False
    image: Need = "required"
    image_field: str = "image"
    mask: Need = "none"
    references: Mapping[str, str] = field(default_factory=dict)
    required_fields: tuple[str, ...] = ()
    sd3_model: str = ""
    asynchronous: bool = False
    output_formats: tuple[str, ...] = IMAGE_FORMATS
    glb: bool = False
    #: Documented (low, high) of numeric fields, in the API's units (checked before sending).
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: The model's name in messages, e.g. "Stability Creative Upscale".
    label: str = "this Stability model"


def _sd3(model: str) -> Endpoint:
    return Endpoint(
        "stable-image/generate/sd3",
        _GENERATE,
        prompt="required",
        negative_prompt=True,
        image="optional",
        sd3_model=model,
        output_formats=SD3_FORMATS,
        ranges={"strength": FRACTION},
        label="Stability "
        + " ".join(
            word.upper() if word.startswith("sd") else word.title() for word in model.split("-")
        ),
    )


#: Registry model path -> Stability endpoint (API reference, one section per endpoint).
ENDPOINTS: dict[str, Endpoint] = {
    "generate/ultra": Endpoint(
        "stable-image/generate/ultra",
        _GENERATE,
        prompt="required",
        negative_prompt=True,
        image="optional",
    ),
    "generate/core": Endpoint(
        "stable-image/generate/core",
        _GENERATE,
        prompt="required",
        negative_prompt=True,
        image="none",
    ),
    "generate/sd3.5-large": _sd3("sd3.5-large"),
    "generate/sd3.5-large-turbo": _sd3("sd3.5-large-turbo"),
    "generate/sd3.5-medium": _sd3("sd3.5-medium"),
    "generate/sd3.5-flash": _sd3("sd3.5-flash"),
    # erase: a missing mask means "use the image's alpha channel" (API reference: mask).
    "edit/erase": Endpoint(
        "stable-image/edit/erase",
        ("grow_mask", *_SEED_FORMAT),
        mask="alpha",
        ranges={"grow_mask": SMALL_GROW},
        label="Stability Erase",
    ),
    # inpaint: likewise, a missing mask means "use the image's alpha channel" (API reference:
    # mask, "If you don't provide an explicit mask, one will be derived from the alpha channel").
    "edit/inpaint": Endpoint(
        "stable-image/edit/inpaint",
        ("grow_mask", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        mask="alpha",
        ranges={"grow_mask": INPAINT_GROW},
        label="Stability Inpaint",
    ),
    # outpaint has no negative prompt (Comfy Router's schema: "accepted but not applied").
    "edit/outpaint": Endpoint(
        "stable-image/edit/outpaint",
        ("left", "right", "up", "down", "creativity", *_SEED_FORMAT),
        prompt="optional",
        ranges={"creativity": FRACTION},  # API reference: outpaint creativity [0 .. 1]
        label="Stability Outpaint",
    ),
    "edit/search-and-replace": Endpoint(
        "stable-image/edit/search-and-replace",
        ("search_prompt", "grow_mask", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        required_fields=("search_prompt",),
        ranges={"grow_mask": SMALL_GROW},
        label="Stability Search and Replace",
    ),
    "edit/search-and-recolor": Endpoint(
        "stable-image/edit/search-and-recolor",
        ("select_prompt", "grow_mask", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        required_fields=("select_prompt",),
        ranges={"grow_mask": SMALL_GROW},
        label="Stability Search and Recolor",
    ),
    "edit/remove-background": Endpoint(
        "stable-image/edit/remove-background",
        ("output_format",),
        output_formats=TRANSPARENT_FORMATS,
        label="Stability Remove Background",
    ),
    "edit/replace-background-and-relight": Endpoint(
        "stable-image/edit/replace-background-and-relight",
        (
            "foreground_prompt",
            "preserve_original_subject",
            "original_background_depth",
            "keep_original_background",
            "light_source_direction",
            "light_source_strength",
            *_SEED_FORMAT,
        ),
        prompt="optional",
        prompt_field="background_prompt",
        negative_prompt=True,
        image_field="subject_image",
        references={
            "background_reference": "background_reference",
            "light_reference": "light_reference",
        },
        asynchronous=True,
        label="Stability Replace Background and Relight",
    ),
    "upscale/fast": Endpoint(
        "stable-image/upscale/fast", ("output_format",), label="Stability Fast Upscale"
    ),
    # API reference: conservative creativity "number [0.2 .. 0.5]", default 0.35.
    "upscale/conservative": Endpoint(
        "stable-image/upscale/conservative",
        ("creativity", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        ranges={"creativity": (0.2, 0.5)},
        label="Stability Conservative Upscale",
    ),
    # API reference: creative creativity "number [0.1 .. 0.5]", default 0.3.
    "upscale/creative": Endpoint(
        "stable-image/upscale/creative",
        ("creativity", "style_preset", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        asynchronous=True,
        ranges={"creativity": (0.1, 0.5)},
        label="Stability Creative Upscale",
    ),
    "control/sketch": Endpoint(
        "stable-image/control/sketch",
        ("control_strength", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        ranges={"control_strength": FRACTION},
    ),
    "control/structure": Endpoint(
        "stable-image/control/structure",
        ("control_strength", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        ranges={"control_strength": FRACTION},
    ),
    "control/style": Endpoint(
        "stable-image/control/style",
        ("aspect_ratio", "fidelity", *_SEED_FORMAT),
        prompt="required",
        negative_prompt=True,
        ranges={"fidelity": FRACTION},
    ),
    "control/style-transfer": Endpoint(
        "stable-image/control/style-transfer",
        ("style_strength", "composition_fidelity", "change_strength", *_SEED_FORMAT),
        prompt="optional",
        negative_prompt=True,
        image_field="init_image",
        references={"style": "style_image"},
        # API reference: change_strength "number [0.1 .. 1]"; the other two [0 .. 1].
        ranges={
            "style_strength": FRACTION,
            "composition_fidelity": FRACTION,
            "change_strength": (0.1, 1.0),
        },
        label="Stability Style Transfer",
    ),
    "3d/stable-fast-3d": Endpoint(
        "3d/stable-fast-3d",
        ("texture_resolution", "foreground_ratio", "remesh", "vertex_count"),
        glb=True,
    ),
}

#: Option names that are pixel counts or sizes and must be whole numbers.
INTEGER_FIELDS = frozenset(
    {"seed", "grow_mask", "left", "right", "up", "down", "texture_resolution", "vertex_count"}
)
#: Friendly names of the file fields, for error messages.
FILE_LABELS = {
    "image": "an input image",
    "subject_image": "a subject image",
    "init_image": "an input image",
    "style_image": "a style reference image",
    "background_reference": "a background reference image",
    "light_reference": "a lighting reference image",
    "mask": "a mask",
}
