"""Billing periods: lazy monthly grants, yearly plans' months, waiting for a renewal invoice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from billing.ledger import account_for, add_months, months_between
from billing.models import LedgerEntry, Plan
from billing.subscriptions import apply_paid_invoice

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 1, 31, 9, tzinfo=UTC), 2, datetime(2026, 3, 31, 9, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 14, datetime(2028, 1, 15, tzinfo=UTC)),
    ],
)
def test_months_are_added_with_the_day_clamped(start, months, expected):
    assert add_months(start, months) == expected


def test_months_between_counts_periods_that_have_begun():
    anchor = datetime(2026, 1, 31, tzinfo=UTC)
    assert months_between(anchor, datetime(2026, 2, 27, tzinfo=UTC)) == 0
    assert months_between(anchor, datetime(2026, 2, 28, tzinfo=UTC)) == 1
    assert months_between(anchor, datetime(2026, 4, 1, tzinfo=UTC)) == 2


def plan_grants() -> list[int]:
    entries = LedgerEntry.objects.filter(source="plan").order_by("created_at", "pk")
    return list(entries.values_list("amount", flat=True))


def test_a_workspace_away_for_months_gets_only_the_current_periods_grant(workspace, time_machine):
    account_for(workspace)
    time_machine.move_to(timezone.now() + timedelta(days=100))
    account = account_for(workspace)
    assert plan_grants() == [30, 30]
    assert account.balance() == 30
    assert account.period_start <= timezone.now() < account.period_end


def test_a_downgrade_by_staff_takes_effect_at_the_period_end(workspace, time_machine):
    account = account_for(workspace)
    account.plan = Plan.objects.get(slug="basic")
    account.pending_plan = Plan.objects.get(slug="free")
    account.save()
    time_machine.move_to(account.period_end + timedelta(seconds=1))
    account = account_for(workspace)
    assert account.plan.slug == "free" and account.pending_plan is None
    assert account.balance() == 30


def pay(workspace, plan: str, *, days: int, interval: str = "month", invoice_id: str = "in_1"):
    start = timezone.now().replace(microsecond=0)
    return apply_paid_invoice(
        workspace=workspace,
        invoice_id=invoice_id,
        subscription_id="sub_1",
        plan=Plan.objects.get(slug=plan),
        interval=interval,
        period_start=start,
        period_end=start + timedelta(days=days),
        billing_reason="subscription_create",
    )


def test_a_yearly_plan_grants_its_credits_month_by_month(workspace, time_machine):
    account_for(workspace)
    pay(workspace, "basic", days=365, interval="year")
    account = account_for(workspace)
    assert (account.interval, account.plan.slug) == ("year", "basic")
    for month in range(1, 12):
        time_machine.move_to(add_months(account.anchor, month) + timedelta(hours=1))
        assert account_for(workspace).balance() == 400, month
    assert plan_grants() == [30] + [400] * 12


def test_a_monthly_subscription_waits_for_its_renewal_invoice(workspace, time_machine):
    account_for(workspace)
    pay(workspace, "pro", days=30)
    account = account_for(workspace)
    time_machine.move_to(account.period_end + timedelta(hours=2))
    account = account_for(workspace)
    assert plan_grants() == [30, 1200]  # no lazy grant: Stripe has not been paid yet
    assert account.plan.slug == "pro"
    renewal = pay(workspace, "pro", days=30, invoice_id="in_2")
    assert renewal.amount == 1200
    assert account_for(workspace).balance() == 30 + 2400 - 30  # Free's 30 expired


def test_an_old_invoice_arriving_after_a_newer_one_does_not_move_the_period(workspace):
    account_for(workspace)
    now = timezone.now().replace(microsecond=0)
    late = apply_paid_invoice(
        workspace=workspace,
        invoice_id="in_old",
        subscription_id="sub_1",
        plan=Plan.objects.get(slug="basic"),
        interval="month",
        period_start=now - timedelta(days=40),
        period_end=now - timedelta(days=10),
        billing_reason="subscription_cycle",
    )
    account = account_for(workspace)
    assert account.plan.slug == "free" and account.paid_until is None
    assert late.expires_at < now  # what it paid for is over: its credits expired with it
    assert account.balance() == 30
