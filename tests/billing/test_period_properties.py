"""Property tests of billing periods: every paid period granted exactly once, whatever happens.

Hypothesis draws a subscription's life (anchor on any day 1-31 at any hour; monthly periods of
27-31 days or a yearly one; an optional trial; an optional pending downgrade; an optional
cancellation) and the order in which Stripe's events reach us (each delayed 0-72 hours, some
delivered twice). The clock is moved hour by hour across 14 months: the pure period rule
(billing.ledger.due_period) is checked at every hour; the database is visited every day at
noon and at every hour from 3 hours before to 3 hours after every period boundary and every
delivery, which is where a period can open, close or be granted.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.ledger import add_months, due_period, period_key
from billing.models import LedgerEntry, Plan

HOUR = timedelta(hours=1)
HORIZON = timedelta(days=14 * 31)


def anchors():
    """Any hour of any day 1-31 of 2026-2028 (a day a month lacks moves to a month with it)."""

    def build(year, month, day, hour):
        while True:
            try:
                return datetime(year, month, day, hour, tzinfo=UTC)
            except ValueError:
                month = month % 12 + 1

    return st.builds(
        build,
        st.integers(2026, 2028),
        st.integers(1, 12),
        st.integers(1, 31),
        st.integers(0, 23),
    )


@settings(max_examples=40, deadline=None)
@given(
    anchor=anchors(),
    interval=st.sampled_from(["month", "year"]),
    paid=st.booleans(),
    offset_hours=st.integers(0, 24 * 40),
)
def test_the_period_rule_holds_hour_by_hour(anchor, interval, paid, offset_hours):
    """Periods tile time without gaps or overlaps and never pass what Stripe was paid for."""
    paid_until = add_months(anchor, 12 if interval == "year" else 1) if paid else None
    start_hour = anchor + timedelta(hours=offset_hours)
    previous = None
    for hour in range(0, 24 * 31 * 14, 1):
        now = start_hour + timedelta(hours=hour)
        period = due_period(anchor=anchor, interval=interval, paid_until=paid_until, now=now)
        if paid_until is not None and interval == "month":
            assert period is None  # a monthly paid period is its invoice's, never the calendar's
            continue
        if paid_until is not None and now >= paid_until:
            assert period is None
            continue
        assert period is not None
        start, end = period
        assert start <= now < end
        assert paid_until is None or end <= paid_until
        if previous is not None and previous != period:
            assert start == previous[1]  # the next period starts where the last one ended
        previous = period


# --- the database, with events in any order -----------------------------------------------


@dataclass(order=True)
class Delivery:
    at: datetime
    order: int
    kind: str = field(compare=False)  # "invoice" | "subscription"
    values: dict = field(compare=False)


@dataclass
class Life:
    anchor: datetime
    interval: str
    deliveries: list[Delivery]
    boundaries: list[datetime]
    invoices: dict[str, dict]  # invoice id -> its values
    deleted_delivery: datetime | None


@st.composite
def lives(draw) -> Life:
    anchor = draw(anchors())
    interval = draw(st.sampled_from(["month", "month", "year"]))
    trial_days = draw(st.one_of(st.none(), st.integers(7, 31)))
    high, low = "pro", draw(st.sampled_from(["basic", "pro"]))
    periods: list[tuple[datetime, datetime, bool]] = []  # start, end, trial
    start = anchor
    if trial_days:
        periods.append((start, start + timedelta(days=trial_days), True))
        start = periods[-1][1]
    if interval == "year":
        periods.append((start, add_months(start, 12), False))
        start = periods[-1][1]
    while start < anchor + HORIZON:
        days = draw(st.integers(27, 31))
        periods.append((start, start + timedelta(days=days), False))
        start = periods[-1][1]
    cancel_after = draw(st.one_of(st.none(), st.integers(0, len(periods) - 1)))
    if cancel_after is not None:
        periods = periods[: cancel_after + 1]
    downgrade_at = draw(st.one_of(st.none(), st.integers(1, max(len(periods) - 1, 1))))

    events: list[tuple[datetime, str, dict]] = []
    status = "trialing" if trial_days else "active"
    events.append((anchor, "subscription", {"plan": high, "status": status, "cancel": False}))
    invoices = {}
    for n, (start, end, trial) in enumerate(periods):
        plan = low if downgrade_at is not None and n >= downgrade_at else high
        invoice = {
            "invoice_id": f"in_{n}",
            "plan": plan,
            "interval": "month"
            if trial
            else ("year" if end - start > timedelta(days=40) else "month"),
            "period_start": start,
            "period_end": end,
            "billing_reason": "subscription_create" if n == 0 else "subscription_cycle",
            "trial": trial,
        }
        invoices[invoice["invoice_id"]] = invoice
        events.append((start, "invoice", invoice))
        if trial and n + 1 < len(periods):
            after = low if downgrade_at is not None and n + 1 >= downgrade_at else high
            events.append(
                (end, "subscription", {"plan": after, "status": "active", "cancel": False})
            )
        if downgrade_at is not None and n + 1 == downgrade_at:
            events.append((start + timedelta(days=2), "subscription",
                           {"plan": low, "status": "active", "cancel": False}))  # fmt: skip
    if cancel_after is not None:
        last_start, last_end, _ = periods[-1]
        events.append((last_start + timedelta(days=1), "subscription",
                       {"plan": low, "status": "active", "cancel": True}))  # fmt: skip
        events.append(
            (last_end, "subscription", {"plan": low, "status": "canceled", "cancel": False})
        )

    deliveries = []
    order = itertools.count()
    for created, kind, values in events:
        copies = draw(st.integers(1, 2))  # Stripe may deliver an event twice
        for _ in range(copies):
            delay = timedelta(hours=draw(st.integers(0, 72)), minutes=draw(st.integers(0, 59)))
            deliveries.append(
                Delivery(created + delay, next(order), kind, {**values, "created": created})
            )
    deliveries.sort()
    deleted = [d.at for d in deliveries if d.values.get("status") == "canceled"]
    boundaries = sorted({p[0] for p in periods} | {p[1] for p in periods})
    return Life(anchor, interval, deliveries, boundaries, invoices, deleted[0] if deleted else None)


def _visits(life: Life) -> list[datetime]:
    """Hours the database is looked at: daily at noon, and around every boundary and delivery."""
    first = life.anchor.replace(minute=0) + timedelta(minutes=30)
    end = life.anchor + HORIZON
    moments = set()
    day = first
    while day < end:
        moments.add(day.replace(hour=12))
        day += timedelta(days=1)
    for moment in life.boundaries + [d.at for d in life.deliveries]:
        for hours in range(-3, 4):
            if first <= (visit := moment + hours * HOUR) < end:
                moments.add(visit)
    return sorted(moments)


@pytest.mark.django_db
@settings(
    max_examples=int(os.environ.get("STUDIO_PROPERTY_EXAMPLES", "12")),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(life=lives())
def test_every_paid_period_is_granted_exactly_once_whatever_the_order_of_events(
    django_user_model, life
):
    from accounts.models import personal_workspace
    from billing.ledger import account_for, capture, hold_for_job
    from billing.subscriptions import apply_paid_invoice, apply_subscription
    from studio.models import Job
    from tests.billing.conftest import quote_of

    plans = {plan.slug: plan for plan in Plan.objects.all()}
    free = plans["free"]
    with time_machine.travel(life.anchor - timedelta(hours=1), tick=False) as clock:
        user = django_user_model.objects.create_user(
            username=f"u{life.anchor:%Y%m%d%H}-{django_user_model.objects.count()}",
            email=f"p{django_user_model.objects.count()}@example.com",
        )
        workspace = personal_workspace(user)
        sub = f"sub_{user.pk}"  # examples share one database transaction
        account = account_for(workspace)
        pending = list(life.deliveries)
        applied_invoices: set[str] = set()
        ended = False
        spent = 0
        for visit in _visits(life):
            while pending and pending[0].at <= visit:
                delivery = pending.pop(0)
                clock.move_to(delivery.at)
                values = delivery.values
                if delivery.kind == "invoice":
                    apply_paid_invoice(
                        workspace=workspace,
                        subscription_id=sub,
                        plan=plans[values["plan"]],
                        **{k: values[k] for k in ("invoice_id", "interval", "period_start",
                                                  "period_end", "billing_reason", "trial")},
                    )  # fmt: skip
                    if not ended:
                        applied_invoices.add(values["invoice_id"])
                else:
                    apply_subscription(
                        workspace=workspace,
                        subscription_id=sub,
                        plan=plans[values["plan"]],
                        status=values["status"],
                        cancel_at_period_end=values["cancel"],
                        event_at=values["created"],
                    )
                    ended = ended or values["status"] == "canceled"
            clock.move_to(visit)
            account = account_for(workspace)
            balance = account.balance()
            assert balance >= 0
            if balance >= 7 and visit.day % 5 == 0 and visit.hour == 12:
                job = Job.objects.create(
                    workspace=workspace, user=user, operation="social", spec="x"
                )
                hold_for_job(job, quote_of(7))
                capture(job)
                spent += 7

    grants = LedgerEntry.objects.filter(account=account, kind="grant", source="plan")
    paid = [g for g in grants if g.idempotency_key.startswith(f"plan:{account.pk}:{sub}:")]
    starts = [g.idempotency_key.rsplit(f":{sub}:", 1)[1] for g in paid]
    assert len(starts) == len(set(starts)), "a paid period was granted twice"

    # What each applied invoice paid for: its period, or every month of a paid year that
    # began before the subscription ended (the clock visits every day).
    expected: dict[str, int] = {}
    for invoice_id in applied_invoices:
        invoice = life.invoices[invoice_id]
        plan = plans[invoice["plan"]]
        credits = plan.trial_allowance() if invoice["trial"] else plan.monthly_credits
        if invoice["interval"] == "year":
            stop = min(invoice["period_end"], life.deleted_delivery or invoice["period_end"])
            month = 0
            while (start := add_months(invoice["period_start"], month)) < stop:
                if month == 0 or start >= life.anchor:
                    expected[start.isoformat()] = credits
                month += 1
        else:
            expected[invoice["period_start"].isoformat()] = credits
    got = {start: g.amount for start, g in zip(starts, paid, strict=True)}
    # A yearly plan's later months are granted lazily by the plan in force that month (an
    # upgrade or downgrade in between changes which); the periods themselves must match.
    assert set(got) == set(expected), "granted periods differ from the paid ones"
    for start, amount in got.items():
        if life.interval == "month":
            assert amount == expected[start], start

    # Nothing is granted without a paid invoice: no lazy paid month after the end, no Free
    # month counted twice.
    free_keys = [g.idempotency_key for g in grants if ":free:" in g.idempotency_key]
    assert len(free_keys) == len(set(free_keys))
    assert all(g.amount == free.monthly_credits for g in grants if ":free:" in g.idempotency_key)
    assert all(g.idempotency_key == period_key(account, datetime.fromisoformat(s), sub)
               for g, s in zip(paid, starts, strict=True))  # fmt: skip
    assert account.balance() >= 0
