"""The live quote: "This will use N credits; you have M" for a studio form, as the user types.

Billing prices (billing.quotes.quote); the studio knows its forms and its jobs, so the
endpoint lives here and hands billing the running-job count.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest, current_workspace
from assets.models import Asset
from billing.quotes import quote
from billing.ratelimit import rate_limited
from studio.models import Job

#: Studio forms the quote endpoint binds, per operation; each takes ``workspace=`` and has
#: ``specs()`` and an ``assets`` field. Override with the STUDIO_QUOTE_FORMS setting.
DEFAULT_QUOTE_FORMS = {
    "social": "studio.forms.SocialForm",
    "compress": "studio.forms.CompressForm",
    "generate": "studio.ai_forms.CreateQuoteForm",
    "edit": "studio.ai_forms.EditQuoteForm",
    "upscale": "studio.ai_forms.UpscaleQuoteForm",
    "control": "studio.ai_forms.ControlQuoteForm",
}


def studio_form_for(operation: str) -> type[forms.Form] | None:
    """Return the studio form class registered for an operation, or None."""
    path = getattr(settings, "STUDIO_QUOTE_FORMS", DEFAULT_QUOTE_FORMS).get(operation)
    return import_string(path) if path else None


class MultipleValueField(forms.Field):
    """A field given several times in a query string (``?spec=a&spec=b``): a list of strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [str(v).strip() for v in values if str(v).strip()]

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class QuoteForm(forms.Form):
    """A quote for any operation, given as specs and asset codes (API and operations without a
    registered studio form)."""

    operation = forms.SlugField(max_length=30)
    spec = MultipleValueField(error_messages={"required": "Choose what to do first."})
    assets = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.none(), to_field_name="code", required=False
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = Asset.objects.for_workspace(workspace).usable()

    def clean_spec(self) -> list[str]:
        specs = self.cleaned_data["spec"]
        if len(specs) > 100 or any(len(spec) > 500 for spec in specs):
            raise forms.ValidationError("Too many or too long recipes.")
        return specs

    def specs(self) -> list[str]:
        return self.cleaned_data["spec"]


class OperationForm(forms.Form):
    """Just the operation name of a quote request, to pick the form that reads the rest."""

    operation = forms.SlugField(max_length=30)


def _quote_limit() -> int:
    return settings.STUDIO_QUOTE_RATE_LIMIT


def _too_many_quotes(request) -> HttpResponse:
    response = render(request, "studio/_quote.html", {"throttled": True})
    response.status_code = 429
    return response


@login_required
@require_GET
@rate_limited("quote", limit=_quote_limit, per=60, respond=_too_many_quotes)
def quote_partial(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Render "This will use N credits; you have M", or the refusal, for a studio form's fields.

    Query: ``operation`` plus that operation's studio form fields (``assets``, ``formats``...),
    or ``spec`` (repeatable) and ``assets`` for operations without a registered form.
    """
    workspace = current_workspace(request)
    operation = OperationForm(request.GET)
    form = None
    if operation.is_valid():
        form_class = studio_form_for(operation.cleaned_data["operation"]) or QuoteForm
        form = form_class(request.GET, workspace=workspace)
    if form is None or not form.is_valid():
        return render(request, "studio/_quote.html", {"incomplete": True})
    result = quote(
        workspace=workspace,
        operation=operation.cleaned_data["operation"],
        specs=form.specs(),
        inputs=list(form.cleaned_data.get("assets") or []),
        running_jobs=Job.objects.filter(workspace=workspace).unfinished().count(),
    )
    return render(request, "studio/_quote.html", {"result": result})
