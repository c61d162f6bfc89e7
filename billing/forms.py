"""Forms of the billing pages, the live quote and the admin's adjustment action."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.module_loading import import_string

from assets.models import Asset
from billing.models import CreditAccount, CreditPack, Plan

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


class PlanCheckoutForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.public().filter(is_default=False), to_field_name="slug"
    )
    interval = forms.ChoiceField(
        choices=CreditAccount.Interval.choices, initial=CreditAccount.Interval.MONTH
    )


class PackCheckoutForm(forms.Form):
    pack = forms.ModelChoiceField(queryset=CreditPack.objects.on_sale(), to_field_name="slug")


class AdjustmentForm(forms.Form):
    """Staff: change a workspace's credits, with the reason recorded on the ledger."""

    credits = forms.IntegerField(
        help_text="Positive to grant (never expires), negative to take away.",
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text="Shown in the workspace's billing history.",
    )
    token = forms.UUIDField(widget=forms.HiddenInput, help_text="Applies the form once.")

    def clean_credits(self) -> int:
        if self.cleaned_data["credits"] == 0:
            raise forms.ValidationError("Enter a number of credits other than 0.")
        return self.cleaned_data["credits"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why, for the workspace's history.")
        return reason


class RefundForm(forms.Form):
    """Staff: give back what a job was charged, with the reason."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)
