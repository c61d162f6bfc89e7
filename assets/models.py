"""Assets: uploaded originals (immutable) and the renditions derived from them."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Workspace

# Extension and MIME type per decoded format (Pillow's format names).
FORMAT_FILES: dict[str, tuple[str, str]] = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "AVIF": (".avif", "image/avif"),
    "GIF": (".gif", "image/gif"),
    "TIFF": (".tif", "image/tiff"),
    "BMP": (".bmp", "image/bmp"),
    "HEIF": (".heic", "image/heic"),
}


def object_key(asset: Asset, filename: str) -> str:
    """Return a server-made storage key: workspace prefix, a name, the format's extension.

    The name is the asset's ``storage_name`` when the service storing it set one (a job's
    output: the same for every run of the same slot, so a resumed run replaces its own
    object instead of leaving an orphan), else a random UUID. The client's file name is never
    part of the key; ``filename`` is only used by Django's upload_to protocol and ignored.
    """
    extension = FORMAT_FILES.get(asset.format, (PurePosixPath(filename).suffix.lower(), ""))[0]
    name = getattr(asset, "storage_name", "") or uuid.uuid4().hex
    return f"ws/{asset.workspace.code}/{name}{extension}"


def thumbnail_key(asset: Asset, filename: str) -> str:
    """Return the storage key of an asset's thumbnail: one per asset, replaced when remade."""
    return f"ws/{asset.workspace.code}/thumbs/{asset.code.hex}.webp"


class AssetQuerySet(models.QuerySet["Asset"]):
    def for_workspace(self, workspace: Workspace) -> AssetQuerySet:
        return self.filter(workspace=workspace)

    def for_user(self, user) -> AssetQuerySet:
        """Return the assets in any workspace the user belongs to."""
        return self.filter(workspace__memberships__user=user)

    def usable(self) -> AssetQuerySet:
        """Return the assets whose pixels are known good: the only ones a job may take.

        Excludes uploads still being checked by a worker (status "pending") and refused ones.
        """
        return self.filter(status=Asset.Status.READY)

    def listed(self) -> AssetQuerySet:
        """Return the assets the library shows: ready ones and uploads still being checked."""
        return self.exclude(status=Asset.Status.REFUSED)

    def awaiting_check(self) -> AssetQuerySet:
        """Return the uploads no worker has finished checking (the thumbnail outbox).

        A worker's check decodes the file, makes its thumbnail and sets ``checked_at``; until
        then the row is the outbox entry that assets.tasks.sweep_unchecked_uploads re-sends.
        """
        return self.filter(
            module=Asset.Module.UPLOAD, kind=Asset.Kind.ORIGINAL, checked_at__isnull=True
        ).exclude(status=Asset.Status.REFUSED)


class Asset(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Being checked"  # too heavy for the web process: a worker decides
        READY = "ready", "Ready"
        REFUSED = "refused", "Refused"  # its pixels could not be decoded; the file is deleted

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        DERIVED = "derived", "Derived"

    class Module(models.TextChoices):
        UPLOAD = "upload", "Upload"
        SOCIAL = "social", "Social Optimizer"
        COMPRESS = "compress", "Compression Studio"
        CREATE = "create", "Create Studio"
        EDIT = "edit", "Edit Studio"
        UPSCALE = "upscale", "Upscale Studio"
        CONTROL = "control", "Control Studio"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="assets")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    module = models.CharField(max_length=20, choices=Module.choices, default=Module.UPLOAD)
    file = models.FileField(upload_to=object_key, max_length=255)
    filename = models.CharField(max_length=255, help_text="Name shown to the user and on download.")
    format = models.CharField(max_length=10)
    mime_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField(help_text="Pixels, after EXIF orientation.")
    height = models.PositiveIntegerField(help_text="Pixels, after EXIF orientation.")
    bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    color_mode = models.CharField(max_length=10)
    has_alpha = models.BooleanField(default=False)
    orientation = models.PositiveSmallIntegerField(default=1, help_text="EXIF orientation 1-8.")
    has_gps = models.BooleanField(default=False)
    frames = models.PositiveIntegerField(default=1)
    derived_from = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="derivatives"
    )
    spec = models.CharField(max_length=500, blank=True, help_text="The recipe that made it.")
    details = models.JSONField(
        default=dict, blank=True, help_text="Rendition facts: quality, encodes, notes."
    )
    thumbnail = models.FileField(upload_to=thumbnail_key, max_length=255, blank=True)
    # Made by an AI model (empty for uploads and the foundation's renditions).
    provider = models.CharField(max_length=30, blank=True, help_text='"stability", "local"...')
    ai_model = models.CharField(max_length=120, blank=True, help_text="The provider's model path.")
    prompt = models.TextField(blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    cost_credits = models.PositiveIntegerField(
        null=True, blank=True, help_text="Credits charged for making this file."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Whether the pixels decode (uploads: checked in the request when cheap, else by a worker).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    refusal = models.TextField(blank=True, help_text="Why the file was refused, for its owner.")
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker decoded it and made its thumbnail."
    )
    check_published_at = models.DateTimeField(
        null=True, blank=True, help_text="When its check was last handed to the broker."
    )
    check_deliveries = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker took its check (a file that kills workers stops)."
    )

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"]),
            models.Index(fields=["workspace", "sha256"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(checked_at__isnull=True, module="upload"),
                name="asset_awaiting_check",
            ),
        ]
        constraints = [
            # Renditions are unique on (source, spec), as in Wagtail; AI results are not
            # (the same recipe with another prompt or seed makes another image).
            models.UniqueConstraint(
                fields=["derived_from", "spec"],
                condition=models.Q(derived_from__isnull=False, provider=""),
                name="one_rendition_per_source_and_spec",
            )
        ]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("assets-detail", args=[self.code])

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000

    @property
    def extension(self) -> str:
        return FORMAT_FILES.get(self.format, ("", ""))[0]
