"""Stripe calls: customers, Checkout sessions (plans and packs) and the customer portal.

Used only when Stripe is configured (``stripe_configured()``): dj-stripe installed and a
secret key set (STRIPE_TEST_SECRET_KEY / STRIPE_LIVE_SECRET_KEY, read by dj-stripe). Every
object we create carries the workspace's code in its metadata, so webhooks can find the
workspace even before the customer id is stored. Credits are never granted here: only the
webhooks (billing.webhooks) grant, after Stripe says the money arrived.
"""

from __future__ import annotations

import uuid

from django.apps import apps
from django.db import transaction

from accounts.models import Workspace
from billing.ledger import account_for, locked_account
from billing.models import CreditAccount, CreditPack, Plan


class BillingError(Exception):
    """A purchase cannot start; str() is safe to show to the user."""


def stripe_configured() -> bool:
    """Return True when dj-stripe is installed and a Stripe secret key is set."""
    return apps.is_installed("djstripe") and bool(_secret_key())


def _secret_key() -> str:
    from djstripe.settings import djstripe_settings

    return djstripe_settings.STRIPE_SECRET_KEY


def _stripe():
    import stripe

    return stripe


def _metadata(workspace: Workspace, **extra: str) -> dict[str, str]:
    return {"workspace": str(workspace.code), **extra}


def ensure_customer(workspace: Workspace, *, email: str) -> str:
    """Return the workspace's Stripe customer id, creating the customer on first use.

    Stripe's idempotency key makes two racing first purchases create one customer.
    """
    account = account_for(workspace)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    customer = _stripe().Customer.create(
        api_key=_secret_key(),
        idempotency_key=f"studio-customer-{workspace.code}",
        email=email,
        name=workspace.name,
        metadata=_metadata(workspace),
    )
    with transaction.atomic():
        account = locked_account(workspace)
        if not account.stripe_customer_id:
            account.stripe_customer_id = customer["id"]
            account.save(update_fields=["stripe_customer_id"])
    return account.stripe_customer_id


def checkout_for_plan(
    *,
    workspace: Workspace,
    email: str,
    plan: Plan,
    interval: str,
    success_url: str,
    cancel_url: str,
) -> str:
    """Start a subscription Checkout session for a plan; return the URL to send the user to.

    Raises BillingError when the plan is not sold at that interval, or when the workspace
    already has a subscription (plan changes go through the customer portal).
    """
    price = plan.stripe_price_id(interval)
    if not price:
        raise BillingError(f"The {plan.name} plan is not sold {_interval_label(interval)}.")
    if account_for(workspace).stripe_subscription_id:
        raise BillingError("You already have a subscription: change it in the billing portal.")
    meta = _metadata(workspace, plan=plan.slug, interval=interval)
    session = _stripe().checkout.Session.create(
        api_key=_secret_key(),
        mode="subscription",
        customer=ensure_customer(workspace, email=email),
        client_reference_id=str(workspace.code),
        line_items=[{"price": price, "quantity": 1}],
        metadata=meta,
        subscription_data={"metadata": meta},
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return session["url"]


def checkout_for_pack(
    *, workspace: Workspace, email: str, pack: CreditPack, success_url: str, cancel_url: str
) -> str:
    """Start a one-off payment Checkout session for a credit pack; return its URL."""
    if not pack.stripe_price_id:
        raise BillingError(f"{pack.name} is not on sale yet.")
    session = _stripe().checkout.Session.create(
        api_key=_secret_key(),
        mode="payment",
        customer=ensure_customer(workspace, email=email),
        client_reference_id=str(workspace.code),
        line_items=[{"price": pack.stripe_price_id, "quantity": 1}],
        metadata=_metadata(workspace, pack=pack.slug),
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return session["url"]


def portal_url(*, workspace: Workspace, email: str, return_url: str) -> str:
    """Open a customer portal session (card, plan changes, cancellation); return its URL."""
    session = _stripe().billing_portal.Session.create(
        api_key=_secret_key(),
        customer=ensure_customer(workspace, email=email),
        return_url=return_url,
    )
    return session["url"]


def account_for_customer(customer_id: str, metadata: dict | None = None) -> CreditAccount | None:
    """Return the account of a Stripe customer id, else of the workspace code in ``metadata``."""
    if customer_id:
        account = CreditAccount.objects.filter(stripe_customer_id=customer_id).first()
        if account is not None:
            return account
    try:
        code = uuid.UUID(str((metadata or {}).get("workspace")))
    except ValueError:
        return None
    workspace = Workspace.objects.filter(code=code).first()
    return account_for(workspace) if workspace is not None else None


def _interval_label(interval: str) -> str:
    return "yearly" if interval == "year" else "monthly"
