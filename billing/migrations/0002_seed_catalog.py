"""Seed plans, operation prices and credit packs from shared/PROVIDERS.md.

1 credit = $0.01 of provider list price (Stability's own credit). Provider prices become whole
credits rounded up (sd3.5-large 6.5 -> 7, a $0.001 captioner -> 1); a price given as a range
is seeded at its top, so a quote never charges less than the provider does.

"Images per month" become credits at the price of the dearest still-image generation the plan
includes: Free includes only Stability Core (3 credits) -> 10 x 3 = 30; Basic and Pro include
Stability Ultra (8 credits) -> 50 x 8 = 400 and 150 x 8 = 1 200. Enterprise's "unlimited" is a
fair-use grant of 5 000 credits (625 Ultra images) that rolls over. Image packs use 8 credits an
image (25 -> 200, 100 -> 800, 500 -> 4 000); video packs use 50 credits a video, a 5-second
720p WAN 2.5 clip (10 -> 500, 50 -> 2 500). Yearly prices are ten months' price.

Staff change all of it in the admin; this migration only writes rows that do not exist yet.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import migrations

GIB = 1024**3

# fmt: off
PLANS = [
    {
        "slug": "free", "name": "Free", "rank": 0, "is_default": True,
        "monthly_price": "0", "yearly_price": "0", "monthly_credits": 30, "rollover": False,
        "allowed_operations": ["social", "compress", "resize", "convert", "generate", "video"],
        "allowed_models": ["local/*", "stability/generate/core", "wavespeed/alibaba/wan-2.5/*"],
        "max_video_resolution": 480, "batch": False, "api": False, "priority": False,
        "storage_quota_bytes": 1 * GIB, "max_concurrent_jobs": 2,
    },
    {
        "slug": "basic", "name": "Basic", "rank": 10, "is_default": False,
        "monthly_price": "19", "yearly_price": "190", "monthly_credits": 400, "rollover": False,
        "allowed_operations": [
            "social", "compress", "resize", "convert", "generate", "edit", "upscale", "video",
        ],
        "allowed_models": [
            "local/*", "stability/generate/*", "stability/edit/erase", "stability/edit/inpaint",
            "stability/edit/outpaint", "stability/edit/search-and-replace",
            "stability/edit/search-and-recolor", "stability/edit/remove-background",
            "stability/upscale/fast", "wavespeed/ideogram-ai/ideogram-v3-turbo",
            "wavespeed/wavespeed-ai/qwen-image/*", "wavespeed/wavespeed-ai/wan-2.2/*",
            "wavespeed/wavespeed-ai/flux-kontext-pro/text-to-image",
            "wavespeed/wavespeed-ai/image-upscaler", "wavespeed/alibaba/wan-2.5/*",
        ],
        "max_video_resolution": 720, "batch": False, "api": False, "priority": False,
        "storage_quota_bytes": 10 * GIB, "max_concurrent_jobs": 3,
    },
    {
        "slug": "pro", "name": "Pro", "rank": 20, "is_default": False,
        "monthly_price": "49", "yearly_price": "490", "monthly_credits": 1200, "rollover": True,
        "allowed_operations": ["*"], "allowed_models": ["*"],
        "max_video_resolution": 1080, "batch": True, "api": False, "priority": False,
        "storage_quota_bytes": 100 * GIB, "max_concurrent_jobs": 5,
    },
    {
        "slug": "enterprise", "name": "Enterprise", "rank": 30, "is_default": False,
        "monthly_price": "149", "yearly_price": "1490", "monthly_credits": 5000, "rollover": True,
        "allowed_operations": ["*"], "allowed_models": ["*"],
        "max_video_resolution": 1080, "batch": True, "api": True, "priority": True,
        "storage_quota_bytes": 1024 * GIB, "max_concurrent_jobs": 20,
    },
]

PACKS = [
    ("images-25", "25 images", "images", 200, "9"),
    ("images-100", "100 images", "images", 800, "29"),
    ("images-500", "500 images", "images", 4000, "99"),
    ("video-10", "10 videos", "video", 500, "19"),
    ("video-50", "50 videos", "video", 2500, "79"),
]

IMG, SEC, CALL = "per_image", "per_second", "per_call"

# (operation, provider, model path, short key, label, unit, credits, provider USD per unit)
PRICES = [
    # Local operations of the foundation: free, priced like any other if staff wish.
    ("social", "local", "social", "", "Social Optimizer", IMG, 0, "0"),
    ("compress", "local", "compress", "", "Compression", IMG, 0, "0"),
    ("resize", "local", "resize", "", "Resize", IMG, 0, "0"),
    ("convert", "local", "convert", "", "Convert", IMG, 0, "0"),
    # Stability AI v2beta: credits per call as published (1 credit = $0.01).
    ("generate", "stability", "generate/ultra", "ultra", "Stable Image Ultra", IMG, 8, "0.08"),
    ("generate", "stability", "generate/core", "core", "Stable Image Core", IMG, 3, "0.03"),
    ("generate", "stability", "generate/sd3.5-large", "sd3.5-large", "SD 3.5 Large", IMG, 7,
     "0.065"),
    ("generate", "stability", "generate/sd3.5-large-turbo", "sd3.5-large-turbo",
     "SD 3.5 Large Turbo", IMG, 4, "0.04"),
    ("generate", "stability", "generate/sd3.5-medium", "sd3.5-medium", "SD 3.5 Medium", IMG, 4,
     "0.035"),
    ("generate", "stability", "generate/sd3.5-flash", "sd3.5-flash", "SD 3.5 Flash", IMG, 3,
     "0.025"),
    ("edit", "stability", "edit/erase", "erase", "Erase", IMG, 5, "0.05"),
    ("edit", "stability", "edit/inpaint", "inpaint", "Inpaint", IMG, 5, "0.05"),
    ("edit", "stability", "edit/outpaint", "outpaint", "Outpaint", IMG, 4, "0.04"),
    ("edit", "stability", "edit/search-and-replace", "search-and-replace", "Search and replace",
     IMG, 5, "0.05"),
    ("edit", "stability", "edit/search-and-recolor", "search-and-recolor", "Search and recolor",
     IMG, 5, "0.05"),
    ("edit", "stability", "edit/remove-background", "remove-background", "Remove background",
     IMG, 5, "0.05"),
    ("edit", "stability", "edit/replace-background-and-relight",
     "replace-background-and-relight", "Replace background and relight", IMG, 8, "0.08"),
    ("upscale", "stability", "upscale/fast", "fast", "Fast upscale", IMG, 2, "0.02"),
    ("upscale", "stability", "upscale/conservative", "conservative", "Conservative upscale", IMG,
     40, "0.40"),
    ("upscale", "stability", "upscale/creative", "creative", "Creative upscale", IMG, 60, "0.60"),
    ("control", "stability", "control/sketch", "sketch", "Sketch to image", IMG, 5, "0.05"),
    ("control", "stability", "control/structure", "structure", "Structure", IMG, 5, "0.05"),
    ("control", "stability", "control/style", "style", "Style guide", IMG, 5, "0.05"),
    ("control", "stability", "control/style-transfer", "style-transfer", "Style transfer", IMG, 8,
     "0.08"),
    ("3d", "stability", "3d/stable-fast-3d", "stable-fast-3d", "Stable Fast 3D", CALL, 10, "0.10"),
    # WaveSpeed AI: dollars per image/second/call from the seeds, rounded up to credits.
    ("generate", "wavespeed", "ideogram-ai/ideogram-v3-turbo", "ideogram-v3-turbo",
     "Ideogram V3 Turbo", IMG, 10, "0.10"),
    ("generate", "wavespeed", "wavespeed-ai/qwen-image/text-to-image", "qwen-image",
     "Qwen Image", IMG, 5, "0.05"),
    ("generate", "wavespeed", "wavespeed-ai/wan-2.2/text-to-image-realism", "wan-2.2-realism",
     "WAN 2.2 Realism", IMG, 3, "0.025"),
    ("generate", "wavespeed", "wavespeed-ai/flux-kontext-pro/text-to-image", "flux-kontext-pro",
     "FLUX Kontext Pro", IMG, 4, "0.04"),
    ("edit", "wavespeed", "wavespeed-ai/qwen-image/edit", "qwen-image-edit", "Qwen Image Edit",
     IMG, 2, "0.02"),
    ("edit", "wavespeed", "wavespeed-ai/qwen-image/edit-plus", "qwen-image-edit-plus",
     "Qwen Image Edit Plus", IMG, 2, "0.02"),
    ("edit", "wavespeed", "wavespeed-ai/step1x-edit", "step1x-edit", "Step1X Edit", IMG, 3,
     "0.03"),
    ("edit", "wavespeed", "wavespeed-ai/hidream-e1-full", "hidream-e1", "HiDream E1", IMG, 3,
     "0.024"),
    ("edit", "wavespeed", "bytedance/seededit-v3", "seededit-v3", "SeedEdit V3", IMG, 3, "0.027"),
    ("edit", "wavespeed", "alibaba/wan-2.5/image-edit", "wan-2.5-edit", "WAN 2.5 Image Edit",
     IMG, 4, "0.035"),
    ("edit", "wavespeed", "wavespeed-ai/flux-kontext-pro", "flux-kontext-pro",
     "FLUX Kontext Pro", IMG, 4, "0.04"),
    ("edit", "wavespeed", "wavespeed-ai/flux-kontext-max", "flux-kontext-max",
     "FLUX Kontext Max", IMG, 8, "0.08"),
    ("edit", "wavespeed", "google/nano-banana-pro/edit-ultra", "nano-banana-pro",
     "Nano Banana Pro", IMG, 15, "0.15"),
    ("edit", "wavespeed", "openai/gpt-image-1", "gpt-image-1", "GPT Image 1", IMG, 25, "0.25"),
    ("edit", "wavespeed", "ideogram-ai/ideogram-character", "ideogram-character",
     "Ideogram Character", IMG, 20, "0.20"),
    ("edit", "wavespeed", "wavespeed-ai/image-eraser", "image-eraser", "Eraser", IMG, 3, "0.025"),
    ("edit", "wavespeed", "bria/expand", "bria-expand", "Bria Expand", IMG, 4, "0.04"),
    ("edit", "wavespeed", "bria/generate-background", "bria-background", "Bria Background",
     IMG, 4, "0.04"),
    ("edit", "wavespeed", "wavespeed-ai/image-zoom-out", "zoom-out", "Zoom out", IMG, 2, "0.02"),
    ("edit", "wavespeed", "wavespeed-ai/image-text-remover", "text-remover", "Text remover", IMG,
     15, "0.15"),
    ("upscale", "wavespeed", "wavespeed-ai/image-upscaler", "image-upscaler", "Image Upscaler",
     IMG, 1, "0.01"),
    ("upscale", "wavespeed", "bria/increase-resolution", "bria-upscale", "Bria upscale", IMG, 4,
     "0.04"),
    ("upscale", "wavespeed", "wavespeed-ai/ultimate-image-upscaler", "ultimate-upscaler",
     "Ultimate upscaler", IMG, 6, "0.06"),
    ("faceswap", "wavespeed", "wavespeed-ai/image-face-swap", "face-swap", "Face swap", IMG, 1,
     "0.01"),
    ("faceswap", "wavespeed", "wavespeed-ai/image-face-swap-pro", "face-swap-pro",
     "Face swap Pro", IMG, 3, "0.025"),
    ("faceswap", "wavespeed", "wavespeed-ai/image-head-swap", "head-swap", "Head swap", IMG, 3,
     "0.025"),
    ("faceswap", "wavespeed", "wavespeed-ai/infinite-you", "infinite-you", "InfiniteYou", IMG, 5,
     "0.05"),
    ("faceswap", "wavespeed", "akool/image-face-swap", "akool-face-swap", "Multi-face swap", IMG,
     16, "0.16"),
    ("translate", "wavespeed", "wavespeed-ai/image-translator", "image-translator",
     "Image translator", IMG, 15, "0.15"),
    ("translate", "wavespeed", "alibaba/qwen-image/translate", "qwen-translate",
     "Qwen image translate", IMG, 1, "0.01"),
    ("caption", "wavespeed", "wavespeed-ai/image-captioner", "image-captioner", "Captioner",
     IMG, 1, "0.001"),
    ("3d", "wavespeed", "wavespeed-ai/sam-3d-objects", "sam-3d-objects", "SAM 3D Objects", CALL,
     2, "0.02"),
    ("3d", "wavespeed", "wavespeed-ai/hunyuan3d-v3/image-to-3d", "hunyuan3d-v3",
     "Hunyuan3D V3", CALL, 25, "0.25"),
    ("3d", "wavespeed", "tripo3d/v2.5/image-to-3d", "tripo3d", "Tripo3D V2.5", CALL, 30, "0.30"),
    ("3d", "wavespeed", "wavespeed-ai/hunyuan3d-v3/sketch-to-3d", "hunyuan3d-v3-sketch",
     "Hunyuan3D V3 sketch", CALL, 38, "0.375"),
]

# Video per second: (short key, model path, label, lines, credits/s, USD/s, minimum seconds)
VIDEO = [
    ("video", "wan-2.5-480p", "alibaba/wan-2.5/image-to-video", "WAN 2.5 video 480p", 480, 5,
     "0.05", 5),
    ("video", "wan-2.5-720p", "alibaba/wan-2.5/image-to-video", "WAN 2.5 video 720p", 720, 10,
     "0.10", 5),
    ("video", "wan-2.5-1080p", "alibaba/wan-2.5/image-to-video", "WAN 2.5 video 1080p", 1080,
     15, "0.15", 5),
    ("avatar", "infinitetalk-480p", "wavespeed-ai/infinitetalk", "InfiniteTalk 480p", 480, 3,
     "0.03", 5),
    ("avatar", "infinitetalk-720p", "wavespeed-ai/infinitetalk", "InfiniteTalk 720p", 720, 6,
     "0.06", 5),
]
# fmt: on


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    CreditPack = apps.get_model("billing", "CreditPack")
    OperationPrice = apps.get_model("billing", "OperationPrice")
    for plan in PLANS:
        values = {
            **plan,
            "monthly_price": Decimal(plan["monthly_price"]),
            "yearly_price": Decimal(plan["yearly_price"]),
        }
        Plan.objects.get_or_create(slug=values.pop("slug"), defaults=values)
    for slug, name, kind, credits, price in PACKS:
        CreditPack.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "kind": kind, "credits": credits, "price": Decimal(price)},
        )
    for operation, provider, model, short, label, unit, credits, cost in PRICES:
        key = f"{operation}-{provider}-{short}" if short else operation
        OperationPrice.objects.get_or_create(
            key=key,
            defaults={
                "operation": operation,
                "provider": provider,
                "model": model,
                "label": label,
                "unit": unit,
                "credits": credits,
                "provider_cost": Decimal(cost),
            },
        )
    for operation, short, model, label, lines, credits, cost, minimum in VIDEO:
        OperationPrice.objects.get_or_create(
            key=f"{operation}-wavespeed-{short}",
            defaults={
                "operation": operation,
                "provider": "wavespeed",
                "model": model,
                "label": label,
                "unit": SEC,
                "credits": credits,
                "provider_cost": Decimal(cost),
                "video_resolution": lines,
                "minimum_units": minimum,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
