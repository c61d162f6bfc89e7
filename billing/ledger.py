"""Ledger workflows: grants, holds for jobs, captures, releases, refunds, expiry, periods.

Every writer runs inside ``transaction.atomic()`` and first locks the workspace's CreditAccount
row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's immediate transactions serialise writers
the same way), so two requests can never both spend the last credit. Each entry carries a unique
idempotency key: calling a writer twice with the same key returns the first entry.

Keys: ``hold:<job>``, ``release:<job>``, ``capture:<job>``, ``refund:<job>``,
``plan:<account>:<subscription or free>:<period start>`` (every period's grant, lazy or paid by
an invoice: billing.ledger.period_key), ``expiry:<lot>:<n>``; packs and upgrades use Stripe ids
(billing.subscriptions).
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from billing.models import Allocation, CreditAccount, LedgerEntry, Plan

if TYPE_CHECKING:
    from billing.quotes import Quote
    from studio.models import Job

Kind = LedgerEntry.Kind


class InsufficientCredits(Exception):
    """The balance does not cover a hold or a debit; ``needed`` and ``available`` in credits."""

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"This needs {needed} credits; the workspace has {available}.")
        self.needed, self.available = needed, available


# --- periods ------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """Return ``moment`` moved by whole months, the day clamped to the month's length."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def months_between(anchor: datetime, now: datetime) -> int:
    """Return how many whole monthly periods counted from ``anchor`` have begun before ``now``."""
    months = (now.year - anchor.year) * 12 + now.month - anchor.month
    while months > 0 and add_months(anchor, months) > now:
        months -= 1
    return max(months, 0)


def locked_account(workspace: Workspace) -> CreditAccount:
    """Return the workspace's account row locked for this transaction, creating it on Free.

    Must be called inside ``transaction.atomic()``. Raises Plan.DoesNotExist when no default
    plan exists (the catalog migration seeds one).
    """
    account = CreditAccount.objects.select_for_update().filter(workspace=workspace).first()
    if account is None:
        CreditAccount.objects.get_or_create(
            workspace=workspace, defaults={"plan": Plan.objects.default()}
        )
        account = CreditAccount.objects.select_for_update().get(workspace=workspace)
    return account


def account_for(workspace: Workspace, *, now: datetime | None = None) -> CreditAccount:
    """Return the workspace's account with its current period granted and old lots expired.

    Reading takes no lock: the row lock (and its transaction) is taken only when there is
    something to write, a period to open or a lapsed lot to expire (refresh_due).
    """
    now = now or timezone.now()
    account = CreditAccount.objects.select_related("plan").filter(workspace=workspace).first()
    if account is not None and not refresh_due(account, now=now):
        return account
    with transaction.atomic():
        account = locked_account(workspace)
        refresh(account, now=now)
    return account


def refresh_due(account: CreditAccount, *, now: datetime) -> bool:
    """Return True if refresh() would write: a due period not opened yet, or a lapsed lot
    with credits left. Read-only; the answer may be stale by the time a lock is taken,
    which refresh() (idempotent) tolerates."""
    if account.period_end is None or now >= account.period_end:
        period = due_period(
            anchor=account.anchor,
            interval=account.interval,
            paid_until=account.paid_until,
            now=now,
        )
        if period is not None and period[0] != account.period_start:
            return True
    lapsed = LedgerEntry.objects.filter(account=account, expires_at__lte=now)
    return lapsed.lots().with_remaining().filter(remaining__gt=0).exists()


def refresh(account: CreditAccount, *, now: datetime) -> None:
    """Start the current period (granting its credits) and expire lapsed lots; lock held."""
    _ensure_period(account, now)
    expire_lots(account, now=now)


def due_period(
    *, anchor: datetime, interval: str, paid_until: datetime | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """Return the (start, end) of the period that holds ``now``, or None to wait for Stripe.

    Without a subscription (``paid_until`` None) monthly periods are counted from ``anchor``
    for ever (the Free plan's lazy grant). With one, periods exist only inside what Stripe was
    paid for: a monthly subscription's period is exactly its invoice line's period, so the
    calendar never derives one (None: the next one starts with its ``invoice.paid``); a yearly
    subscription's year is cut into months counted from ``anchor`` (its invoice's period start),
    the last one ending exactly at ``paid_until``. Pure: no database, no clock.
    """
    if paid_until is None:
        months = months_between(anchor, now)
        return add_months(anchor, months), add_months(anchor, months + 1)
    if interval != CreditAccount.Interval.YEAR or not anchor <= now < paid_until:
        return None
    months = months_between(anchor, now)
    return add_months(anchor, months), min(add_months(anchor, months + 1), paid_until)


def period_key(account: CreditAccount, start: datetime, subscription_id: str = "") -> str:
    """Return the one idempotency key of a period's plan grant, lazy or invoiced.

    ``plan:<account>:<subscription id, or "free">:<period start, ISO 8601>``: a paid period is
    granted once whichever of its invoice or the lazy monthly grant comes first, and a Free
    period and a paid one that start in the same instant do not collide.
    """
    return f"plan:{account.pk}:{subscription_id or 'free'}:{start.isoformat()}"


def _ensure_period(account: CreditAccount, now: datetime) -> None:
    if account.period_end is not None and now < account.period_end:
        return
    period = due_period(
        anchor=account.anchor, interval=account.interval, paid_until=account.paid_until, now=now
    )
    if period is None or period[0] == account.period_start:
        return  # waiting for a renewal invoice, or the current period is already open
    start, end = period
    if account.pending_plan_id is not None and account.paid_until is None:
        # A staff-set downgrade; a subscription's plan changes with its invoice or its end.
        account.plan_id, account.pending_plan_id = account.pending_plan_id, None
        account.plan = Plan.objects.get(pk=account.plan_id)
    account.period_start, account.period_end = start, end
    account.save(update_fields=["plan", "pending_plan", "period_start", "period_end"])
    subscription = account.stripe_subscription_id if account.paid_until is not None else ""
    grant_plan_credits(account, key=period_key(account, start, subscription))


def grant_plan_credits(
    account: CreditAccount,
    *,
    key: str,
    credits: int | None = None,
    trial: bool = False,
    detail: dict | None = None,
) -> LedgerEntry | None:
    """Grant the plan's credits for the current period; lock held, idempotent on ``key``.

    ``credits`` defaults to the plan's monthly grant, or to its trial allowance for a trial
    (Plan.trial_allowance). The grant expires at the period end unless the plan rolls over; a
    trial's grant always expires when the trial ends. Returns the entry, or None for 0 credits.
    """
    plan = account.plan
    if credits is None:
        credits = plan.trial_allowance() if trial else plan.monthly_credits
    if credits <= 0:
        return None
    return _grant(
        account,
        amount=credits,
        key=key,
        source=LedgerEntry.Source.PLAN,
        reason=f"{plan.name} plan {'trial ' if trial else ''}credits",
        expires_at=account.period_end if trial or not plan.rollover else None,
        detail={"plan": plan.slug, **({"trial": True} if trial else {}), **(detail or {})},
    )


# --- writing entries ----------------------------------------------------------------------


def find_entry(key: str) -> LedgerEntry | None:
    """Return the entry written under an idempotency key, or None."""
    return LedgerEntry.objects.filter(idempotency_key=key).first()


def _grant(
    account: CreditAccount, *, amount: int, key: str, kind: str = Kind.GRANT, **fields
) -> LedgerEntry:
    if (entry := find_entry(key)) is not None:
        return entry
    return LedgerEntry.objects.create(
        account=account, kind=kind, amount=amount, idempotency_key=key, **fields
    )


def _draw(entry: LedgerEntry, credits: int, *, now: datetime) -> None:
    """Take ``credits`` from the account's live lots, soonest-expiring first; lock held."""
    left = credits
    lots = (
        LedgerEntry.objects.filter(account_id=entry.account_id)
        .lots()
        .live(now)
        .with_remaining()
        .filter(remaining__gt=0)
        .consumption_order()
    )
    allocations = []
    for lot in lots:
        take = min(lot.remaining, left)
        allocations.append(Allocation(entry=entry, lot=lot, amount=-take))
        left -= take
        if not left:
            break
    if left:
        raise InsufficientCredits(credits, credits - left)
    Allocation.objects.bulk_create(allocations)


def grant(
    *,
    workspace: Workspace,
    credits: int,
    source: str,
    key: str,
    reason: str = "",
    expires_at: datetime | None = None,
    by=None,
    detail: dict | None = None,
) -> LedgerEntry:
    """Add a lot of ``credits`` (> 0) to the workspace; return the entry (the first, on replay).

    ``source`` is a LedgerEntry.Source; pack and staff credits pass ``expires_at=None``.
    """
    if credits <= 0:
        raise ValueError("A grant must bring at least one credit.")
    with transaction.atomic():
        account = locked_account(workspace)
        return _grant(
            account,
            amount=credits,
            key=key,
            source=source,
            reason=reason,
            expires_at=expires_at,
            created_by=by,
            detail=detail or {},
        )


def adjust(*, workspace: Workspace, credits: int, reason: str, by, key: str = "") -> LedgerEntry:
    """Apply a staff adjustment with its reason: a grant if positive, a debit if negative.

    A debit takes credits like a job does and raises InsufficientCredits rather than letting
    the balance go negative. ``key`` makes a double-submitted admin form apply once.
    """
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    if credits == 0:
        raise ValueError("An adjustment must change the balance.")
    key = key or f"adjust:{uuid.uuid4()}"
    if credits > 0:
        return grant(
            workspace=workspace,
            credits=credits,
            source=LedgerEntry.Source.STAFF,
            key=key,
            reason=reason,
            by=by,
        )
    now = timezone.now()
    with transaction.atomic():
        account = locked_account(workspace)
        if (entry := find_entry(key)) is not None:
            return entry
        refresh(account, now=now)
        entry = LedgerEntry.objects.create(
            account=account,
            kind=Kind.ADJUSTMENT,
            source=LedgerEntry.Source.STAFF,
            amount=credits,
            idempotency_key=key,
            reason=reason,
            created_by=by,
        )
        _draw(entry, -credits, now=now)
        return entry


def expire_lots(account: CreditAccount, *, now: datetime) -> list[LedgerEntry]:
    """Write an expiry entry for what is left in every lapsed lot; lock held."""
    return _expire(account, LedgerEntry.objects.filter(account=account, expires_at__lte=now))


def expire_trial_credits(account: CreditAccount) -> list[LedgerEntry]:
    """Expire at once what is left of the account's trial grants (a trial that was cancelled)."""
    return _expire(account, LedgerEntry.objects.filter(account=account, detail__trial=True))


def _expire(account: CreditAccount, lots) -> list[LedgerEntry]:
    entries = []
    for lot in lots.lots().with_remaining().filter(remaining__gt=0):
        # A lot can lapse again when a hold on it is released after its expiry.
        n = Allocation.objects.filter(lot=lot, entry__kind=Kind.EXPIRY).count()
        entry = LedgerEntry.objects.create(
            account=account,
            kind=Kind.EXPIRY,
            amount=-lot.remaining,
            idempotency_key=f"expiry:{lot.pk}:{n}",
            reason=f"Unused credits of “{lot.reason or lot.get_source_display()}” expired",
            detail={"lot": lot.pk, "expired_at": (lot.expires_at or timezone.now()).isoformat()},
        )
        Allocation.objects.create(entry=entry, lot=lot, amount=-lot.remaining)
        entries.append(entry)
    return entries


# --- jobs ---------------------------------------------------------------------------------


def hold_for_job(job: Job, quote: Quote) -> LedgerEntry | None:
    """Reserve exactly the quoted credits for a job; idempotent on the job's code.

    Call it in the transaction that creates the job. Returns the hold, or None for a quote of
    0 credits (nothing to reserve). Raises InsufficientCredits when the balance no longer
    covers the quote (another request spent it since the quote was shown).
    """
    if quote.credits <= 0:
        return None
    now = timezone.now()
    key = f"hold:{job.code}"
    with transaction.atomic():
        account = locked_account(job.workspace)
        if (entry := find_entry(key)) is not None:
            return entry
        refresh(account, now=now)
        available = account.balance(now)
        if available < quote.credits:
            raise InsufficientCredits(quote.credits, available)
        entry = LedgerEntry.objects.create(
            account=account,
            kind=Kind.HOLD,
            amount=-quote.credits,
            idempotency_key=key,
            job_code=job.code,
            operation=job.operation,
            detail=quote.as_dict(),
        )
        _draw(entry, quote.credits, now=now)
        return entry


def _settle(job: Job, *, charge: bool, actual: int | None, reason: str) -> LedgerEntry | None:
    """Release the job's hold, then charge from the lots it held if ``charge``; once per job."""
    with transaction.atomic():
        locked_account(job.workspace)
        hold = find_entry(f"hold:{job.code}")
        if hold is None:
            return None
        if find_entry(f"release:{job.code}") is not None:
            return None  # already settled: a capture or a release happened first
        held = -hold.amount
        charged = (held if actual is None else actual) if charge else 0
        if not 0 <= charged <= held:
            raise ValueError(f"A job held {held} credits; it cannot be charged {charged}.")
        common = {"account_id": hold.account_id, "job_code": job.code, "operation": hold.operation}
        held_from = list(hold.allocations.order_by("pk"))
        release_entry = LedgerEntry.objects.create(
            kind=Kind.RELEASE,
            amount=held,
            idempotency_key=f"release:{job.code}",
            reason=reason,
            detail={"charged": charged},
            **common,
        )
        Allocation.objects.bulk_create(
            Allocation(entry=release_entry, lot_id=a.lot_id, amount=-a.amount) for a in held_from
        )
        if charged == 0:
            return release_entry
        capture_entry = LedgerEntry.objects.create(
            kind=Kind.CAPTURE,
            amount=-charged,
            idempotency_key=f"capture:{job.code}",
            detail={**hold.detail, "credits": charged, "quoted": held},
            **common,
        )
        Allocation.objects.bulk_create(_take_in_order(capture_entry, held_from, charged))
        return capture_entry


def _take_in_order(entry: LedgerEntry, held_from: Iterable[Allocation], credits: int):
    left = credits
    for allocation in held_from:
        take = min(-allocation.amount, left)
        if take:
            yield Allocation(entry=entry, lot_id=allocation.lot_id, amount=-take)
        left -= take


def capture(job: Job, actual: int | None = None) -> LedgerEntry | None:
    """Charge a finished job ``actual`` credits (default: all it held), at most what it held.

    Returns the capture entry (the release entry when ``actual`` is 0), or None when the job
    held nothing or was already captured or released. Raises ValueError if ``actual`` exceeds
    the hold.
    """
    return _settle(job, charge=True, actual=actual, reason="")


def release(job: Job, reason: str = "") -> LedgerEntry | None:
    """Give a failed, timed-out or cancelled job's held credits back; once.

    Returns the release entry, or None when the job held nothing or was already settled.
    """
    return _settle(
        job, charge=False, actual=None, reason=reason or "The job did not finish; nothing charged."
    )


def settle(job: Job) -> LedgerEntry | None:
    """Capture a succeeded job, release any other; for the worker and the sweeper.

    A job that made only some of its outputs says what they cost in ``params.credits_used``
    (studio.operations.ai); only that is charged, the rest of the hold is released.
    """
    if job.status == "succeeded":
        return capture(job, job.params.get("credits_used"))
    return release(job, reason=job.message[:200])


def refund(
    *, workspace: Workspace, job_code: uuid.UUID, reason: str, by=None
) -> LedgerEntry | None:
    """Give back what a job was charged, as credits that never expire; once per job.

    Returns the refund entry, or None when the job was not charged.
    """
    if not reason.strip():
        raise ValueError("A refund needs a reason.")
    with transaction.atomic():
        account = locked_account(workspace)
        charge = find_entry(f"capture:{job_code}")
        if charge is None or charge.account_id != account.pk:
            return None
        return _grant(
            account,
            amount=-charge.amount,
            key=f"refund:{job_code}",
            kind=Kind.REFUND,
            source=LedgerEntry.Source.STAFF,
            reason=reason,
            created_by=by,
            job_code=job_code,
            operation=charge.operation,
        )
