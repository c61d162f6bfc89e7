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
    # Dec 2 + 30 days ends before the calendar month does (Jan 1, not Jan 2): the case that
    # granted the period twice.
    time_machine.move_to(datetime(2026, 12, 2, 10, tzinfo=UTC))
    account_for(workspace)
    pay(workspace, "pro", days=30)
    account = account_for(workspace)
    time_machine.move_to(account.period_end + timedelta(hours=2))
    account = account_for(workspace)
    assert plan_grants() == [30, 1200]  # no lazy grant: Stripe has not been paid yet
    assert account.plan.slug == "pro"
    renewal = pay(workspace, "pro", days=30, invoice_id="in_2")
    assert renewal.amount == 1200
    assert account_for(workspace).balance() == 30 + 2400  # Free's month ends Jan 2, 10:00
    time_machine.move_to(datetime(2027, 1, 2, 10, 1, tzinfo=UTC))
    assert account_for(workspace).balance() == 2400


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


def paid(workspace, plan: str, start: datetime, end: datetime, **kwargs):
    """Apply a paid invoice whose line period is [start, end) (what Stripe's line says)."""
    fields = {
        "invoice_id": f"in_{start:%Y%m%d%H}",
        "subscription_id": "sub_1",
        "interval": "month",
        "billing_reason": "subscription_cycle",
    }
    return apply_paid_invoice(
        workspace=workspace,
        plan=Plan.objects.get(slug=plan),
        period_start=start,
        period_end=end,
        **{**fields, **kwargs},
    )


def test_a_thirty_day_period_in_a_31_day_month_is_granted_once(workspace, time_machine):
    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    time_machine.move_to(start)
    account_for(workspace)
    paid(workspace, "pro", start, start + timedelta(days=30))  # ends Jan 1, not Jan 2
    for hours in (1, 2, 6, 23, 25, 47):
        time_machine.move_to(start + timedelta(days=30, hours=hours))
        account_for(workspace)
    assert plan_grants() == [30, 1200]


def test_a_first_period_cut_short_by_an_anchor_on_the_1st_is_granted_once(workspace, time_machine):
    start = datetime(2027, 3, 17, 8, tzinfo=UTC)
    time_machine.move_to(start)
    account_for(workspace)
    paid(
        workspace,
        "basic",
        start,
        datetime(2027, 4, 1, tzinfo=UTC),
        billing_reason="subscription_create",
    )
    time_machine.move_to(datetime(2027, 4, 1, 5, tzinfo=UTC))
    assert account_for(workspace).balance() == 30  # Basic's 400 ended with its short period
    assert plan_grants() == [30, 400]


@pytest.mark.parametrize("day", [29, 30, 31])
def test_monthly_credits_anchored_late_in_the_month_last_the_whole_paid_period(
    workspace, time_machine, day
):
    from billing.ledger import add_months

    anchor = datetime(2027, 1, day, 9, tzinfo=UTC)
    time_machine.move_to(anchor)
    account_for(workspace)
    # Stripe keeps the anchor day: Jan 31 -> Feb 28 -> Mar 31 -> Apr 30.
    ends = [add_months(anchor, n) for n in range(4)]
    for start, end in zip(ends, ends[1:], strict=False):
        time_machine.move_to(start + timedelta(minutes=5))
        paid(workspace, "basic", start, end)
        time_machine.move_to(end - timedelta(hours=1))
        account = account_for(workspace)
        assert account.period_end == end
        assert account.balance() >= 400, (start, end)  # not expired before the paid end
    assert plan_grants() == [30, 400, 400, 400]


def test_a_trial_grants_the_free_allowance_until_it_ends_even_on_a_rollover_plan(
    workspace, time_machine
):
    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    time_machine.move_to(start)
    account_for(workspace)
    end = start + timedelta(days=30)
    entry = paid(workspace, "pro", start, end, billing_reason="subscription_create", trial=True)
    assert (entry.amount, entry.expires_at, entry.detail["trial"]) == (30, end, True)
    assert account_for(workspace).plan.slug == "pro"  # the trial has the plan's features
    time_machine.move_to(end + timedelta(hours=1))
    account = account_for(workspace)
    assert plan_grants() == [30, 30]  # no lazy month, no second grant: the trial is over
    assert account.balance() == 30  # the trial's 30 expired; Free's month runs to Jan 2


def test_a_staff_set_trial_allowance_is_what_a_trial_grants(workspace):
    Plan.objects.filter(slug="pro").update(trial_credits=250)
    start = timezone.now().replace(microsecond=0)
    entry = paid(workspace, "pro", start, start + timedelta(days=14), trial=True)
    assert entry.amount == 250 and entry.expires_at == start + timedelta(days=14)


def test_a_cancelled_trial_loses_what_is_left_of_its_credits(workspace, time_machine):
    from billing.subscriptions import apply_subscription

    start = datetime(2027, 2, 10, 12, tzinfo=UTC)
    time_machine.move_to(start)
    account_for(workspace)
    paid(workspace, "pro", start, start + timedelta(days=30), trial=True)
    time_machine.move_to(start + timedelta(days=3))
    outcome = apply_subscription(
        workspace=workspace,
        subscription_id="sub_1",
        plan=Plan.objects.get(slug="pro"),
        status="canceled",
        cancel_at_period_end=False,
        event_at=timezone.now(),
    )
    account = account_for(workspace)
    assert (outcome, account.plan.slug) == ("ended", "free")
    assert account.balance() == 30  # Free's month is still running; the trial's 30 is gone
    assert plan_grants() == [30, 30]  # and no second Free grant for the same Free month


def test_a_late_invoice_of_a_deleted_subscription_changes_nothing(workspace, time_machine):
    from billing.subscriptions import apply_subscription

    start = datetime(2027, 5, 1, 9, tzinfo=UTC)
    time_machine.move_to(start)
    account_for(workspace)
    paid(
        workspace, "basic", start, start + timedelta(days=31), billing_reason="subscription_create"
    )
    time_machine.move_to(start + timedelta(days=31, hours=1))
    deleted = {"subscription_id": "sub_1", "plan": Plan.objects.get(slug="basic")}
    assert apply_subscription(
        workspace=workspace, status="canceled", cancel_at_period_end=False,
        event_at=start + timedelta(days=31), **deleted,
    ) == "ended"  # fmt: skip
    # The renewal invoice's event (created before the deletion) arrives after it.
    renewal = paid(workspace, "basic", start + timedelta(days=31), start + timedelta(days=61))
    assert renewal is None
    # So does an older "active" update of the same subscription.
    assert apply_subscription(
        workspace=workspace, status="active", cancel_at_period_end=False,
        event_at=start + timedelta(days=30), **deleted,
    ) == "stale"  # fmt: skip
    account = account_for(workspace)
    assert account.plan.slug == "free" and account.stripe_subscription_id == ""
    assert plan_grants() == [30, 400, 30]  # the Free month after the subscription, once
