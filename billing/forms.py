"""Forms of the billing pages and the admin's adjustment action."""

from __future__ import annotations

from django import forms

from billing.models import CreditAccount, CreditPack, Plan


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
