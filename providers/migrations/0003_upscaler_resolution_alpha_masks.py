"""The WaveSpeed upscalers take a target resolution; Stability erase and inpaint take alpha masks.

* ``upscale-wavespeed-image-upscaler`` and ``upscale-wavespeed-ultimate-upscaler`` make a set
  size, ``target_resolution`` 2k | 4k | 8k (their model pages; studio.ai_steps.MODEL_LIMITS
  refuses ``factor-N`` for them): their params change from "factor" to "resolution".
* ``edit-stability-erase`` and ``edit-stability-inpaint`` derive the mask from the image's alpha
  channel when none is sent (Stability API reference, "mask"; providers.stability_endpoints):
  they require "mask_or_alpha" (a painted mask, or a source with transparency) instead of "mask".

providers.models.seed_registry applies :func:`update` after migration 0002's seed, so a flushed
test database is seeded with these values too.
"""

from django.db import migrations, models

#: Registry key -> (field, old value, new value).
CHANGES = {
    "upscale-wavespeed-image-upscaler": ("params", "factor", "resolution"),
    "upscale-wavespeed-ultimate-upscaler": ("params", "factor", "resolution"),
    "edit-stability-erase": ("requires", "mask", "mask_or_alpha"),
    "edit-stability-inpaint": ("requires", "mask", "mask_or_alpha"),
}


def _apply(apps, *, forward: bool) -> None:
    AIModel = apps.get_model("providers", "AIModel")
    for model in AIModel.objects.filter(price__key__in=CHANGES).select_related("price"):
        field, old, new = CHANGES[model.price.key]
        if not forward:
            old, new = new, old
        values = list(getattr(model, field))
        if old not in values:
            continue  # edited by staff, or already changed
        changed = list(dict.fromkeys(new if value == old else value for value in values))
        setattr(model, field, changed)
        model.save(update_fields=[field])


def update(apps, schema_editor) -> None:
    _apply(apps, forward=True)


def revert(apps, schema_editor) -> None:
    _apply(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [("providers", "0002_seed_registry")]

    operations = [
        migrations.AlterField(
            model_name="aimodel",
            name="params",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Spec steps and texts the model accepts: aspect, style, seed, strength, "
                "fidelity, creativity, grow, left, right, up, down, factor, resolution, format, "
                "prompt, negative_prompt, search_prompt, select_prompt, style_image.",
            ),
        ),
        migrations.AlterField(
            model_name="aimodel",
            name="requires",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='What a job must give: "image", "mask", "mask_or_alpha" (a mask, or '
                'an image with transparency), "prompt", "search_prompt", "select_prompt", '
                '"style_image".',
            ),
        ),
        migrations.RunPython(update, revert),
    ]
