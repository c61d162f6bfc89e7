"""AI studio pages: Create, Edit, Upscale and Control, their partials, and the model list."""

from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest, current_workspace
from billing.ledger import account_for
from billing.ratelimit import rate_limited
from providers.models import AIModel
from providers.registry import LABELS, statuses, unavailable_reason
from studio.ai_forms import (
    ControlForm,
    CreateForm,
    EditForm,
    EnhanceForm,
    PickerQueryForm,
    UpscaleForm,
    UpscaleQuoteForm,
    model_picker,
    template_groups,
)
from studio.create_templates import TEMPLATES
from studio.prompting import enhance_prompt
from studio.views import start_from_form

#: Operation (and capability) -> (page title, URL name) of the AI studios.
STUDIOS = {
    "generate": ("Create Studio", "studio-create"),
    "edit": ("Edit Studio", "studio-edit"),
    "upscale": ("Upscale Studio", "studio-upscale"),
    "control": ("Control Studio", "studio-control"),
}


def _initial(request: AuthenticatedHttpRequest, workspace) -> dict:
    """Return the form's initial images from ``?assets=<code>``; 404 for codes not in the
    workspace, so a link reveals nothing about another workspace's images."""
    form = PickerQueryForm(
        {"operation": "edit", "assets": request.GET.getlist("assets")}, workspace=workspace
    )
    if not form.is_valid():
        raise Http404("No such image.")
    return {"assets": [str(asset.code) for asset in form.cleaned_data["assets"]]}


def _ai_page(
    request: AuthenticatedHttpRequest,
    *,
    form_class,
    operation: str,
    template: str,
    extra: dict | None = None,
) -> HttpResponse:
    """Show an AI studio form (GET) or start its job (POST); errors come back on the form."""
    workspace = current_workspace(request)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, workspace=workspace)
        if form.is_valid():
            response = start_from_form(request, form, operation=operation)
            if response is not None:
                return response
            if hasattr(form, "discard_uploads"):
                form.discard_uploads()  # refused: keep no orphaned mask
    else:
        form = form_class(initial=_initial(request, workspace), workspace=workspace)
    context = {
        "form": form,
        "operation": operation,
        "picker": form.picker(),
        "library": form.library[:200],
        **(extra or {}),
    }
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create Studio: text to image with platform templates, styles and variations."""
    return _ai_page(
        request,
        form_class=CreateForm,
        operation="generate",
        template="studio/create.html",
        extra={"template_groups": template_groups()},
    )


def _too_many_suggestions(request: AuthenticatedHttpRequest) -> HttpResponse:
    return HttpResponse(
        "You asked for many suggestions at once; wait a minute and try again.", status=429
    )


@login_required
@require_POST
@rate_limited(
    "enhance",
    limit=lambda: settings.STUDIO_ENHANCE_RATE_LIMIT,
    per=60,
    respond=_too_many_suggestions,
)
def create_enhance(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Suggest a better prompt and negative prompt (Gemini, else the template enhancer).

    To HTMX, return the prompt fields with the suggestion in place; without JavaScript, the
    whole Create page with the suggestion filled in. Nothing is charged.
    """
    query = EnhanceForm(request.POST)
    initial = request.POST.dict()
    initial["apply_template"] = "apply_template" in request.POST
    notice, error = "", ""
    if query.is_valid():
        try:
            enhanced = enhance_prompt(
                query.cleaned_data["prompt"],
                style_preset=query.cleaned_data["style"],
                template=TEMPLATES.get(query.cleaned_data["template"]),
            )
        except ValueError as exc:
            error = str(exc)
        else:
            initial["prompt"] = enhanced.prompt
            initial["negative_prompt"] = enhanced.negative_prompt
            initial["apply_template"] = False  # the suggestion already has the template's words
            notice = enhanced.label
    else:
        error = " ".join(message for errors in query.errors.values() for message in errors)
    # Unbound: the suggestion is shown for the user to accept or edit, not checked as a job.
    form = CreateForm(initial=initial, workspace=current_workspace(request))
    form.prompt_notice, form.prompt_error = notice, error
    context = {"form": form, "operation": "generate"}
    if request.htmx:
        return render(request, "studio/create.html#prompt-fields", context)
    context.update(picker=form.picker(), library=[], template_groups=template_groups())
    return render(request, "studio/create.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Edit Studio: erase, inpaint, outpaint, search, backgrounds and prompt edits."""
    return _ai_page(request, form_class=EditForm, operation="edit", template="studio/edit.html")


@login_required
@require_http_methods(["GET", "POST"])
def upscale(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upscale Studio: one upscaler on one or more images, target sizes shown first."""
    return _ai_page(
        request, form_class=UpscaleForm, operation="upscale", template="studio/upscale.html"
    )


@login_required
@require_GET
def upscale_targets(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Render each picked image's size after upscaling with the chosen upscaler and factor."""
    form = UpscaleQuoteForm(request.GET, workspace=current_workspace(request))
    if not form.is_valid():
        return render(request, "studio/upscale.html#targets", {"targets_form": form})
    return render(
        request,
        "studio/upscale.html#targets",
        {"targets_form": form, "targets": form.targets(), "model": form.ai_model},
    )


@login_required
@require_http_methods(["GET", "POST"])
def control(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Control Studio: sketch, structure, style guide and style transfer from one image."""
    return _ai_page(
        request, form_class=ControlForm, operation="control", template="studio/control.html"
    )


@login_required
@require_GET
def picker(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Render a studio's model picker for its kind and picked images.

    Query: ``operation`` (generate, edit, upscale, control), ``kind``, ``assets`` (codes; 404
    if any is not in the workspace), ``model`` and ``mode`` (kept when still available).
    """
    workspace = current_workspace(request)
    form = PickerQueryForm(request.GET, workspace=workspace)
    if not form.is_valid():
        if "assets" in form.errors:
            raise Http404("No such image.")
        return HttpResponse("Pick a studio.", status=400)
    data = form.cleaned_data
    kind = data["kind"] or None
    if data["operation"] == "generate":
        kind = None
    chosen = model_picker(
        data["operation"],
        plan=account_for(workspace).plan,
        kind=kind,
        inputs=list(data["assets"]),
        selected=data["model"] or "auto",
        mode=data["mode"] or "balanced",
    )
    return render(request, "studio/_model_picker.html", {"picker": chosen})


@login_required
@require_GET
def models(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List every offered model by capability: provider, credits, speed, tier and status."""
    plan = account_for(current_workspace(request)).plan
    provider_statuses = {status.name: status for status in statuses()}
    rows = []
    order = list(STUDIOS)  # the studios first, in the nav's order, then anything else offered
    offered = sorted(
        AIModel.objects.offered().order_by("capability", "kind", "sort", "id"),
        key=lambda m: order.index(m.capability) if m.capability in order else len(order),
    )
    for model in offered:
        status = provider_statuses.get(model.provider)
        rows.append(
            {
                "model": model,
                "provider": LABELS.get(model.provider, model.provider),
                "status": status,
                "reason": unavailable_reason(model, plan=plan) or "",
            }
        )
    capabilities = dict(AIModel.Capability.choices)
    groups = [
        {
            "capability": capability,
            "label": capabilities.get(capability, capability),
            "studio": STUDIOS.get(capability),
            "rows": list(items),
        }
        for capability, items in groupby(rows, key=lambda row: row["model"].capability)
    ]
    return render(
        request,
        "studio/models.html",
        {"groups": groups, "statuses": provider_statuses.values(), "plan": plan},
    )
