"""Workflows that span storage and the database: storing uploads and renditions, thumbnails."""

from __future__ import annotations

import hashlib
import io
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction

from accounts.models import Workspace
from assets.checks import DecodeBudget, check_in_request, publish_after_commit
from assets.models import FORMAT_FILES, Asset
from studio.imaging.errors import ImageError
from studio.imaging.load import decode, probe


class UploadError(ValueError):
    """An upload refused before it was stored; str() is the message for the user."""


def _sha256(fp: IO[bytes]) -> str:
    digest = hashlib.sha256()
    fp.seek(0)
    for chunk in iter(lambda: fp.read(1024 * 1024), b""):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def _clean_filename(name: str) -> str:
    """Return a display name: the last path component, without control characters."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "image"


def store_upload(
    *, workspace: Workspace, user, upload: File, budget: DecodeBudget | None = None
) -> Asset:
    """Validate an uploaded file by its content and store it unchanged as an original asset.

    Checks, in order: size against STUDIO_MAX_UPLOAD_BYTES, then the headers (format one of
    JPEG/PNG/WebP/AVIF/GIF/TIFF/BMP/HEIF, pixel count against STUDIO_MAX_PIXELS, HEIF/AVIF
    item extents against the file's length), then the pixels where that fits ``budget``
    (bytes of decoding left for this request; default a fresh STUDIO_UPLOAD_DECODE_BUDGET_BYTES):
    the asset is then "ready", else "pending" until a worker decodes it (assets.checks).
    Raises UploadError with a message naming the file and what to do. The worker's check is
    published after commit; a broker that is down never fails the upload.
    """
    display_name = _clean_filename(upload.name or "image")
    limit = settings.STUDIO_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise UploadError(
            f"{display_name} is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.0f} MB per file. Export it smaller and try again."
        )
    if not upload.size:
        raise UploadError(f"{display_name} is empty.")
    try:
        upload.seek(0)
        info = probe(upload, max_pixels=settings.STUDIO_MAX_PIXELS)
        # Headers can be whole while the pixel data is cut short: decode to be sure, here if
        # it is cheap (JPEG's 1/8 DCT draft, small images), else on a worker.
        status = check_in_request(upload, info, budget or DecodeBudget.for_request())
    except ImageError as exc:
        raise UploadError(f"{display_name}: {exc}") from None
    extension, mime_type = FORMAT_FILES[info.format]
    stem = PurePosixPath(display_name).stem or "image"
    asset = Asset(
        workspace=workspace,
        created_by=user,
        kind=Asset.Kind.ORIGINAL,
        module=Asset.Module.UPLOAD,
        filename=f"{stem}{extension}",
        format=info.format,
        mime_type=mime_type,
        width=info.width,
        height=info.height,
        bytes=upload.size,
        sha256=_sha256(upload),
        color_mode=info.mode,
        has_alpha=info.has_alpha,
        orientation=info.orientation,
        has_gps=info.has_gps,
        frames=info.frames,
        status=status,
    )
    upload.seek(0)
    asset.file.save("upload", upload, save=False)
    asset.save()
    publish_after_commit([asset.pk])
    return asset


# Pillow format names for the formats the spec language writes.
_OUTPUT_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}


def store_rendition(*, source: Asset, spec: str, rendition, module: str, user) -> Asset:
    """Store a rendition of ``source`` made by ``spec``; reuse the existing one for that pair.

    ``rendition`` is a studio.specs.Rendition (data, width, height, format, notes, ...).
    Renditions are unique on (source, spec), as in Wagtail: asking again returns the first,
    and so does losing a race to store the same pair (the loser's row is rolled back; its
    file has the same key as the winner's, named by source and spec, so nothing is orphaned).
    """
    existing = Asset.objects.filter(derived_from=source, spec=spec, provider="").first()
    if existing is not None:
        return existing
    data = rendition.data
    info = probe(io.BytesIO(data), max_pixels=settings.STUDIO_MAX_PIXELS)
    pillow_format = _OUTPUT_FORMATS[rendition.format]
    extension, mime_type = FORMAT_FILES[pillow_format]
    stem = PurePosixPath(source.filename).stem
    slug = spec.replace("|", "_").replace(",", "_")[:80]
    asset = Asset(
        workspace=source.workspace,
        created_by=user,
        kind=Asset.Kind.DERIVED,
        module=module,
        filename=f"{stem}.{slug}{extension}",
        format=pillow_format,
        mime_type=mime_type,
        width=rendition.width,
        height=rendition.height,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        color_mode=info.mode,
        has_alpha=info.has_alpha,
        derived_from=source,
        spec=spec,
        details={
            "quality": rendition.quality,
            "encodes": rendition.encodes,
            "notes": list(rendition.notes),
        },
    )
    asset.storage_name = (
        f"renditions/{source.code.hex}/{hashlib.sha256(spec.encode()).hexdigest()[:32]}"
    )
    asset.file.save("rendition", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        winner = Asset.objects.get(derived_from=source, spec=spec, provider="")
        if winner.file.name != asset.file.name:
            asset.file.delete(save=False)
        return winner
    return asset


def store_generated(
    *,
    workspace: Workspace,
    user,
    data: bytes,
    source: Asset | None,
    spec: str,
    module: str,
    provider: str,
    model: str,
    prompt: str = "",
    seed: int | None = None,
    cost_credits: int | None = None,
    details: dict | None = None,
    storage_name: str = "",
) -> Asset:
    """Validate a provider's output by its content, like an upload, and store it as an asset.

    ``source`` is the input it was made from (None for text-to-image). The bytes must be a
    whole image in one of FORMAT_FILES' formats within STUDIO_MAX_PIXELS (headers probed,
    pixels decoded); raises UploadError with a message otherwise, and nothing is stored.
    ``storage_name`` (e.g. ``jobs/<job>/<slot>``) names the object instead of a random UUID,
    so storing the same output again replaces it (assets.models.object_key).
    """
    try:
        info = probe(io.BytesIO(data), max_pixels=settings.STUDIO_MAX_PIXELS)
        decode(io.BytesIO(data), max_pixels=settings.STUDIO_MAX_PIXELS, min_size=(1, 1))
    except ImageError as exc:
        raise UploadError(f"The {provider} result is not a usable image: {exc}") from None
    extension, mime_type = FORMAT_FILES[info.format]
    stem = PurePosixPath(source.filename).stem if source else _prompt_stem(prompt)
    slug = spec.split("|", 1)[0][:60]
    asset = Asset(
        workspace=workspace,
        created_by=user,
        kind=Asset.Kind.DERIVED if source else Asset.Kind.ORIGINAL,
        module=module,
        filename=f"{stem}.{slug}{extension}",
        format=info.format,
        mime_type=mime_type,
        width=info.width,
        height=info.height,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        color_mode=info.mode,
        has_alpha=info.has_alpha,
        orientation=info.orientation,
        derived_from=source,
        spec=spec,
        details=details or {},
        provider=provider,
        ai_model=model,
        prompt=prompt,
        seed=seed,
        cost_credits=cost_credits,
    )
    asset.storage_name = storage_name
    asset.file.save("generated", ContentFile(data), save=False)
    asset.save()
    return asset


def _prompt_stem(prompt: str) -> str:
    """Return a file-name stem from the first words of a prompt ("a-red-fox-at-dawn")."""
    words = "".join(ch if ch.isalnum() else " " for ch in prompt.lower()).split()
    return "-".join(words[:6])[:60] or "generated"


def make_thumbnail(asset: Asset, *, max_decode_bytes: int | None = None) -> None:
    """Render the library thumbnail (STUDIO_THUMBNAIL_SPEC) of an asset and store it.

    max_decode_bytes: refuse (ImageError) a decode estimated above this many bytes before
    reading pixels (studio.imaging.budget); None for no budget. Raises ImageError for a file
    that does not decode.
    """
    from studio.specs import parse, render_all

    spec = parse(settings.STUDIO_THUMBNAIL_SPEC)
    with asset.file.open("rb") as fp:
        data = io.BytesIO(fp.read())
    (thumb,) = render_all(
        data, [spec], max_pixels=settings.STUDIO_MAX_PIXELS, max_decode_bytes=max_decode_bytes
    )
    if asset.thumbnail:
        asset.thumbnail.delete(save=False)
    asset.thumbnail.save("thumb", ContentFile(thumb.data), save=False)
    Asset.objects.filter(pk=asset.pk).update(thumbnail=asset.thumbnail.name)
