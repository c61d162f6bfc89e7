"""WaveSpeed models we offer, as data: the fields each declares, its limits and typical time.

providers.wavespeed builds request bodies from :data:`MODELS`; each entry's ``source`` names
the WaveSpeed page (or, where WaveSpeed's page was not available to us, the integration) its
field list comes from. WaveSpeed silently ignores undeclared fields, so only these are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Default API root (WaveSpeed docs: every endpoint is ``https://api.wavespeed.ai/api/v3/...``).
DEFAULT_BASE_URL = "https://api.wavespeed.ai/api/v3"

#: Aspect ratios of the FLUX Kontext [pro] models (their llms.txt pages, "aspect_ratio" options).
KONTEXT_ASPECT_RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
#: Output formats most WaveSpeed image models take ("output_format" options on their pages).
IMAGE_FORMATS = ("jpeg", "png", "webp")
#: Largest seed WaveSpeed models take: their pages give seed as "-1 ~ 2147483647" (-1 = random),
#: a signed 32-bit integer; we send no seed for "random".
MAX_SEED = 2_147_483_647
#: Least seconds between two polls of one prediction (WaveSpeed docs, "How to Get Result",
#: https://wavespeed.ai/docs/get-result, "Task Result Polling Frequency": image tasks "at least
#: 2 seconds between checks", video tasks "at least 5 seconds"). Only an explicitly configured
#: interval goes below it (tests against a loopback WaveSpeed).
MIN_POLL_INTERVAL = 2.0
MIN_VIDEO_POLL_INTERVAL = 5.0
#: target_resolution choices of the WaveSpeed upscalers (wavespeed-ai/image-upscaler and
#: ultimate-image-upscaler model pages: "2k", "4k", "8k"; Comfy's WavespeedImageUpscaleNode
#: offers the same three for both).
UPSCALE_RESOLUTIONS = ("2k", "4k", "8k")


@dataclass(frozen=True)
class Model:
    """One WaveSpeed model we offer: the fields it declares that we fill, and their limits.

    ``fields`` name WaveSpeed body fields; :data:`FIELD_BUILDERS` says how each is taken from a
    :class:`ProviderRequest`. ``required`` fields must have a value or the request is refused
    before anything is sent. Empty limit tuples mean "not checked here". ``megapixels`` is the
    target area when ``size`` ("W*H") is computed from an aspect ratio. ``typical_seconds`` is
    how long one prediction usually takes: the first poll waits that long (WaveSpeed publishes
    no per-model time we could cite; these are the registry's typical seconds, seeded in
    providers/migrations/0002_seed_registry.py, and 0 where the registry has no row: then the
    first poll comes after the minimum interval). ``video`` models poll at most every 5 s.
    ``source`` names the document the field list comes from.
    """

    fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    output_formats: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    durations: tuple[int, ...] = ()
    megapixels: float = 1.0
    typical_seconds: float = 0.0
    video: bool = False
    source: str = ""


#: The models we offer, keyed by WaveSpeed model path.
MODELS: Mapping[str, Model] = {
    # --- text to image ---------------------------------------------------------------------
    "ideogram-ai/ideogram-v3-turbo": Model(
        typical_seconds=8,
        fields=("prompt", "aspect_ratio", "seed"),
        required=("prompt",),
        source="WaveSpeed page not available to us; prompt/aspect_ratio/seed as on the same "
        "model id's Replicate schema (unverified on WaveSpeed)",
    ),
    "wavespeed-ai/qwen-image/text-to-image": Model(
        typical_seconds=10,
        fields=("prompt", "size", "seed", "output_format"),
        required=("prompt",),
        output_formats=IMAGE_FORMATS,
        source="wavespeed.ai/docs/docs-api/wavespeed-ai/qwen-image/text-to-image "
        "(size W*H up to 1536*1536, seed, output_format)",
    ),
    "wavespeed-ai/flux-kontext-pro/text-to-image": Model(
        typical_seconds=10,
        fields=("prompt", "aspect_ratio", "seed"),
        required=("prompt",),
        aspect_ratios=KONTEXT_ASPECT_RATIOS,
        source="wavespeed.ai/models/wavespeed-ai/flux-kontext-pro/text-to-image/llms.txt",
    ),
    "wavespeed-ai/wan-2.2/text-to-image-realism": Model(
        fields=("prompt", "size", "seed"),
        required=("prompt",),
        source="page not available to us; prompt/size/seed as the other wavespeed-ai "
        "text-to-image models (unverified)",
    ),
    # --- edit ------------------------------------------------------------------------------
    "wavespeed-ai/qwen-image/edit": Model(
        typical_seconds=10,
        fields=("prompt", "image", "seed", "output_format"),
        required=("prompt", "image"),
        output_formats=IMAGE_FORMATS,
        source="qwen-image edit pages (prompt, image, seed, output_format)",
    ),
    "wavespeed-ai/qwen-image/edit-plus": Model(
        typical_seconds=12,
        fields=("prompt", "images", "seed", "output_format"),
        required=("prompt", "images"),
        output_formats=IMAGE_FORMATS,
        source="qwen-image edit family pages (images is a list; seed, output_format)",
    ),
    "google/nano-banana-pro/edit-ultra": Model(
        typical_seconds=20,
        fields=("prompt", "images", "aspect_ratio", "output_format"),
        required=("prompt", "images"),
        output_formats=("png", "jpeg"),
        source="public integrations of this path (images up to 14, aspect_ratio, resolution "
        "4k|8k left at its default, output_format png|jpeg)",
    ),
    "bytedance/seedream-v4.5/edit": Model(
        fields=("prompt", "images", "size"),
        required=("prompt", "images"),
        megapixels=4.0,
        source="model notes: images 1-10, size W*H with 1024-4096 per side (we aim at 4 MP)",
    ),
    "wavespeed-ai/flux-kontext-pro": Model(
        typical_seconds=10,
        fields=("prompt", "image", "aspect_ratio", "seed"),
        required=("prompt", "image"),
        aspect_ratios=KONTEXT_ASPECT_RATIOS,
        source="wavespeed.ai/models/wavespeed-ai/flux-kontext-pro/llms.txt",
    ),
    "wavespeed-ai/image-eraser": Model(
        typical_seconds=10,
        fields=("image", "mask_image", "prompt", "output_format"),
        required=("image",),
        output_formats=IMAGE_FORMATS,
        source="wavespeed.ai/models/wavespeed-ai/image-eraser/llms.txt (mask white = erase)",
    ),
    # --- upscale ---------------------------------------------------------------------------
    "wavespeed-ai/image-upscaler": Model(
        typical_seconds=15,
        fields=("image", "target_resolution", "output_format"),
        required=("image",),
        output_formats=IMAGE_FORMATS,
        resolutions=UPSCALE_RESOLUTIONS,
        source="model docs: target_resolution 2k|4k|8k, output_format",
    ),
    "wavespeed-ai/ultimate-image-upscaler": Model(
        typical_seconds=30,
        fields=("image", "target_resolution", "output_format"),
        required=("image",),
        output_formats=IMAGE_FORMATS,
        resolutions=UPSCALE_RESOLUTIONS,
        source="Comfy's WavespeedImageUpscaleNode (model Ultimate, target_resolution 2K|4K|8K) "
        "and public integrations sending targetResolution '2k'",
    ),
    "bria/increase-resolution": Model(
        fields=("image", "desired_increase"),
        required=("image",),
        source="Bria Increase Resolution schema (desired_increase 2|4); WaveSpeed page not "
        "available to us",
    ),
    # --- face swap -------------------------------------------------------------------------
    "wavespeed-ai/image-face-swap-pro": Model(
        typical_seconds=15,
        fields=("image", "face_image"),
        required=("image", "face_image"),
        source="face swap integrations (image = target, face_image = the face to put in)",
    ),
    "wavespeed-ai/image-face-swap": Model(
        fields=("image", "face_image"),
        required=("image", "face_image"),
        source="face swap integrations (image = target, face_image = the face to put in)",
    ),
    "wavespeed-ai/image-head-swap": Model(
        fields=("image", "face_image"),
        required=("image", "face_image"),
        source="page not available to us; same fields as image-face-swap (unverified)",
    ),
    # --- video and avatar ------------------------------------------------------------------
    "alibaba/wan-2.5/image-to-video": Model(
        typical_seconds=120,
        video=True,
        fields=("image", "prompt", "negative_prompt", "audio", "resolution", "duration", "seed"),
        required=("image", "prompt"),
        resolutions=("480p", "720p", "1080p"),
        durations=(5, 10),
        source="PROVIDERS.md and the WAN 2.5 i2v pages (resolution 480p/720p/1080p, duration "
        "5|10 s, optional audio)",
    ),
    "wavespeed-ai/infinitetalk": Model(
        typical_seconds=300,
        video=True,
        fields=("image", "audio", "prompt", "mask_image", "resolution", "seed"),
        required=("image", "audio"),
        resolutions=("480p", "720p"),
        source="PROVIDERS.md and InfiniteTalk integrations (image, audio, prompt, mask_image, "
        "resolution 480p|720p, seed)",
    ),
}

#: ProviderRequest.references keys that are not extra images.
NON_IMAGE_REFERENCES = frozenset({"face", "audio"})

#: Bria Increase Resolution's ``desired_increase`` choices (its schema: 2 or 4).
BRIA_INCREASES = (2, 4)
