"""Seed the model registry: one row per priced model (billing 0002 and 0003 seed the prices).

Input limits are the providers' documented ones (Stability v2beta API reference: edit and
control images 64 px per side minimum, 4 096 to 9 437 184 pixels, aspect 1:2.5 to 2.5:1, 10 MB;
fast upscale 32-1 536 px per side and 1 024 to 1 048 576 pixels, output 4×; conservative
64 px+ up to 9 437 184 pixels; creative 64 px+ up to 1 048 576 pixels; both to about 4 MP).
"""

from django.db import migrations

MP = 1_000_000
EDIT_LIMITS = {
    "min_pixels": 4096,
    "max_pixels": 9_437_184,
    "min_side": 64,
    "min_aspect": 0.4,
    "max_aspect": 2.5,
    "max_input_bytes": 10 * 1024 * 1024,
    "input_formats": ["JPEG", "PNG", "WEBP"],
}
GEN = ["prompt", "negative_prompt", "aspect", "seed", "format"]
STYLE_GEN = [*GEN, "style"]
EDIT = ["prompt", "negative_prompt", "seed", "format"]

# fmt: off
# Registry rows: (price key, capability, kind, tier, typical seconds, offered, extra fields)
REGISTRY = [
    # Stability AI: generate.
    ("generate-stability-ultra", "generate", "", "quality", 12, True, {"params": STYLE_GEN,
     "requires": ["prompt"], "sort": 10,
     "description": "Stability's best photorealism and typography."}),
    ("generate-stability-core", "generate", "", "balanced", 6, True, {"params": STYLE_GEN,
     "requires": ["prompt"], "sort": 20, "description": "Fast, good all-rounder."}),
    ("generate-stability-sd3.5-large", "generate", "", "quality", 10, True,
     {"params": STYLE_GEN, "requires": ["prompt"], "sort": 30}),
    ("generate-stability-sd3.5-large-turbo", "generate", "", "balanced", 5, True,
     {"params": STYLE_GEN, "requires": ["prompt"], "sort": 40}),
    ("generate-stability-sd3.5-medium", "generate", "", "balanced", 6, True,
     {"params": STYLE_GEN, "requires": ["prompt"], "sort": 50}),
    ("generate-stability-sd3.5-flash", "generate", "", "budget", 3, True,
     {"params": STYLE_GEN, "requires": ["prompt"], "sort": 60}),
    # Stability AI: edit.
    ("edit-stability-erase", "edit", "erase", "balanced", 6, True, {**EDIT_LIMITS,
     "params": ["grow", "seed", "format"], "requires": ["image", "mask"]}),
    ("edit-stability-inpaint", "edit", "inpaint", "balanced", 8, True, {**EDIT_LIMITS,
     "params": [*EDIT, "grow"], "requires": ["image", "mask", "prompt"]}),
    ("edit-stability-outpaint", "edit", "outpaint", "balanced", 8, True, {**EDIT_LIMITS,
     "params": ["prompt", "seed", "format", "creativity", "left", "right", "up", "down"],
     "requires": ["image"]}),
    ("edit-stability-search-and-replace", "edit", "search-and-replace", "balanced", 8, True,
     {**EDIT_LIMITS, "params": [*EDIT, "grow", "search_prompt"],
      "requires": ["image", "prompt", "search_prompt"]}),
    ("edit-stability-search-and-recolor", "edit", "search-and-recolor", "balanced", 8, True,
     {**EDIT_LIMITS, "params": [*EDIT, "grow", "select_prompt"],
      "requires": ["image", "prompt", "select_prompt"]}),
    ("edit-stability-remove-background", "edit", "remove-background", "balanced", 4, True,
     {**EDIT_LIMITS, "params": ["format"], "requires": ["image"]}),
    ("edit-stability-replace-background-and-relight", "edit", "replace-background-and-relight",
     "quality", 40, True, {**EDIT_LIMITS, "params": ["prompt", "negative_prompt", "seed",
     "format", "style_image"], "requires": ["image", "prompt"]}),
    # Stability AI: upscale.
    ("upscale-stability-fast", "upscale", "fast", "budget", 3, True, {"min_pixels": 1024,
     "max_pixels": 1_048_576, "min_side": 32, "max_side": 1536, "min_aspect": 0.4,
     "max_aspect": 2.5, "max_input_bytes": 10 * 1024 * 1024, "upscale_factor": 4,
     "input_formats": ["JPEG", "PNG", "WEBP"], "params": ["format"], "requires": ["image"]}),
    ("upscale-stability-conservative", "upscale", "conservative", "quality", 20, True,
     {**EDIT_LIMITS, "max_output_pixels": 4 * MP, "params": ["prompt", "negative_prompt",
      "seed", "creativity", "format"], "requires": ["image", "prompt"]}),
    ("upscale-stability-creative", "upscale", "creative", "quality", 60, True,
     {**EDIT_LIMITS, "max_pixels": 1_048_576, "max_output_pixels": 4 * MP,
      "params": ["prompt", "negative_prompt", "seed", "creativity", "style", "format"],
      "requires": ["image", "prompt"]}),
    # Stability AI: control.
    ("control-stability-sketch", "control", "sketch", "balanced", 8, True, {**EDIT_LIMITS,
     "params": [*EDIT, "strength"], "requires": ["image", "prompt"]}),
    ("control-stability-structure", "control", "structure", "balanced", 8, True,
     {**EDIT_LIMITS, "params": [*EDIT, "strength"], "requires": ["image", "prompt"]}),
    ("control-stability-style", "control", "style", "balanced", 8, True, {**EDIT_LIMITS,
     "params": [*EDIT, "aspect", "fidelity"], "requires": ["image", "prompt"]}),
    ("control-stability-style-transfer", "control", "style-transfer", "quality", 12, True,
     {**EDIT_LIMITS, "params": ["prompt", "negative_prompt", "seed", "format", "strength",
      "fidelity", "style_image"], "requires": ["image", "style_image"]}),
    # Stability AI: 3D. Not offered until the library stores GLB files.
    ("3d-stability-stable-fast-3d", "3d", "", "balanced", 10, False, {**EDIT_LIMITS,
     "requires": ["image"]}),
    # WaveSpeed: text to image.
    ("generate-wavespeed-ideogram-v3-turbo", "generate", "", "balanced", 8, True,
     {"params": ["prompt", "aspect", "seed"], "requires": ["prompt"], "sort": 70,
      "description": "Strong at text in images."}),
    ("generate-wavespeed-qwen-image", "generate", "", "balanced", 10, True,
     {"params": ["prompt", "aspect", "seed", "format"], "requires": ["prompt"], "sort": 80}),
    ("generate-wavespeed-flux-kontext-pro", "generate", "", "quality", 10, True,
     {"params": ["prompt", "aspect", "seed"], "requires": ["prompt"], "sort": 90}),
    # WaveSpeed: prompt edits and eraser.
    ("edit-wavespeed-qwen-image-edit", "edit", "prompt", "budget", 10, True,
     {"max_pixels": 16 * MP, "params": ["prompt", "seed", "format"],
      "requires": ["image", "prompt"], "max_input_bytes": 10 * 1024 * 1024}),
    ("edit-wavespeed-qwen-image-edit-plus", "edit", "prompt", "balanced", 12, True,
     {"max_pixels": 16 * MP, "params": ["prompt", "seed", "format"],
      "requires": ["image", "prompt"], "max_input_bytes": 10 * 1024 * 1024}),
    ("edit-wavespeed-flux-kontext-pro", "edit", "prompt", "balanced", 10, True,
     {"max_pixels": 16 * MP, "params": ["prompt", "aspect", "seed"],
      "requires": ["image", "prompt"], "max_input_bytes": 10 * 1024 * 1024}),
    ("edit-wavespeed-nano-banana-pro", "edit", "prompt", "quality", 20, True,
     {"max_pixels": 16 * MP, "params": ["prompt", "aspect", "format"],
      "requires": ["image", "prompt"], "max_input_bytes": 10 * 1024 * 1024}),
    ("edit-wavespeed-image-eraser", "edit", "erase", "balanced", 10, True,
     {"max_pixels": 16 * MP, "params": ["format"], "requires": ["image", "mask"],
      "max_input_bytes": 10 * 1024 * 1024,
      "description": "Removes what you paint and rebuilds the background."}),
    # WaveSpeed: upscalers.
    ("upscale-wavespeed-image-upscaler", "upscale", "ai", "budget", 15, True,
     {"max_pixels": 16 * MP, "params": ["factor", "format"], "requires": ["image"],
      "max_input_bytes": 10 * 1024 * 1024}),
    ("upscale-wavespeed-ultimate-upscaler", "upscale", "ai", "quality", 30, True,
     {"max_pixels": 16 * MP, "params": ["factor", "format"], "requires": ["image"],
      "max_input_bytes": 10 * 1024 * 1024}),
    # WaveSpeed: face swap, video and avatar: the adapter runs them; no studio page stores
    # their outputs yet (video, and a face image picker), so they are not offered.
    ("faceswap-wavespeed-face-swap-pro", "faceswap", "", "balanced", 15, False,
     {"requires": ["image", "face"]}),
    ("video-wavespeed-wan-2.5-480p", "video", "", "budget", 120, False, {"requires": ["image"]}),
    ("video-wavespeed-wan-2.5-720p", "video", "", "balanced", 180, False,
     {"requires": ["image"]}),
    ("video-wavespeed-wan-2.5-1080p", "video", "", "quality", 240, False,
     {"requires": ["image"]}),
    ("avatar-wavespeed-infinitetalk-480p", "avatar", "", "budget", 300, False,
     {"requires": ["image", "audio"]}),
    ("avatar-wavespeed-infinitetalk-720p", "avatar", "", "quality", 400, False,
     {"requires": ["image", "audio"]}),
    # Hugging Face and Gemini.
    # Hugging Face's own serverless inference (hf-inference) lists FLUX.1-dev for text to
    # image and no image-to-image model, so the Kontext edit is kept but not offered: it needs
    # a dedicated Inference Endpoint URL as its model path.
    ("generate-huggingface-flux-dev", "generate", "", "quality", 15, True,
     {"params": ["prompt", "negative_prompt", "aspect", "seed"], "requires": ["prompt"],
      "sort": 100}),
    ("edit-huggingface-flux-kontext-dev", "edit", "prompt", "balanced", 20, False,
     {"max_pixels": 4 * MP, "params": ["prompt", "negative_prompt", "seed"],
      "requires": ["image", "prompt"], "max_input_bytes": 10 * 1024 * 1024}),
    ("generate-gemini-flash-image", "generate", "", "balanced", 10, True,
     {"params": ["prompt", "negative_prompt", "aspect"], "requires": ["prompt"], "sort": 120}),
    ("edit-gemini-flash-image", "edit", "prompt", "balanced", 12, True,
     {"max_pixels": 16 * MP, "params": ["prompt", "negative_prompt"],
      "requires": ["image", "prompt"], "max_input_bytes": 7 * 1024 * 1024}),
    # Local: runs here without keys.
    ("upscale-local-lanczos", "upscale", "lanczos", "budget", 2, True,
     {"max_output_pixels": 100 * MP, "params": ["factor", "format"], "requires": ["image"],
      "description": "Lanczos resampling with sharpening, on our servers; free."}),
    ("edit-local-erase", "edit", "erase", "budget", 2, True,
     {"params": ["grow", "format"], "requires": ["image", "mask"],
      "description": "OpenCV inpainting, on our servers; free. Best on small objects."}),
]
# fmt: on


def seed(apps, schema_editor):
    OperationPrice = apps.get_model("billing", "OperationPrice")
    AIModel = apps.get_model("providers", "AIModel")
    for key, capability, kind, tier, seconds, offered, extra in REGISTRY:
        price = OperationPrice.objects.filter(key=key).first()
        if price is None:
            continue  # staff deleted the price: the model is not offered
        AIModel.objects.get_or_create(
            price=price,
            defaults={
                "capability": capability,
                "kind": kind,
                "tier": tier,
                "typical_seconds": seconds,
                "offered": offered,
                **extra,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_registry"), ("billing", "0003_ai_studios")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
