"""Studio pages: Social Optimizer, Compression Studio, jobs and their live status."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from accounts.http import AuthenticatedHttpRequest, current_workspace
from assets.downloads import zip_response
from billing.ratelimit import rate_limited
from studio import health
from studio.forms import CompressForm, SocialForm, preset_fields
from studio.models import Job
from studio.preview import PreviewForm, compression_estimates, crop_preview
from studio.services import JobRefused, start_job
from studio.social import COMPRESSION_PRESETS, SOCIAL_FORMATS
from studio.specs import SpecError


def get_job_for_user(request: AuthenticatedHttpRequest, code) -> Job:
    """Return the job if it belongs to one of the user's workspaces; raise Http404 otherwise."""
    return get_object_or_404(Job.objects.for_user(request.user), code=code)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("assets-library")
    return render(request, "home.html", {"formats": SOCIAL_FORMATS.values()})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, broker and storage state as JSON; 503 when any of them is down."""
    checks = health.run_checks()
    ok = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


def _initial_assets(request: AuthenticatedHttpRequest) -> dict:
    return {"assets": request.GET.getlist("assets")}


def _too_many_jobs(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "You are starting jobs faster than we allow; wait a minute and try again.", status=429
    )


@rate_limited("job", limit=lambda: settings.STUDIO_JOB_RATE_LIMIT, per=60, respond=_too_many_jobs)
def start_from_form(
    request: AuthenticatedHttpRequest, form, *, operation: str
) -> HttpResponse | None:
    """Start the form's job and redirect to it, or put the reason on the form and return None."""
    try:
        job = start_job(
            workspace=current_workspace(request),
            user=request.user,
            operation=operation,
            specs=form.specs(),
            inputs=list(form.cleaned_data.get("assets") or []),
            params=form.job_params() if hasattr(form, "job_params") else None,
            idempotency_key=form.cleaned_data.get("idempotency_key", ""),
        )
    except JobRefused as exc:
        form.refusal = exc.refusal
        form.add_error(None, f"{exc.refusal.message} {exc.refusal.fix}")
        return None
    except (SpecError, ValueError) as exc:
        form.add_error(None, str(exc))
        return None
    if request.htmx:
        return HttpResponseClientRedirect(job.get_absolute_url())
    return redirect(job)


def _studio_page(
    request: AuthenticatedHttpRequest, *, form_class, operation: str, template: str, extra: dict
) -> HttpResponse:
    """Show a studio form (GET) or start its job (POST); refusals come back on the form."""
    workspace = current_workspace(request)
    if request.method == "POST":
        form = form_class(request.POST, workspace=workspace)
        if form.is_valid():
            response = start_from_form(request, form, operation=operation)
            if response is not None:
                return response
    else:
        form = form_class(initial=_initial_assets(request), workspace=workspace)
    library = form.fields["assets"].queryset[:200]
    context = {"form": form, "library": library, "operation": operation, **extra}
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def social(request: AuthenticatedHttpRequest) -> HttpResponse:
    formats_by_platform: dict[str, list] = {}
    for fmt in SOCIAL_FORMATS.values():
        formats_by_platform.setdefault(fmt.platform_label, []).append(fmt)
    return _studio_page(
        request,
        form_class=SocialForm,
        operation="social",
        template="studio/social.html",
        extra={"formats_by_platform": formats_by_platform},
    )


@login_required
@require_GET
def social_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Render the crop box and safe zone of one format over one picked image."""
    query = request.GET
    data = {
        "asset": query.get("preview_asset") or next(iter(query.getlist("assets")), ""),
        "format": query.get("preview_format") or next(iter(query.getlist("formats")), ""),
        "crop_mode": query.get("crop_mode", "smart"),
        "focal_x": query.get("focal_x", ""),
        "focal_y": query.get("focal_y", ""),
    }
    form = PreviewForm(data, workspace=current_workspace(request))
    if not form.is_valid():
        return render(request, "studio/social.html#preview", {"preview_errors": form.errors})
    return render(
        request, "studio/social.html#preview", {"preview": crop_preview(**form.cleaned_data)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def compress(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _studio_page(
        request,
        form_class=CompressForm,
        operation="compress",
        template="studio/compress.html",
        extra={
            "presets": [
                {"key": key, "label": preset.label, "fields": preset_fields(preset.spec)}
                for key, preset in COMPRESSION_PRESETS.items()
            ]
        },
    )


@login_required
@require_GET
def compress_estimate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Estimate output sizes by encoding a downscaled sample of each picked image."""
    form = CompressForm(request.GET, workspace=current_workspace(request))
    if not form.is_valid():
        return render(request, "studio/compress.html#estimate", {"estimate_errors": form.errors})
    assets = list(form.cleaned_data["assets"])[:10]
    return render(
        request,
        "studio/compress.html#estimate",
        {"estimates": compression_estimates(assets, form.spec()), "spec": form.spec()},
    )


@login_required
@require_GET
def jobs(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(
        Job.objects.for_user(request.user).prefetch_related("inputs"), settings.STUDIO_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "studio/jobs.html", {"page": page})


def _job_context(job: Job) -> dict:
    outputs = list(job.outputs.select_related("derived_from").order_by("derived_from_id", "id"))
    for output in outputs:
        source = output.derived_from
        output.saved_percent = (
            round(100 * (1 - output.bytes / source.bytes)) if source and source.bytes else None
        )
    return {"job": job, "outputs": outputs, "specs": job.specs}


@login_required
@require_GET
def job(request: AuthenticatedHttpRequest, code) -> HttpResponse:
    return render(request, "studio/job.html", _job_context(get_job_for_user(request, code)))


@login_required
@require_GET
def job_status(request: AuthenticatedHttpRequest, code) -> HttpResponse:
    """Return the job's status partial; HTTP 286 stops the page's polling once the job ended."""
    job = get_job_for_user(request, code)
    response = render(request, "studio/job.html#status", _job_context(job))
    if job.done:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
@require_GET
def job_zip(request: AuthenticatedHttpRequest, code) -> HttpResponse:
    job = get_job_for_user(request, code)
    outputs = list(job.outputs.order_by("derived_from_id", "id"))
    if not outputs:
        messages.info(request, "This job has no files to download yet.")
        return redirect(job)
    return zip_response(outputs, filename=f"image-studio-{job.operation}-{str(job.code)[:8]}.zip")
