"""What paid subscriptions and packs do to a workspace's plan and credits, in plain values.

Stripe's webhooks (billing.webhooks) call these with ids, plans and periods read from the
event; nothing here talks to Stripe, so every rule is testable on its own:

- a paid subscription invoice grants the plan's monthly credits once per invoice id
  (``stripe:invoice:<id>``) and starts the period it pays for; a yearly plan's later months
  are granted lazily inside the paid year (billing.ledger);
- an upgrade switches the plan at once and tops the period up by the difference in monthly
  credits; a downgrade or a cancellation waits for the period end;
- subscription events older than the last one applied are ignored (Stripe does not promise
  order), and every grant's key comes from a Stripe id, so a replayed event grants nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from billing.ledger import (
    add_months,
    find_entry,
    grant,
    grant_plan_credits,
    locked_account,
    refresh,
)
from billing.models import CreditAccount, CreditPack, LedgerEntry, Plan

log = logging.getLogger(__name__)

#: Invoices that pay for a period; "subscription_update" (proration) invoices do not grant,
#: the upgrade's top-up does.
PERIOD_INVOICE_REASONS = frozenset({"subscription_create", "subscription_cycle"})
#: Subscription statuses under which the plan is in force (Stripe's dunning covers past_due).
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired", "unpaid"})


def apply_paid_invoice(
    *,
    workspace: Workspace,
    invoice_id: str,
    subscription_id: str,
    plan: Plan,
    interval: str,
    period_start: datetime,
    period_end: datetime,
    billing_reason: str,
) -> LedgerEntry | None:
    """Start the paid period and grant its first month's credits; None if nothing to grant."""
    key = f"stripe:invoice:{invoice_id}"
    with transaction.atomic():
        account = locked_account(workspace)
        if (entry := find_entry(key)) is not None:
            return entry
        if billing_reason not in PERIOD_INVOICE_REASONS:
            return None
        first_month_end = min(add_months(period_start, 1), period_end)
        newest = account.paid_until is None or period_start >= account.period_start
        if period_end > timezone.now() and newest:
            account.plan, account.pending_plan = plan, None
            account.interval = interval
            account.anchor, account.paid_until = period_start, period_end
            account.period_start, account.period_end = period_start, first_month_end
            account.stripe_subscription_id = subscription_id
            account.save()
            grant_plan_credits(account, key=key)
            return find_entry(key)
        # An earlier period's invoice arriving late: grant what it paid for, with its own expiry.
        return grant(
            workspace=workspace,
            credits=plan.monthly_credits,
            source=LedgerEntry.Source.PLAN,
            key=key,
            reason=f"{plan.name} plan credits",
            expires_at=None if plan.rollover else first_month_end,
            detail={"plan": plan.slug},
        )


def apply_subscription(
    *,
    workspace: Workspace,
    subscription_id: str,
    plan: Plan | None,
    status: str,
    cancel_at_period_end: bool,
    event_at: datetime,
) -> str:
    """Switch the workspace's plan to what a subscription event says; return what happened.

    Returns one of "stale", "ended", "waiting", "unknown-price", "upgraded", "downgrade-pending",
    "cancel-pending", "unchanged".
    """
    with transaction.atomic():
        account = locked_account(workspace)
        if account.stripe_event_at is not None and event_at < account.stripe_event_at:
            return "stale"
        account.stripe_event_at = event_at
        if account.stripe_subscription_id not in ("", subscription_id):
            if status not in LIVE_STATUSES:
                account.save(update_fields=["stripe_event_at"])
                return "stale"  # an old subscription ending after a new one started
        if status in ENDED_STATUSES:
            _end_subscription(account)
            return "ended"
        if status not in LIVE_STATUSES or plan is None:
            account.save(update_fields=["stripe_event_at"])
            if plan is None:
                log.warning("Subscription %s has a price no plan sells", subscription_id)
                return "unknown-price"
            return "waiting"
        account.stripe_subscription_id = subscription_id
        if cancel_at_period_end:
            account.pending_plan = Plan.objects.default()
            outcome = "cancel-pending"
        elif plan.rank > account.plan.rank:
            _upgrade(account, plan, subscription_id)
            outcome = "upgraded"
        elif plan.rank < account.plan.rank:
            account.pending_plan = plan
            outcome = "downgrade-pending"
        else:
            account.pending_plan = None
            outcome = "unchanged"
        account.save()
        return outcome


def _upgrade(account: CreditAccount, plan: Plan, subscription_id: str) -> None:
    previous = account.plan
    account.plan, account.pending_plan = plan, None
    if account.paid_until is None or account.period_start is None:
        return  # from Free: the first invoice grants the new plan's credits
    account.save()
    top_up = plan.monthly_credits - previous.monthly_credits
    if top_up > 0:
        grant_plan_credits(
            account,
            key=f"stripe:upgrade:{subscription_id}:{plan.slug}:{account.period_start:%Y%m%d%H%M%S}",
            credits=top_up,
        )


def _end_subscription(account: CreditAccount) -> None:
    """Put the workspace back on Free now; its paid credits keep their own expiry."""
    now = timezone.now()
    account.plan, account.pending_plan = Plan.objects.default(), None
    account.stripe_subscription_id = ""
    account.paid_until = None
    account.anchor = now
    account.period_end = now  # the Free period starts now, with its grant
    account.save()
    refresh(account, now=now)


def grant_pack(*, workspace: Workspace, pack: CreditPack, checkout_session_id: str) -> LedgerEntry:
    """Grant a bought pack's credits (they never expire); once per Checkout session."""
    return grant(
        workspace=workspace,
        credits=pack.credits,
        source=LedgerEntry.Source.PACK,
        key=f"stripe:checkout:{checkout_session_id}",
        reason=pack.name,
        detail={"pack": pack.slug, "checkout_session": checkout_session_id},
    )
