"""The credit ledger: grants, holds, captures, releases, refunds, expiry, history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from billing import ledger
from billing.history import history, uses_by_lot
from billing.ledger import InsufficientCredits, account_for, capture, hold_for_job, release
from billing.models import Allocation, LedgerEntry
from tests.billing.conftest import pack_grant, quote_of

pytestmark = [pytest.mark.django_db]


def balance(workspace) -> int:
    return account_for(workspace).balance()


def ledger_sum(workspace) -> int:
    return sum(
        LedgerEntry.objects.filter(account__workspace=workspace).values_list("amount", flat=True)
    )


def test_a_new_workspace_starts_on_free_with_its_monthly_credits(workspace):
    account = account_for(workspace)
    assert account.plan.slug == "free"
    assert account.balance() == 30
    grant = LedgerEntry.objects.get(account=account)
    assert grant.kind == "grant" and grant.source == "plan"
    assert grant.expires_at == account.period_end


def test_the_free_grant_is_made_once_per_period(workspace):
    for _ in range(3):
        account_for(workspace)
    assert LedgerEntry.objects.filter(kind="grant").count() == 1


def test_reading_the_balance_takes_no_lock_only_granting_a_period_does(workspace):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = account_for(workspace)  # the first read opens the period: that one writes
    with CaptureQueriesContext(connection) as reads:
        assert account_for(workspace).balance() == 30
    assert not [q for q in reads.captured_queries if "FOR UPDATE" in q["sql"]]
    with CaptureQueriesContext(connection) as renewal:
        later = account_for(workspace, now=account.period_end + timedelta(hours=1))
    assert any("FOR UPDATE" in q["sql"] for q in renewal.captured_queries)
    assert later.period_start == account.period_end
    assert LedgerEntry.objects.filter(kind="grant").count() == 2


def test_a_hold_reserves_exactly_the_quote_and_capture_charges_it(
    workspace, make_job, free_without_credits
):
    pack_grant(workspace, 20)
    job = make_job()
    hold = hold_for_job(job, quote_of(8))
    assert hold.amount == -8 and hold.job_code == job.code
    assert balance(workspace) == 12
    charge = capture(job)
    assert charge.kind == "capture" and charge.amount == -8
    assert balance(workspace) == 12
    assert account_for(workspace).reserved() == 0


def test_holding_twice_for_one_job_holds_once(workspace, make_job, free_without_credits):
    pack_grant(workspace, 20)
    job = make_job()
    first = hold_for_job(job, quote_of(8))
    second = hold_for_job(job, quote_of(8))
    assert first.pk == second.pk
    assert balance(workspace) == 12


def test_a_hold_larger_than_the_balance_is_refused(workspace, make_job, free_without_credits):
    pack_grant(workspace, 5)
    with pytest.raises(InsufficientCredits) as refused:
        hold_for_job(make_job(), quote_of(8))
    assert (refused.value.needed, refused.value.available) == (8, 5)
    assert balance(workspace) == 5
    assert not LedgerEntry.objects.filter(kind="hold").exists()


def test_a_zero_credit_quote_holds_nothing(workspace, make_job):
    job = make_job(operation="social", spec="social-x-post")
    assert hold_for_job(job, quote_of(0, "social")) is None
    assert capture(job) is None and release(job) is None


def test_capture_charges_the_actual_cost_and_returns_the_rest(
    workspace, make_job, free_without_credits
):
    pack_grant(workspace, 20)
    job = make_job()
    hold_for_job(job, quote_of(8))
    charge = capture(job, actual=5)
    assert charge.amount == -5 and charge.detail["quoted"] == 8
    assert balance(workspace) == 15


def test_capture_never_charges_more_than_was_held(workspace, make_job, free_without_credits):
    pack_grant(workspace, 20)
    job = make_job()
    hold_for_job(job, quote_of(8))
    with pytest.raises(ValueError, match="cannot be charged 9"):
        capture(job, actual=9)
    assert balance(workspace) == 12


def test_release_gives_the_hold_back_exactly_once(workspace, make_job, free_without_credits):
    pack_grant(workspace, 20)
    job = make_job()
    hold_for_job(job, quote_of(8))
    assert release(job).amount == 8
    assert release(job) is None
    assert balance(workspace) == 20


def test_a_released_job_cannot_be_captured_and_a_captured_one_not_released(
    workspace, make_job, free_without_credits
):
    pack_grant(workspace, 20)
    failed, done = make_job(), make_job()
    hold_for_job(failed, quote_of(8))
    hold_for_job(done, quote_of(3))
    release(failed)
    assert capture(failed) is None
    capture(done)
    assert release(done) is None
    assert capture(done) is None  # already settled: the first settlement stands
    assert balance(workspace) == 17
    assert LedgerEntry.objects.filter(kind="capture").count() == 1


def test_settle_captures_succeeded_jobs_and_releases_failed_ones(
    workspace, make_job, free_without_credits
):
    pack_grant(workspace, 20)
    ok, bad = make_job(), make_job()
    for job in (ok, bad):
        hold_for_job(job, quote_of(4))
    ok.finish("succeeded")
    bad.finish("failed", "Provider refused the image.")
    assert ledger.settle(ok).kind == "capture"
    released = ledger.settle(bad)
    assert released.kind == "release" and released.reason == "Provider refused the image."
    assert balance(workspace) == 16


def test_expiring_monthly_credits_are_spent_before_pack_credits(workspace, make_job):
    pack = pack_grant(workspace, 100)
    job = make_job()
    hold_for_job(job, quote_of(40))
    monthly = LedgerEntry.objects.get(source="plan")
    drawn = {a.lot_id: a.amount for a in Allocation.objects.filter(entry__kind="hold")}
    assert drawn == {monthly.pk: -30, pack.pk: -10}


def test_monthly_credits_expire_at_period_end_and_pack_credits_do_not(
    workspace, make_job, time_machine
):
    pack_grant(workspace, 100)
    job = make_job()
    hold_for_job(job, quote_of(10))
    capture(job)
    account = account_for(workspace)
    assert account.balance() == 120
    time_machine.move_to(account.period_end + timedelta(seconds=1))
    account = account_for(workspace)
    expiry = LedgerEntry.objects.get(kind="expiry")
    assert expiry.amount == -20  # the Free grant's 30, less the 10 the job used
    assert account.balance() == 100 + 30  # the pack, plus the new period's Free grant
    assert ledger_sum(workspace) == account.balance()


def test_a_hold_released_after_its_credits_expired_does_not_revive_them(
    workspace, make_job, time_machine
):
    job = make_job()
    hold_for_job(job, quote_of(30))
    period_end = account_for(workspace).period_end
    time_machine.move_to(period_end + timedelta(seconds=1))
    account_for(workspace)  # next period: a fresh 30
    release(job)
    account = account_for(workspace)
    assert account.balance() == 30
    assert ledger_sum(workspace) == 30


def test_rollover_plans_keep_monthly_credits(workspace, time_machine):
    from billing.models import Plan

    account = account_for(workspace)
    account.plan = Plan.objects.get(slug="pro")  # a staff-managed plan, no subscription
    account.save()
    time_machine.move_to(account.period_end + timedelta(seconds=1))
    account = account_for(workspace)
    assert account.balance() == 1200  # Free's 30 expired; Pro's first grant
    time_machine.move_to(account.period_end + timedelta(seconds=1))
    account = account_for(workspace)
    assert account.balance() == 2400  # Pro's credits roll over
    assert LedgerEntry.objects.filter(kind="expiry").count() == 1


def test_ledger_entries_are_append_only(workspace):
    entry = LedgerEntry.objects.get(account=account_for(workspace))
    entry.amount = 1_000
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_an_idempotency_key_is_unique_in_the_database(workspace):
    account = account_for(workspace)
    key = LedgerEntry.objects.get(account=account).idempotency_key
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=account, kind="grant", amount=1, idempotency_key=key)


def test_staff_adjustments_need_a_reason_and_never_overdraw(workspace, staff_user):
    with pytest.raises(ValueError, match="reason"):
        ledger.adjust(workspace=workspace, credits=10, reason=" ", by=staff_user)
    ledger.adjust(workspace=workspace, credits=10, reason="Goodwill", by=staff_user, key="adj-1")
    ledger.adjust(workspace=workspace, credits=10, reason="Goodwill", by=staff_user, key="adj-1")
    assert balance(workspace) == 40
    with pytest.raises(InsufficientCredits):
        ledger.adjust(workspace=workspace, credits=-41, reason="Chargeback", by=staff_user)
    debit = ledger.adjust(workspace=workspace, credits=-15, reason="Chargeback", by=staff_user)
    assert debit.kind == "adjustment" and debit.created_by == staff_user
    assert balance(workspace) == 25


def test_a_refund_gives_back_the_charge_once(workspace, make_job, staff_user):
    job = make_job()
    hold_for_job(job, quote_of(8))
    capture(job)
    for _ in range(2):
        ledger.refund(workspace=workspace, job_code=job.code, reason="Blurry output", by=staff_user)
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance(workspace) == 30


def test_history_shows_charges_pending_holds_and_where_each_grant_went(workspace, make_job):
    done, running, failed = make_job(), make_job(), make_job()
    for job, credits in ((done, 8), (running, 3), (failed, 5)):
        hold_for_job(job, quote_of(credits))
    capture(done)
    release(failed)
    lines = history(account_for(workspace))
    titles = [(line.entry.kind, line.credits, line.pending) for line in lines]
    assert ("capture", -8, False) in titles
    assert ("hold", -3, True) in titles
    assert ("release", 0, False) in titles
    assert not any(kind == "hold" and not pending for kind, _, pending in titles)
    grant = next(line for line in lines if line.entry.kind == "grant")
    uses = {use.label.split()[-1]: use.credits for use in grant.uses}
    assert uses == {str(done.code)[:8]: 8, str(running.code)[:8]: 3}
    assert all(use.job_url.startswith("/jobs/") for use in grant.uses)


def test_uses_by_lot_reports_expiry(workspace, time_machine):
    account = account_for(workspace)
    time_machine.move_to(account.period_end + timedelta(seconds=1))
    account_for(workspace)
    lot = LedgerEntry.objects.filter(kind="grant").earliest("created_at")
    assert [(u.label, u.credits) for u in uses_by_lot([lot])[lot.pk]] == [("Expired", 30)]


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", "staff@example.com", is_staff=True)


def test_the_periodic_task_settles_jobs_that_ended_with_their_hold_open(workspace, make_job):
    from studio.tasks import settle_finished_jobs

    succeeded, failed, running = make_job(), make_job(), make_job()
    for job in (succeeded, failed, running):
        hold_for_job(job, quote_of(5))
    succeeded.finish("succeeded")
    failed.finish("failed", "Worker lost")
    assert settle_finished_jobs() == 2
    assert settle_finished_jobs() == 0
    kinds = set(LedgerEntry.objects.filter(kind="capture").values_list("job_code", flat=True))
    assert kinds == {succeeded.code}
    assert account_for(workspace).reserved() == 5
    assert balance(workspace) == 30 - 5 - 5
