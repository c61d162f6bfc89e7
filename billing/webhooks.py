"""Stripe webhooks: receivers on dj-stripe's per-event signals (djstripe.signals.WEBHOOK_SIGNALS).

dj-stripe's endpoint (``/stripe/webhook/<uuid>/``) verifies the Stripe-Signature header against
its WebhookEndpoint's secret (400 when it does not match), stores the Event once per Stripe
event id (a replay of the same event runs no receiver), syncs its own copies of the objects,
then sends the event type's signal inside one transaction; a receiver that raises rolls it all
back and answers 500, so Stripe retries. Event types without a receiver are stored and ignored.

Receivers read the event's own payload. Both payload shapes are handled: API versions before
2025-03-31 (``invoice.subscription``, ``line.price``) and after (``invoice.parent``,
``line.pricing.price_details``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing.models import CreditPack, Plan
from billing.payments import account_for_customer
from billing.subscriptions import apply_paid_invoice, apply_subscription, grant_pack

log = logging.getLogger(__name__)


def _id(value) -> str:
    """Return a Stripe id from an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def _timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _invoice_subscription(invoice: dict) -> tuple[str, dict]:
    """Return the subscription id of an invoice and the metadata Stripe copied onto it."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    if details:
        return _id(details.get("subscription")), details.get("metadata") or {}
    return _id(invoice.get("subscription")), invoice.get("subscription_details", {}).get(
        "metadata"
    ) or {}


def _line_price(line: dict) -> str:
    pricing = (line.get("pricing") or {}).get("price_details") or {}
    return _id(pricing.get("price")) or _id(line.get("price")) or _id(line.get("plan"))


def on_invoice_paid(sender, event, **kwargs) -> None:
    """Grant a subscription period's credits when its invoice is paid (once per invoice)."""
    invoice = event.data["object"]
    subscription_id, metadata = _invoice_subscription(invoice)
    if not subscription_id:
        return  # one-off invoices: packs are granted from their Checkout session
    lines = invoice.get("lines", {}).get("data", [])
    priced = [(line, Plan.objects.for_stripe_price(_line_price(line))) for line in lines]
    line, plan = next(((line, plan) for line, plan in priced if plan is not None), (None, None))
    if plan is None or line is None:
        log.warning("Invoice %s sells no plan we know; no credits granted", invoice.get("id"))
        return
    account = account_for_customer(_id(invoice.get("customer")), metadata)
    if account is None:
        log.warning("Invoice %s is for a customer we do not know", invoice.get("id"))
        return
    yearly = _line_price(line) == plan.stripe_yearly_price_id
    # A trial's first invoice is $0 before any discount (a 100%-off coupon is not a trial: its
    # line and subtotal keep the price and only the total is 0).
    trial = int(line.get("amount", 1)) == 0 and int(invoice.get("subtotal", 1)) == 0
    apply_paid_invoice(
        workspace=account.workspace,
        invoice_id=invoice["id"],
        subscription_id=subscription_id,
        plan=plan,
        interval="year" if yearly else "month",
        period_start=_timestamp(line["period"]["start"]),
        period_end=_timestamp(line["period"]["end"]),
        billing_reason=invoice.get("billing_reason") or "",
        trial=trial,
    )


def on_subscription_changed(sender, event, **kwargs) -> None:
    """Switch plans on subscription created/updated/deleted (out-of-order events ignored)."""
    subscription = event.data["object"]
    account = account_for_customer(
        _id(subscription.get("customer")), subscription.get("metadata") or {}
    )
    if account is None:
        log.warning("Subscription %s is for a customer we do not know", subscription.get("id"))
        return
    items = subscription.get("items", {}).get("data", [])
    plan = next(
        (p for item in items if (p := Plan.objects.for_stripe_price(_id(item.get("price"))))),
        None,
    )
    deleted = event.type == "customer.subscription.deleted"
    outcome = apply_subscription(
        workspace=account.workspace,
        subscription_id=subscription["id"],
        plan=plan,
        status="canceled" if deleted else subscription.get("status", ""),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        event_at=event.created,
    )
    log.info("Subscription %s (%s): %s", subscription["id"], event.type, outcome)


def on_checkout_completed(sender, event, **kwargs) -> None:
    """Grant a pack's credits once its Checkout session is paid (once per session)."""
    session = event.data["object"]
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return  # subscriptions are granted on invoice.paid; async payments arrive later
    metadata = session.get("metadata") or {}
    pack = CreditPack.objects.filter(slug=metadata.get("pack", "")).first()
    if pack is None:
        log.warning("Checkout session %s bought no pack we know", session.get("id"))
        return
    if not metadata.get("workspace") and session.get("client_reference_id"):
        metadata = {**metadata, "workspace": session["client_reference_id"]}
    account = account_for_customer(_id(session.get("customer")), metadata)
    if account is None:
        log.warning("Checkout session %s is for a customer we do not know", session.get("id"))
        return
    grant_pack(workspace=account.workspace, pack=pack, checkout_session_id=session["id"])


HANDLERS = {
    "invoice.paid": on_invoice_paid,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_checkout_completed,
}


def connect() -> None:
    """Connect the receivers to dj-stripe's signals (called from BillingConfig.ready)."""
    from djstripe.models import Event
    from djstripe.signals import WEBHOOK_SIGNALS

    for event_type, handler in HANDLERS.items():
        WEBHOOK_SIGNALS[event_type].connect(
            handler, sender=Event, dispatch_uid=f"billing:{event_type}"
        )
