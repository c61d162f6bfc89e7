"""Responses that hand stored files to the browser: one asset, or several as a ZIP."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from assets.models import Asset

# Above this size the ZIP spills from memory to a temporary file.
_SPOOL_BYTES = 32 * 1024 * 1024


def _is_local(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True


def download_response(asset: Asset, *, inline: bool = False) -> HttpResponse:
    """Return the asset's file: a redirect to a short-lived presigned URL, or a stream.

    On S3 storage the URL expires after STUDIO_DOWNLOAD_URL_SECONDS (django-storages'
    querystring_expire) and asks S3 to send the user's file name; local storage streams.
    """
    storage = asset.file.storage
    disposition = "inline" if inline else "attachment"
    if _is_local(storage):
        return FileResponse(
            asset.file.open("rb"),
            as_attachment=not inline,
            filename=asset.filename,
            content_type=asset.mime_type,
        )
    safe_name = asset.filename.replace('"', "")
    url = storage.url(
        asset.file.name,
        parameters={
            "ResponseContentDisposition": f'{disposition}; filename="{safe_name}"',
            "ResponseContentType": asset.mime_type,
        },
    )
    return HttpResponseRedirect(url)


def thumbnail_src(asset: Asset) -> str:
    """Return the URL an <img> loads the asset's thumbnail (WebP) from.

    On S3 storage a presigned URL of the object itself (signed here, no request to S3; valid
    for STUDIO_DOWNLOAD_URL_SECONDS), so a library page of 24 tiles costs no Django request per
    tile; on local storage the thumbnail view, which streams it. The page showing it is the
    access check: it lists only the user's own assets.
    """
    storage = asset.thumbnail.storage
    if _is_local(storage):
        return reverse("assets-thumbnail", args=[asset.code])
    return storage.url(asset.thumbnail.name, parameters={"ResponseContentType": "image/webp"})


def thumbnail_response(asset: Asset) -> HttpResponse:
    """Return the asset's thumbnail (WebP) the same way as downloads, for <img> tags."""
    storage = asset.thumbnail.storage
    if _is_local(storage):
        response = FileResponse(asset.thumbnail.open("rb"), content_type="image/webp")
    else:
        response = HttpResponseRedirect(
            storage.url(asset.thumbnail.name, parameters={"ResponseContentType": "image/webp"})
        )
    response["Cache-Control"] = "private, max-age=240"
    return response


def zip_response(assets: Iterable[Asset], *, filename: str) -> FileResponse:
    """Stream the given assets as one ZIP archive; duplicate names get a numbered suffix.

    Images are already compressed, so entries are stored (ZIP_STORED), not deflated again.
    At most STUDIO_ZIP_MAX_FILES entries; callers limit selections before calling.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    used: set[str] = set()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for asset in list(assets)[: settings.STUDIO_ZIP_MAX_FILES]:
            name = _unique_name(asset.filename, used)
            with asset.file.open("rb") as source, archive.open(name, "w") as target:
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    target.write(chunk)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type="application/zip"
    )


def _unique_name(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    path = PurePosixPath(name)
    while candidate in used:
        n += 1
        candidate = f"{path.stem}-{n}{path.suffix}"
    used.add(candidate)
    return candidate
