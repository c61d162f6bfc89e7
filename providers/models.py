"""The model registry: every AI model we offer, what it can do, what it accepts, what it costs.

A registry row extends one billing.OperationPrice (one-to-one): the price row holds the key a
spec starts with ("generate-stability-core"), the provider, the provider's model path, the
label, our credit price and the provider's list price; the registry row adds the capability,
quality tier, typical speed, input limits and accepted parameters. Both are data, seeded by
migration 0002 from shared/PROVIDERS.md and the providers' documentation, and edited by staff
in the admin.
"""

from __future__ import annotations

from importlib import import_module

from django.db import models

from billing.models import OperationPrice
from billing.models.catalog import seed_catalog

#: Data migrations that change seeded registry rows, applied again after a re-seed (in order).
REGISTRY_UPDATES = ("providers.migrations.0003_upscaler_resolution_alpha_masks",)


def seed_registry() -> None:
    """Write the registry of migration 0002 (and its prices) where rows are missing, then apply
    the later data migrations' changes to it (REGISTRY_UPDATES), as a migrated database has them."""
    from django.apps import apps

    seed_catalog()
    import_module("providers.migrations.0002_seed_registry").seed(apps, None)
    for name in REGISTRY_UPDATES:
        import_module(name).update(apps, None)


class AIModelQuerySet(models.QuerySet["AIModel"]):
    def ensure_seeded(self) -> None:
        """Seed an empty registry again (a test database flushed after a transactional test)."""
        if not AIModel.objects.exists():
            seed_registry()

    def offered(self) -> AIModelQuerySet:
        """Return the models staff offer (both the registry row and its price active)."""
        self.ensure_seeded()
        return self.filter(offered=True, price__active=True).select_related("price")

    def for_capability(self, capability: str, kind: str | None = None) -> AIModelQuerySet:
        """Return offered models of a capability ("edit") and, if given, kind ("inpaint")."""
        qs = self.offered().filter(capability=capability)
        return qs.filter(kind=kind) if kind is not None else qs


class AIModel(models.Model):
    """One model we offer, on top of its price row (billing.OperationPrice)."""

    class Capability(models.TextChoices):
        GENERATE = "generate", "Text to image"
        EDIT = "edit", "Edit"
        UPSCALE = "upscale", "Upscale"
        CONTROL = "control", "Control"
        VIDEO = "video", "Image to video"
        AVATAR = "avatar", "Talking avatar"
        THREE_D = "3d", "3D model"
        FACESWAP = "faceswap", "Face swap"
        CAPTION = "caption", "Caption"

    class Tier(models.TextChoices):
        BUDGET = "budget", "Budget"
        BALANCED = "balanced", "Balanced"
        QUALITY = "quality", "Quality"

    price = models.OneToOneField(
        OperationPrice,
        models.PROTECT,
        related_name="ai_model",
        help_text="Key, provider, model path, label and credits live on the price row.",
    )
    capability = models.CharField(max_length=20, choices=Capability.choices)
    kind = models.CharField(
        max_length=40,
        blank=True,
        help_text='Edit, upscale or control kind: "inpaint", "erase", "prompt", "creative", '
        '"sketch"... Empty for generation.',
    )
    description = models.CharField(max_length=200, blank=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.BALANCED)
    typical_seconds = models.PositiveIntegerField(
        default=10, help_text="Typical wall time of one output, seconds (shown to users)."
    )
    min_pixels = models.PositiveIntegerField(
        default=0, help_text="Smallest input, width × height pixels; 0: no limit."
    )
    max_pixels = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Largest input, width × height pixels; empty: no limit."
    )
    min_side = models.PositiveIntegerField(default=0, help_text="Shortest side allowed, pixels.")
    max_side = models.PositiveIntegerField(
        null=True, blank=True, help_text="Longest side allowed, pixels; empty: no limit."
    )
    min_aspect = models.FloatField(
        null=True, blank=True, help_text="Narrowest input, width / height (1:2.5 is 0.4)."
    )
    max_aspect = models.FloatField(
        null=True, blank=True, help_text="Widest input, width / height (2.5:1 is 2.5)."
    )
    max_input_bytes = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Largest input file, bytes; empty: no limit."
    )
    input_formats = models.JSONField(
        default=list,
        blank=True,
        help_text='Pillow format names accepted as input, e.g. ["JPEG", "PNG", "WEBP"]; '
        "empty: any; other formats are converted to PNG before sending.",
    )
    params = models.JSONField(
        default=list,
        blank=True,
        help_text="Spec steps and texts the model accepts: aspect, style, seed, strength, "
        "fidelity, creativity, grow, left, right, up, down, factor, resolution, format, "
        "prompt, negative_prompt, search_prompt, select_prompt, style_image.",
    )
    requires = models.JSONField(
        default=list,
        blank=True,
        help_text='What a job must give: "image", "mask", "mask_or_alpha" (a mask, or '
        'an image with transparency), "prompt", "search_prompt", "select_prompt", '
        '"style_image".',
    )
    max_output_pixels = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Upscalers: largest result, pixels; empty: no limit."
    )
    upscale_factor = models.FloatField(
        null=True,
        blank=True,
        help_text="Upscalers with a fixed factor (Stability fast: 4); empty: chosen by the user "
        "or a fixed output size (Stability conservative/creative: up to 4 MP).",
    )
    sort = models.PositiveSmallIntegerField(default=100, help_text="Order in pickers.")
    offered = models.BooleanField(
        default=True, help_text="Shown in the studios; off hides it without deleting its price."
    )

    objects = AIModelQuerySet.as_manager()

    class Meta:
        ordering = ["capability", "kind", "sort", "id"]
        verbose_name = "AI model"

    def __str__(self) -> str:
        return f"{self.price.label} ({self.provider})"

    @property
    def key(self) -> str:
        """Return what a spec starts with, e.g. "generate-stability-core"."""
        return self.price.key

    @property
    def provider(self) -> str:
        return self.price.provider

    @property
    def model(self) -> str:
        """Return the provider's own model path, e.g. "generate/core"."""
        return self.price.model

    @property
    def label(self) -> str:
        return self.price.label

    @property
    def credits(self) -> int:
        return self.price.credits

    def refuses_input(self, *, width: int, height: int, size: int, format: str = "") -> str | None:
        """Return why an input of width × height pixels and ``size`` bytes cannot be sent, or None.

        Limits are the registry's (seeded from the provider's documented input limits).
        """
        pixels = width * height
        name = self.label
        if self.min_pixels and pixels < self.min_pixels:
            return f"{name} needs at least {self.min_pixels:,} pixels; this image has {pixels:,}."
        if self.max_pixels and pixels > self.max_pixels:
            return (
                f"{name} takes at most {self.max_pixels / 1e6:.1f} megapixels; this image has "
                f"{pixels / 1e6:.1f}. Resize it first."
            )
        if self.min_side and min(width, height) < self.min_side:
            return f"{name} needs sides of at least {self.min_side} px."
        if self.max_side and max(width, height) > self.max_side:
            return f"{name} takes sides up to {self.max_side} px; this image is {width}×{height}."
        aspect = width / height
        if self.min_aspect and aspect < self.min_aspect - 1e-6:
            return f"{name} cannot take an image this tall ({width}×{height}); crop it first."
        if self.max_aspect and aspect > self.max_aspect + 1e-6:
            return f"{name} cannot take an image this wide ({width}×{height}); crop it first."
        if self.max_input_bytes and size > self.max_input_bytes:
            return (
                f"{name} takes files up to {self.max_input_bytes / 1_048_576:.0f} MB; compress "
                "this one first."
            )
        return None
