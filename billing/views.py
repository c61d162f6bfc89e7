"""Billing pages: plan, balance, usage and history; Checkout and portal; the live quote."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest, current_workspace
from accounts.models import Workspace
from billing import payments
from billing.forms import PackCheckoutForm, PlanCheckoutForm
from billing.history import history, usage_by_day, usage_by_module
from billing.ledger import account_for
from billing.models import CreditPack, Plan

log = logging.getLogger(__name__)


def _is_owner(request: AuthenticatedHttpRequest, workspace: Workspace) -> bool:
    return workspace.owner_id == request.user.pk


@login_required
@require_GET
def billing_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the plan, renewal date, balance, usage charts, history and purchase buttons."""
    workspace = current_workspace(request)
    account = account_for(workspace)
    context = {
        "account": account,
        "plan": account.plan,
        "balance": account.balance(),
        "reserved": account.reserved(),
        "configured": payments.stripe_configured(),
        "can_buy": _is_owner(request, workspace),
        "plans": Plan.objects.public(),
        "packs": CreditPack.objects.offered(),
        "days": usage_by_day(account),
        "modules": usage_by_module(account),
        "history": history(account),
        "checkout": request.GET.get("checkout", ""),
    }
    return render(request, "billing/page.html", context)


def _urls(request: AuthenticatedHttpRequest) -> tuple[str, str]:
    page = request.build_absolute_uri(reverse("billing-page"))
    return f"{page}?checkout=success", f"{page}?checkout=cancelled"


def _purchase(request: AuthenticatedHttpRequest, start) -> HttpResponse:
    """Run a Stripe purchase step for the workspace owner; redirect to Stripe or back."""
    workspace = current_workspace(request)
    if not _is_owner(request, workspace):
        return HttpResponseForbidden("Only the workspace owner can manage billing.")
    if not payments.stripe_configured():
        messages.error(request, "Billing is not configured on this server.")
        return redirect("billing-page")
    try:
        url = start(workspace)
    except payments.BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing-page")
    except Exception as exc:
        if not _is_stripe_error(exc):
            raise
        log.warning("Stripe refused a billing request: %s", exc)
        messages.error(request, "Stripe could not start this right now. Please try again.")
        return redirect("billing-page")
    return redirect(url)


def _is_stripe_error(exc: Exception) -> bool:
    import stripe

    return isinstance(exc, stripe.StripeError)


@login_required
@require_POST
def checkout_plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the owner to Stripe Checkout for a plan (monthly or yearly)."""
    form = PlanCheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a plan and a billing interval.")
        return redirect("billing-page")
    success, cancel = _urls(request)
    return _purchase(
        request,
        lambda workspace: payments.checkout_for_plan(
            workspace=workspace,
            email=request.user.email,
            plan=form.cleaned_data["plan"],
            interval=form.cleaned_data["interval"],
            success_url=success,
            cancel_url=cancel,
        ),
    )


@login_required
@require_POST
def checkout_pack(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the owner to Stripe Checkout for a credit pack."""
    form = PackCheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a credit pack.")
        return redirect("billing-page")
    success, cancel = _urls(request)
    return _purchase(
        request,
        lambda workspace: payments.checkout_for_pack(
            workspace=workspace,
            email=request.user.email,
            pack=form.cleaned_data["pack"],
            success_url=success,
            cancel_url=cancel,
        ),
    )


@login_required
@require_POST
def portal(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the owner to the Stripe customer portal (card, plan changes, cancellation)."""
    return_url = request.build_absolute_uri(reverse("billing-page"))
    return _purchase(
        request,
        lambda workspace: payments.portal_url(
            workspace=workspace, email=request.user.email, return_url=return_url
        ),
    )
