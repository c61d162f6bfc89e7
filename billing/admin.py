"""Staff admin: the catalog is editable; the ledger is read-only, changed only by actions
that write new entries with a reason (credit adjustments, refunds)."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse

from billing import ledger
from billing.forms import AdjustmentForm, RefundForm
from billing.models import CreditAccount, CreditPack, LedgerEntry, OperationPrice, Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name", "rank", "monthly_price", "yearly_price", "monthly_credits", "rollover",
        "max_video_resolution", "storage", "max_concurrent_jobs", "public",
    ]  # fmt: skip
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "rank", "is_default", "public"]}),
        ("Price and credits", {"fields": [
            "monthly_price", "yearly_price", "monthly_credits", "rollover", "trial_credits",
            "monthly_credit_limit",
        ]}),
        ("Features", {"fields": [
            "allowed_operations", "allowed_models", "max_video_resolution", "batch", "api",
            "priority",
        ]}),
        ("Limits", {"fields": ["storage_quota_bytes", "max_concurrent_jobs"]}),
        ("Stripe", {"fields": ["stripe_monthly_price_id", "stripe_yearly_price_id"]}),
    ]  # fmt: skip

    @admin.display(description="Storage", ordering="storage_quota_bytes")
    def storage(self, plan: Plan) -> str:
        return filesizeformat(plan.storage_quota_bytes)


@admin.register(OperationPrice)
class OperationPriceAdmin(admin.ModelAdmin):
    list_display = [
        "key", "label", "operation", "provider", "unit", "credits", "minimum_units",
        "provider_cost", "active",
    ]  # fmt: skip
    list_editable = ["credits", "active"]
    list_filter = ["operation", "provider", "unit", "active"]
    search_fields = ["key", "label", "model"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credits", "price", "stripe_price_id", "active"]
    list_filter = ["kind", "active"]
    prepopulated_fields = {"slug": ["name"]}


def _action_page(request, queryset, *, title: str, form, action: str, intro: str):
    return TemplateResponse(
        request,
        "billing/admin_action.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "objects": queryset,
            "action": action,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": queryset.model._meta,
        },
    )


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = ["workspace", "plan", "pending_plan", "balance", "period_end", "paid_until"]
    list_select_related = ["workspace", "plan", "pending_plan"]
    list_filter = ["plan"]
    search_fields = ["workspace__name", "workspace__owner__email", "stripe_customer_id"]
    fields = [
        "workspace", "plan", "pending_plan", "interval", "anchor", "free_anchor", "period_start",
        "period_end", "paid_until", "stripe_customer_id", "stripe_subscription_id",
        "stripe_event_at",
    ]  # fmt: skip
    readonly_fields = [
        "workspace", "interval", "anchor", "free_anchor", "period_start", "period_end", "paid_until",
        "stripe_customer_id", "stripe_subscription_id", "stripe_event_at",
    ]  # fmt: skip
    actions = ["adjust_credits"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are made on first use of a workspace

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Balance")
    def balance(self, account: CreditAccount) -> int:
        return account.balance()

    @admin.action(description="Adjust credits (with a reason)", permissions=["change"])
    def adjust_credits(self, request: HttpRequest, queryset: QuerySet[CreditAccount]):
        """Grant or take credits from the selected workspaces; the reason goes on the ledger."""
        if "apply" in request.POST:
            form = AdjustmentForm(request.POST)
            if form.is_valid():
                data, done = form.cleaned_data, 0
                for account in queryset.select_related("workspace"):
                    try:
                        ledger.adjust(
                            workspace=account.workspace,
                            credits=data["credits"],
                            reason=data["reason"],
                            by=request.user,
                            key=f"adjust:{data['token']}:{account.pk}",
                        )
                        done += 1
                    except ledger.InsufficientCredits as exc:
                        self.message_user(request, f"{account.workspace}: {exc}", messages.ERROR)
                self.message_user(request, f"Adjusted {done} workspace(s).", messages.SUCCESS)
                return None
        else:
            form = AdjustmentForm(initial={"token": uuid.uuid4()})
        return _action_page(
            request,
            queryset,
            title="Adjust credits",
            form=form,
            action="adjust_credits",
            intro="Positive numbers grant credits that never expire; negative numbers take "
            "credits away (never below zero). The reason is shown in each workspace's history.",
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "account", "kind", "source", "amount", "operation", "job_code",
        "expires_at", "reason",
    ]  # fmt: skip
    list_filter = ["kind", "source", "operation"]
    list_select_related = ["account__workspace", "account__plan"]
    search_fields = ["account__workspace__name", "account__workspace__owner__email", "reason"]
    search_help_text = "Workspace name, owner e-mail or reason."
    date_hierarchy = "created_at"
    actions = ["refund_charges"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_refund_permission(self, request: HttpRequest) -> bool:
        """Refunds write ledger entries: staff need the "add ledger entry" permission."""
        return request.user.has_perm("billing.add_ledgerentry")

    @admin.action(description="Refund selected charges (with a reason)", permissions=["refund"])
    def refund_charges(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]):
        """Give back what the selected jobs were charged, once each, as lasting credits."""
        charges = queryset.filter(kind=LedgerEntry.Kind.CAPTURE).select_related(
            "account__workspace"
        )
        if "apply" in request.POST:
            form = RefundForm(request.POST)
            if form.is_valid():
                refunded = [
                    ledger.refund(
                        workspace=charge.account.workspace,
                        job_code=charge.job_code,
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                    )
                    for charge in charges
                ]
                count = len([r for r in refunded if r is not None])
                self.message_user(request, f"Refunded {count} charge(s).", messages.SUCCESS)
                return None
        else:
            form = RefundForm()
        return _action_page(
            request,
            charges,
            title="Refund charges",
            form=form,
            action="refund_charges",
            intro="Only charges are refunded; each job at most once.",
        )
