"""Read the ledger for people: history lines, where each grant's credits went, usage charts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from billing.models import Allocation, CreditAccount, LedgerEntry

Kind = LedgerEntry.Kind


@dataclass
class Use:
    """Credits taken from a grant by one job (or by expiry / an adjustment)."""

    label: str
    credits: int
    job_url: str = ""


@dataclass
class HistoryLine:
    """One line of the billing history: a grant, a charge, a pending hold, an expiry..."""

    entry: LedgerEntry
    title: str
    credits: int
    pending: bool = False
    job_url: str = ""
    uses: list[Use] = field(default_factory=list)


def job_url(code: UUID | None) -> str:
    """Return the job page of a job code ("" if none, or when studio's URLs are not mounted)."""
    if code is None:
        return ""
    try:
        return reverse("studio-job", args=[code])
    except NoReverseMatch:
        return ""


def history(account: CreditAccount, *, limit: int = 50) -> list[HistoryLine]:
    """Return the account's latest grants, charges, refunds, expiries and running jobs.

    Settled holds and their releases are folded away: a finished job shows as its charge, a
    failed one as "no charge", a running one as a pending hold.
    """
    open_holds = set(account.entries.open_holds().values_list("pk", flat=True))
    entries = list(
        account.entries.filter(
            ~Q(kind__in=[Kind.HOLD, Kind.RELEASE])
            | Q(pk__in=open_holds)
            | Q(kind=Kind.RELEASE, detail__charged=0)
        )[:limit]
    )
    uses = uses_by_lot([e for e in entries if e.is_lot])
    lines = []
    for entry in entries:
        line = HistoryLine(entry, _title(entry), entry.amount, job_url=job_url(entry.job_code))
        if entry.kind == Kind.HOLD:
            line.pending = True
        elif entry.kind == Kind.RELEASE:
            line.credits = 0
        line.uses = uses.get(entry.pk, [])
        lines.append(line)
    return lines


def _title(entry: LedgerEntry) -> str:
    operation = entry.operation or "studio"
    match entry.kind:
        case Kind.GRANT:
            return entry.reason or entry.get_source_display()
        case Kind.HOLD:
            return f"Reserved for a running {operation} job"
        case Kind.CAPTURE:
            return f"{operation.capitalize()} job"
        case Kind.RELEASE:
            return f"{operation.capitalize()} job did not finish: no charge"
        case Kind.REFUND:
            return f"Refund: {entry.reason}" if entry.reason else "Refund"
        case Kind.EXPIRY:
            return entry.reason or "Credits expired"
        case _:
            return f"Adjustment: {entry.reason}"


def uses_by_lot(lots: list[LedgerEntry]) -> dict[int, list[Use]]:
    """Return, per lot id, where its credits went: jobs charged (or holding), expiry, debits."""
    rows = (
        Allocation.objects.filter(lot__in=lots)
        .values("lot_id", "entry__job_code", "entry__operation", "entry__kind", "entry_id")
        .annotate(total=Sum("amount"))
    )
    totals: dict[int, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        code = row["entry__job_code"]
        # A job's hold, release and capture on one lot net to what the job was charged.
        key = (code, row["entry__operation"]) if code else (None, row["entry__kind"])
        totals[row["lot_id"]][key] += row["total"]
    result: dict[int, list[Use]] = {}
    for lot_id, by_key in totals.items():
        result[lot_id] = [
            Use(_use_label(code, what), -credits, job_url(code))
            for (code, what), credits in by_key.items()
            if credits
        ]
    return result


def _use_label(code: UUID | None, what: str) -> str:
    if code is not None:
        return f"{(what or 'studio').capitalize()} job {str(code)[:8]}"
    return "Expired" if what == Kind.EXPIRY else "Staff adjustment"


@dataclass(frozen=True)
class Bar:
    label: str
    credits: int
    percent: float


def _since(account: CreditAccount, now: datetime) -> datetime:
    start = account.period_start or now - timedelta(days=30)
    return min(start, now - timedelta(days=6))


def usage_by_day(account: CreditAccount, *, now: datetime | None = None) -> list[Bar]:
    """Return credits charged per day of the period (at least the last 7 days), zeros filled."""
    now = now or timezone.now()
    since = _since(account, now)
    rows = (
        account.entries.filter(kind=Kind.CAPTURE, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    spent = {row["day"]: -row["total"] for row in rows}
    first, last = timezone.localdate(since), timezone.localdate(now)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return _bars([(_day_label(day), spent.get(day, 0)) for day in days])


def usage_by_module(account: CreditAccount, *, now: datetime | None = None) -> list[Bar]:
    """Return credits charged per studio operation over the period, largest first."""
    since = _since(account, now or timezone.now())
    rows = (
        account.entries.filter(kind=Kind.CAPTURE, created_at__gte=since)
        .values("operation")
        .annotate(total=Sum("amount"))
        .order_by("total")
    )
    return _bars([((row["operation"] or "studio").capitalize(), -row["total"]) for row in rows])


def _day_label(day: date) -> str:
    return day.strftime("%b %-d")


def _bars(values: list[tuple[str, int]]) -> list[Bar]:
    top = max((credits for _, credits in values), default=0) or 1
    return [Bar(label, credits, round(100 * credits / top, 1)) for label, credits in values]
