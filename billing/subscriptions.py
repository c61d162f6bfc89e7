"""What paid subscriptions and packs do to a workspace's plan and credits, in plain values.

Stripe's webhooks (billing.webhooks) call these with ids, plans and periods read from the
event; nothing here talks to Stripe, so every rule is testable on its own:

- a paid subscription invoice starts exactly the period its line says and grants it once,
  under the period's one key (billing.ledger.period_key), whichever of the invoice or a yearly
  plan's lazy monthly grant comes first; the calendar never re-derives a paid period;
- a trial's $0 invoice grants the plan's trial allowance (Plan.trial_allowance), expiring when
  the trial ends, and a trial that is cancelled loses what is left of it;
- an upgrade switches the plan at once and tops the period up by the difference in monthly
  credits (not during a trial); a downgrade or a cancellation waits for the period end;
- events are applied by the subscription's own state and Stripe's event time, never by arrival
  order: an older event than the last one applied is ignored, and an ended subscription stays
  ended (SubscriptionState), so a late ``invoice.paid`` cannot bring it back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from billing.ledger import (
    add_months,
    expire_trial_credits,
    find_entry,
    grant,
    grant_plan_credits,
    locked_account,
    period_key,
    refresh,
)
from billing.models import CreditAccount, CreditPack, LedgerEntry, Plan, SubscriptionState

log = logging.getLogger(__name__)

#: Invoices that pay for a period; "subscription_update" (proration) invoices do not grant,
#: the upgrade's top-up does.
PERIOD_INVOICE_REASONS = frozenset({"subscription_create", "subscription_cycle"})
#: Subscription statuses under which the plan is in force (Stripe's dunning covers past_due).
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
ENDED_STATUSES = frozenset(SubscriptionState.ENDED)


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
    trial: bool = False,
) -> LedgerEntry | None:
    """Start the period a paid invoice's line covers and grant it once; None if nothing to grant.

    ``period_start``/``period_end`` are the invoice line's ``period`` (Stripe's, exactly);
    ``interval`` is "month" or "year"; ``trial`` marks a trial's $0 invoice. A monthly plan's
    period is the line's period; a yearly plan's first month is granted now and its later
    months lazily (billing.ledger.due_period). An invoice of an ended subscription, or of a
    period older than the current one, never moves the workspace's period or plan.
    """
    with transaction.atomic():
        account = locked_account(workspace)
        state = SubscriptionState.objects.filter(subscription_id=subscription_id).first()
        if state is not None and state.ended:
            log.info("Invoice %s is for ended subscription %s", invoice_id, subscription_id)
            return None
        if billing_reason not in PERIOD_INVOICE_REASONS:
            return None
        key = period_key(account, period_start, subscription_id)
        if (entry := find_entry(key)) is not None:
            return entry
        monthly = trial or interval != CreditAccount.Interval.YEAR
        first_end = period_end if monthly else min(add_months(period_start, 1), period_end)
        detail = {"invoice": invoice_id, "subscription": subscription_id}
        newest = account.paid_until is None or period_start >= account.period_start
        if period_end > timezone.now() and newest:
            account.plan, account.pending_plan = plan, None
            account.interval = CreditAccount.Interval.MONTH if trial else interval
            account.anchor, account.paid_until = period_start, period_end
            account.period_start, account.period_end = period_start, first_end
            account.stripe_subscription_id = subscription_id
            account.save()
            return grant_plan_credits(account, key=key, trial=trial, detail=detail)
        # An earlier period's invoice arriving late: grant what it paid for, with its own expiry.
        credits = plan.trial_allowance() if trial else plan.monthly_credits
        if credits <= 0:
            return None
        return grant(
            workspace=workspace,
            credits=credits,
            source=LedgerEntry.Source.PLAN,
            key=key,
            reason=f"{plan.name} plan {'trial ' if trial else ''}credits",
            expires_at=None if plan.rollover and not trial else first_end,
            detail={"plan": plan.slug, **({"trial": True} if trial else {}), **detail},
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

    ``event_at`` is the event's Stripe ``created`` time. Returns one of "stale", "ended",
    "waiting", "unknown-price", "upgraded", "downgrade-pending", "cancel-pending", "unchanged".
    """
    with transaction.atomic():
        account = locked_account(workspace)
        state, created = SubscriptionState.objects.get_or_create(
            subscription_id=subscription_id,
            defaults={"account": account, "status": status, "event_at": event_at},
        )
        if not created:
            if state.ended or event_at < state.event_at:
                return "stale"  # an ended subscription stays ended; older news is old
            state.status, state.event_at = status, event_at
        if status in ENDED_STATUSES:
            state.ended_at = timezone.now()
        state.save()
        account.stripe_event_at = max(event_at, account.stripe_event_at or event_at)
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
            _upgrade(account, plan, subscription_id, trialing=status == "trialing")
            outcome = "upgraded"
        elif plan.rank < account.plan.rank:
            account.pending_plan = plan
            outcome = "downgrade-pending"
        else:
            account.pending_plan = None
            outcome = "unchanged"
        account.save()
        return outcome


def _upgrade(account: CreditAccount, plan: Plan, subscription_id: str, *, trialing: bool) -> None:
    previous = account.plan
    account.plan, account.pending_plan = plan, None
    if account.paid_until is None or account.period_start is None or trialing:
        return  # from Free or in a trial: the next paid invoice grants the new plan's credits
    account.save()
    top_up = plan.monthly_credits - previous.monthly_credits
    if top_up > 0:
        grant_plan_credits(
            account,
            key=f"stripe:upgrade:{subscription_id}:{plan.slug}:{account.period_start:%Y%m%d%H%M%S}",
            credits=top_up,
        )


def _end_subscription(account: CreditAccount) -> None:
    """Put the workspace back on Free now; paid credits keep their expiry, a trial's lapse.

    Free periods are counted again from the account's first anchor, so ending a subscription lands
    in the Free period it falls in: one granted already (before the subscription) is not
    granted twice.
    """
    now = timezone.now()
    expire_trial_credits(account)
    account.plan, account.pending_plan = Plan.objects.default(), None
    account.stripe_subscription_id = ""
    account.interval = CreditAccount.Interval.MONTH
    if account.paid_until is not None:
        account.paid_until = None
        account.anchor = account.free_anchor or account.created_at
        account.period_end = now  # the Free period that holds now starts (granted once)
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
