"""Asset pages: upload, library, detail, download, thumbnail, delete and bulk actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat, pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from accounts.http import AuthenticatedHttpRequest, current_workspace
from assets.access import get_asset_for_user, get_assets_for_user
from assets.checks import DecodeBudget
from assets.downloads import download_response, thumbnail_response, zip_response
from assets.forms import BulkForm, DownloadForm, LibraryFilterForm, UploadForm
from assets.models import Asset
from assets.services import UploadError, store_upload
from assets.uploads import LimitedUploadHandler
from studio.imaging.errors import ACCEPTED_FORMATS_TEXT
from studio.specs import SpecError, parse

#: How a viewer turns each EXIF orientation (EXIF 2.32, tag 274) upright for display.
ORIENTATIONS = {
    1: "stored upright",
    2: "mirrored left to right",
    3: "turned 180°",
    4: "mirrored top to bottom",
    5: "mirrored, then turned 90° anticlockwise",
    6: "turned 90° clockwise",
    7: "mirrored, then turned 90° clockwise",
    8: "turned 90° anticlockwise",
}

#: Thumbnails take the worker about a second; a file it cannot decode never gets one, so
#: preview placeholders stop polling once an asset is this old.
THUMBNAIL_PATIENCE = timedelta(minutes=5)

#: Room in a request body beyond the files themselves: multipart framing (a few hundred bytes
#: per file) and the CSRF token.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class UploadResult:
    """What became of one uploaded file: the stored asset, or why it was refused."""

    asset: Asset | None = None
    error: str = ""


def _size(n: int) -> str:
    """Return a byte count as people say it: "50 MB", "1.5 GB"."""
    return filesizeformat(n).replace(".0\xa0", "\xa0")


def _back(request: AuthenticatedHttpRequest, url: str) -> HttpResponse:
    """Redirect to ``url``: a full-page redirect for HTMX requests too."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def library(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the workspace's assets, filtered and paginated; HTMX gets only the results."""
    form = LibraryFilterForm(request.GET)
    assets = form.filter(Asset.objects.for_workspace(current_workspace(request)).listed())
    page_obj = Paginator(assets, settings.STUDIO_PAGE_SIZE).get_page(form.cleaned_data.get("page"))
    context = {"form": form, "page_obj": page_obj}
    # A history restore after a cache miss needs the whole page, though it comes from htmx.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "assets/library.html#results", context)
    return render(request, "assets/library.html", context)


def _upload_page(
    request: AuthenticatedHttpRequest,
    *,
    results: list[UploadResult] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the upload page, or only its result list for HTMX."""
    context = {
        "form": UploadForm(),
        "results": results or [],
        "errors": errors or [],
        "limits": {
            "files": settings.STUDIO_MAX_FILES_PER_UPLOAD,
            "size": _size(settings.STUDIO_MAX_UPLOAD_BYTES),
            "megapixels": f"{settings.STUDIO_MAX_PIXELS / 1_000_000:g} MP",
            "formats": ACCEPTED_FORMATS_TEXT,
        },
    }
    template = "assets/upload.html#results" if request.htmx else "assets/upload.html"
    return render(request, template, context, status=status)


def _content_length(request: AuthenticatedHttpRequest) -> int:
    """Return the declared body size in bytes; 0 when absent or malformed, as Django reads it."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@require_http_methods(["GET", "POST"])
@csrf_exempt  # CSRF is checked by _store_uploads, once the body size is known to be sane.
@login_required
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the upload page (GET) or store the posted images (POST), one result per file.

    A body larger than STUDIO_MAX_FILES_PER_UPLOAD files of STUDIO_MAX_UPLOAD_BYTES, or than
    STUDIO_MAX_UPLOAD_REQUEST_BYTES, is refused with 413 before it is read; a file is read
    only up to STUDIO_MAX_UPLOAD_BYTES (assets.uploads.LimitedUploadHandler), then refused
    with the message of any file over the limit. CsrfViewMiddleware would read (and spool to disk) the whole
    body before any view code runs, so the view is csrf_exempt and applies csrf_protect
    itself after the size check, as Django's docs do for upload handlers ("Modifying upload
    handlers on the fly"). Too many files or form fields for Django's own limits give 400.
    """
    if request.method == "GET":
        return _upload_page(request)
    files, per_file = settings.STUDIO_MAX_FILES_PER_UPLOAD, settings.STUDIO_MAX_UPLOAD_BYTES
    body = _content_length(request)
    whole = settings.STUDIO_MAX_UPLOAD_REQUEST_BYTES
    if body > min(files * per_file + MULTIPART_OVERHEAD_BYTES, whole):
        in_all = f", {_size(whole)} in all" if whole < files * per_file else ""
        return _upload_page(
            request,
            errors=[
                f"This upload is {_size(body)}; one upload takes at most {files} "
                f"file{pluralize(files)} of up to {_size(per_file)} each{in_all}. "
                "Upload fewer or smaller files at a time."
            ],
            status=413,
        )
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=per_file))
    try:
        return _store_uploads(request)
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        return _upload_page(
            request,
            errors=[f"Too many files or fields in one upload; upload at most {files} at a time."],
            status=400,
        )


@csrf_protect
def _store_uploads(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Store each posted file; report per file (HTMX) or with messages and a redirect."""
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        return _upload_page(request, errors=errors, status=400)
    workspace = current_workspace(request)
    results = []
    budget = DecodeBudget.for_request()  # decoding this request may do, over all its files
    for image in form.cleaned_data["images"]:
        try:
            asset = store_upload(
                workspace=workspace, user=request.user, upload=image, budget=budget
            )
        except UploadError as exc:
            results.append(UploadResult(error=str(exc)))
        else:
            results.append(UploadResult(asset=asset))
    if request.htmx:
        return _upload_page(request, results=results)
    stored = sum(1 for result in results if result.asset)
    if stored:
        messages.success(request, f"Stored {stored} image{pluralize(stored)}.")
    checking = sum(1 for r in results if r.asset and r.asset.status == Asset.Status.PENDING)
    if checking:
        messages.info(
            request,
            f"{checking} of them {pluralize(checking, 'is,are')} being checked; "
            "the library shows them when they are ready.",
        )
    for result in results:
        if result.error:
            messages.error(request, result.error)
    return redirect("assets-library")


def _describe_spec(spec: str) -> str:
    """Return the spec in plain words, or as written if it no longer parses."""
    try:
        return parse(spec).describe()
    except SpecError:
        return spec


@require_GET
@login_required
def detail(request: AuthenticatedHttpRequest, code: UUID) -> HttpResponse:
    """Show an asset's preview, file facts, where it came from and what was made from it."""
    asset = _usable_or_404(get_asset_for_user(request, code))
    context = {
        "asset": asset,
        "orientation": ORIENTATIONS.get(asset.orientation, ""),
        "spec_description": _describe_spec(asset.spec) if asset.spec else "",
        "derivatives": asset.derivatives.all(),
    }
    return render(request, "assets/detail.html", context)


@require_GET
@login_required
def check(request: AuthenticatedHttpRequest, code: UUID) -> HttpResponse:
    """Return an upload's line of the upload page's results, polled while a worker checks it.

    204 (no swap, keep polling) while it is pending; the "Stored" line once it is ready;
    "<name> — refused: <reason>" with 286 (stop polling) once it is refused.
    """
    asset = get_asset_for_user(request, code)
    if asset.status == Asset.Status.PENDING:
        return HttpResponse(status=204)
    context = {"result": UploadResult(asset=asset)}
    if asset.status == Asset.Status.REFUSED:
        return HttpResponseStopPolling(
            render_to_string("assets/upload.html#result", context, request)
        )
    return render(request, "assets/upload.html#result", context)


def _usable_or_404(asset: Asset) -> Asset:
    """Return the asset unless it was refused (its file is gone): then raise Http404."""
    if asset.status == Asset.Status.REFUSED:
        raise Http404("This file was refused.")
    return asset


@require_GET
@login_required
def download(request: AuthenticatedHttpRequest, code: UUID) -> HttpResponse:
    """Hand over the asset's file as stored; ``?inline=1`` shows it in the browser instead."""
    asset = _usable_or_404(get_asset_for_user(request, code))
    form = DownloadForm(request.GET)
    return download_response(asset, inline=form.is_valid() and form.cleaned_data["inline"])


@require_GET
@login_required
@vary_on_headers("HX-Request")
def thumbnail(request: AuthenticatedHttpRequest, code: UUID) -> HttpResponse:
    """Return the asset's thumbnail image, or to an HTMX poll the preview markup.

    Without a thumbnail yet a plain request gets 404. A poll gets 204 (no swap, keep polling)
    until THUMBNAIL_PATIENCE has passed since upload, then 286 (stop polling) with a
    "No preview" box; once the thumbnail exists, the <img> that replaces the placeholder.
    A refused upload has no thumbnail: 404.
    """
    asset = _usable_or_404(get_asset_for_user(request, code))
    if not request.htmx:
        if not asset.thumbnail:
            raise Http404("No thumbnail yet.")
        return thumbnail_response(asset)
    if asset.thumbnail:
        return render(request, "assets/library.html#preview", {"asset": asset})
    if timezone.now() - asset.created_at < THUMBNAIL_PATIENCE:
        return HttpResponse(status=204)
    return HttpResponseStopPolling(
        render_to_string(
            "assets/library.html#preview", {"asset": asset, "no_preview": True}, request
        )
    )


@require_POST
@login_required
def delete(request: AuthenticatedHttpRequest, code: UUID) -> HttpResponse:
    """Delete the asset and, once committed, its stored file and thumbnail."""
    asset = get_asset_for_user(request, code)
    asset.delete()
    messages.success(request, f"Deleted {asset.filename}.")
    return _back(request, reverse("assets-library"))


@require_POST
@login_required
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Download the selected assets as one ZIP, or delete them all.

    Form errors (nothing selected, unknown action, too many for a ZIP) go back to the page
    the selection came from as messages; codes of other workspaces' assets give 404.
    """
    form = BulkForm(request.POST, host=request.get_host())
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return _back(request, form.cleaned_data.get("next") or reverse("assets-library"))
    assets = get_assets_for_user(request, form.cleaned_data["codes"])
    if form.cleaned_data["action"] == "zip":
        assets = [_usable_or_404(asset) for asset in assets]
        return zip_response(assets, filename=f"image-studio-{timezone.now():%Y%m%d-%H%M%S}.zip")
    deleted = len(assets)
    Asset.objects.filter(pk__in=[asset.pk for asset in assets]).delete()
    messages.success(request, f"Deleted {deleted} asset{pluralize(deleted)}.")
    return _back(request, form.cleaned_data["next"] or reverse("assets-library"))
