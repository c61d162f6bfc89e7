"""Price the models the AI studios add, and open the studios to the plans.

New prices: local models (free, like the foundation's operations), Hugging Face and Gemini,
and Stability's 3D. Hugging Face FLUX.1-dev is billed by compute time; about $0.025 an image is
assumed. Gemini 2.5 Flash Image is $0.039 an image (1 290 output tokens at $30 per million).

Free gets the Edit and Upscale studios (its models stay "local/*" and Stability Core, so the
embedded default can erase and upscale locally); Basic, which includes "all generation
models", gets Hugging Face and Gemini. Rows staff changed keep their other values.
"""

from decimal import Decimal

from django.db import migrations

IMG, CALL = "per_image", "per_call"

# New prices: (operation, provider, model path, short key, label, unit, credits, USD per unit)
NEW_PRICES = [
    (
        "upscale",
        "local",
        "upscale/lanczos",
        "lanczos",
        "Lanczos upscale with sharpening",
        IMG,
        0,
        "0",
    ),
    ("edit", "local", "edit/erase", "erase", "Erase (OpenCV inpainting)", IMG, 0, "0"),
    ("3d", "stability", "3d/stable-fast-3d", "stable-fast-3d", "Stable Fast 3D", CALL, 10, "0.10"),
    (
        "generate",
        "huggingface",
        "black-forest-labs/FLUX.1-dev",
        "flux-dev",
        "FLUX.1 dev (Hugging Face)",
        IMG,
        3,
        "0.025",
    ),
    (
        "edit",
        "huggingface",
        "black-forest-labs/FLUX.1-Kontext-dev",
        "flux-kontext-dev",
        "FLUX.1 Kontext (Hugging Face)",
        IMG,
        3,
        "0.025",
    ),
    (
        "generate",
        "gemini",
        "gemini-2.5-flash-image",
        "flash-image",
        "Gemini 2.5 Flash Image",
        IMG,
        4,
        "0.039",
    ),
    (
        "edit",
        "gemini",
        "gemini-2.5-flash-image",
        "flash-image",
        "Gemini 2.5 Flash Image edit",
        IMG,
        4,
        "0.039",
    ),
]

CHANGES = [
    # (plan slug, operations to add, model patterns to add)
    ("free", ["edit", "upscale"], []),
    ("basic", [], ["huggingface/*", "gemini/*"]),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    OperationPrice = apps.get_model("billing", "OperationPrice")
    for operation, provider, model, short, label, unit, credits, cost in NEW_PRICES:
        OperationPrice.objects.get_or_create(
            key=f"{operation}-{provider}-{short}",
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
    for slug, operations, models in CHANGES:
        plan = Plan.objects.filter(slug=slug).first()
        if plan is None:
            continue
        plan.allowed_operations += [o for o in operations if o not in plan.allowed_operations]
        plan.allowed_models += [m for m in models if m not in plan.allowed_models]
        plan.save(update_fields=["allowed_operations", "allowed_models"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_seed_catalog")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
