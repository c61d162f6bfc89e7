"""The credit ledger: one account row per workspace, append-only entries, and their allocations.

Every change to a balance is a LedgerEntry with a unique idempotency key, so a retried worker,
a replayed webhook or a double-submitted form writes it once. Credits come in *lots* (grants and
refunds); every debit records which lots it drew from as Allocation rows, which is how monthly
credits expire without touching pack credits and how "where each credit went" is answered. The
balance is the sum of what is left in lots that have not expired, never stored, never negative.
Writers lock the workspace's CreditAccount row first (billing.ledger), so they run one at a time.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Workspace
from billing.models.catalog import Plan


class CreditAccount(models.Model):
    """A workspace's plan, billing period and Stripe ids; the row writers lock."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    workspace = models.OneToOneField(Workspace, models.CASCADE, related_name="credit_account")
    plan = models.ForeignKey(Plan, models.PROTECT, related_name="+")
    pending_plan = models.ForeignKey(
        Plan,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Plan taking over at the end of the period (a downgrade).",
    )
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    anchor = models.DateTimeField(
        default=timezone.now, help_text="Monthly periods are counted from this moment."
    )
    free_anchor = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Free periods are counted from this moment (the account's first anchor); "
        "a subscription that ends returns to this calendar.",
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    paid_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the subscription period Stripe was paid for; empty: no subscription.",
    )
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    stripe_event_at = models.DateTimeField(
        null=True, blank=True, help_text="Creation time of the last subscription event applied."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~Q(stripe_customer_id=""),
                name="one_account_per_stripe_customer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace} ({self.plan})"

    def save(self, *args, **kwargs) -> None:
        if self.free_anchor is None:
            self.free_anchor = self.anchor
        super().save(*args, **kwargs)

    def balance(self, now: datetime | None = None) -> int:
        """Return the credits that can be spent now: what is left in unexpired lots."""
        lots = LedgerEntry.objects.filter(account=self).lots().live(now).with_remaining()
        return lots.aggregate(total=Coalesce(Sum("remaining"), Value(0)))["total"]

    def reserved(self) -> int:
        """Return the credits held for jobs that have not been captured or released yet."""
        return -(self.entries.open_holds().aggregate(total=Sum("amount"))["total"] or 0)

    def spent_in_period(self) -> int:
        """Return the credits held or captured since the period started (the monthly limit)."""
        entries = self.entries.filter(kind__in=LedgerEntry.JOB_KINDS)
        if self.period_start is not None:
            entries = entries.filter(created_at__gte=self.period_start)
        return -(entries.aggregate(total=Sum("amount"))["total"] or 0)


class SubscriptionState(models.Model):
    """The newest known status of one Stripe subscription, ordered by Stripe's event time.

    Webhooks arrive in any order; a subscription's events are applied by their ``created``
    time, and an ended subscription (canceled, incomplete_expired, unpaid) stays ended: none of
    its later-arriving events or invoices changes the workspace's plan or grants credits.
    """

    ENDED = ("canceled", "incomplete_expired", "unpaid")

    account = models.ForeignKey(CreditAccount, models.CASCADE, related_name="subscriptions")
    subscription_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=30)
    event_at = models.DateTimeField(help_text="Stripe's creation time of the event applied.")
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subscription_id} ({self.status})"

    @property
    def ended(self) -> bool:
        return self.status in self.ENDED


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def lots(self) -> LedgerEntryQuerySet:
        """Return entries that bring credits in (grants and refunds)."""
        return self.filter(kind__in=LedgerEntry.LOT_KINDS)

    def live(self, now: datetime | None = None) -> LedgerEntryQuerySet:
        """Return the lots that have not expired at ``now``."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))

    def with_remaining(self) -> LedgerEntryQuerySet:
        """Annotate lots with ``remaining``: their amount plus every draw on them."""
        return self.annotate(remaining=F("amount") + Coalesce(Sum("draws__amount"), Value(0)))

    def consumption_order(self) -> LedgerEntryQuerySet:
        """Order lots the way debits consume them: soonest expiry first, non-expiring last."""
        return self.order_by(F("expires_at").asc(nulls_last=True), "created_at", "pk")

    def open_holds(self) -> LedgerEntryQuerySet:
        """Return holds whose job has been neither captured nor released."""
        settled = LedgerEntry.objects.filter(
            account=models.OuterRef("account"),
            job_code=models.OuterRef("job_code"),
            kind=LedgerEntry.Kind.RELEASE,
        )
        return self.filter(kind=LedgerEntry.Kind.HOLD).exclude(models.Exists(settled))


class LedgerEntry(models.Model):
    """One append-only change to a workspace's credits; ``amount`` is signed (+in, -out)."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        HOLD = "hold", "Hold"
        CAPTURE = "capture", "Charge"
        RELEASE = "release", "Release"
        REFUND = "refund", "Refund"
        EXPIRY = "expiry", "Expiry"
        ADJUSTMENT = "adjustment", "Adjustment"

    class Source(models.TextChoices):
        PLAN = "plan", "Plan credits"
        PACK = "pack", "Credit pack"
        STAFF = "staff", "Staff adjustment"
        NONE = "", "-"

    LOT_KINDS = (Kind.GRANT, Kind.REFUND)
    JOB_KINDS = (Kind.HOLD, Kind.RELEASE, Kind.CAPTURE)

    account = models.ForeignKey(CreditAccount, models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices, blank=True, default="")
    amount = models.IntegerField(help_text="Credits, signed: positive in, negative out.")
    idempotency_key = models.CharField(max_length=200, unique=True)
    job_code = models.UUIDField(null=True, blank=True, db_index=True)
    operation = models.CharField(max_length=30, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "kind", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["grant", "refund"]) | Q(amount__gt=0),
                name="lots_bring_credits_in",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["hold", "capture", "expiry", "adjustment"])
                | Q(amount__lte=0),
                name="debits_take_credits_out",
            ),
            models.CheckConstraint(
                condition=~Q(kind="release") | Q(amount__gte=0), name="releases_give_back"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d} ({self.idempotency_key})"

    def save(self, *args, **kwargs) -> None:
        """Insert the entry; raise ValueError on an update (the ledger is append-only)."""
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only; write a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only and cannot be deleted.")

    @property
    def is_lot(self) -> bool:
        return self.kind in self.LOT_KINDS

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class Allocation(models.Model):
    """The part of a debit (or its return) that came from one lot; append-only."""

    entry = models.ForeignKey(LedgerEntry, models.CASCADE, related_name="allocations")
    lot = models.ForeignKey(LedgerEntry, models.CASCADE, related_name="draws")
    amount = models.IntegerField(help_text="Credits, signed like the entry.")

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount:+d} from lot {self.lot_id} for entry {self.entry_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Allocations are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Allocations are append-only and cannot be deleted.")
