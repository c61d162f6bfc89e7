"""The catalog staff edit in the admin: plans, the price of every operation, credit packs.

Nothing is priced in code: the figures are rows, seeded by migration 0002 from
shared/PROVIDERS.md. One credit is one US cent of provider list price ($0.01, Stability's own
credit), and every price is a whole number of credits, rounded up from the provider's price.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from importlib import import_module

from django.db import models

#: Stand-in for "everything" in a plan's allowed_operations / allowed_models.
ANY = "*"


def seed_catalog() -> None:
    """Write the catalog of migrations 0002-0003 (plans, prices, packs) where rows are missing."""
    from django.apps import apps

    for name in ("0002_seed_catalog", "0003_ai_studios"):
        import_module(f"billing.migrations.{name}").seed(apps, None)


#: The studio operations the product has, name -> label ("compress" -> "Compression Studio"):
#: filled by the studio at start-up (studio.apps.StudioConfig.ready) from its registry, as
#: billing does not import the studio. Plans may name operations that do not exist yet
#: ("video"); the billing page shows only these.
PRODUCT_OPERATIONS: dict[str, str] = {}


class PlanQuerySet(models.QuerySet["Plan"]):
    def public(self) -> PlanQuerySet:
        """Return the plans offered on the billing page, cheapest first."""
        return self.filter(public=True).order_by("rank")

    def default(self) -> Plan:
        """Return the plan every workspace starts on (Free); raise Plan.DoesNotExist if none.

        An empty catalog (a test database flushed after a transactional test) is seeded again
        from migration 0002 first; rows that exist are never changed.
        """
        plan = self.filter(is_default=True).first()
        if plan is None and not Plan.objects.exists():
            seed_catalog()
            plan = self.filter(is_default=True).first()
        if plan is None:
            raise Plan.DoesNotExist("No default plan: mark one plan as the default in the admin.")
        return plan

    def for_stripe_price(self, price_id: str) -> Plan | None:
        """Return the plan sold under a Stripe price id (monthly or yearly), or None."""
        if not price_id:
            return None
        return self.filter(
            models.Q(stripe_monthly_price_id=price_id) | models.Q(stripe_yearly_price_id=price_id)
        ).first()


class Plan(models.Model):
    """A subscription plan: its price, monthly credit grant, features and limits."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=50)
    rank = models.PositiveSmallIntegerField(
        unique=True, help_text="Order of plans: a higher rank is an upgrade."
    )
    is_default = models.BooleanField(
        default=False, help_text="The plan of every workspace without a subscription (Free)."
    )
    public = models.BooleanField(default=True, help_text="Offered on the billing page.")
    monthly_price = models.DecimalField(max_digits=8, decimal_places=2, help_text="USD.")
    yearly_price = models.DecimalField(max_digits=8, decimal_places=2, help_text="USD.")
    monthly_credits = models.PositiveIntegerField(
        help_text="Credits granted at the start of every monthly period (1 credit = $0.01)."
    )
    rollover = models.BooleanField(
        default=False, help_text="Unused monthly credits carry over instead of expiring."
    )
    trial_credits = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Credits granted for a free trial of this plan, expiring when the trial ends. "
        "Empty: the Free plan's monthly grant.",
    )
    monthly_credit_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most credits a workspace may spend in one period, pack credits included. "
        "Empty: no limit.",
    )
    allowed_operations = models.JSONField(
        default=list, blank=True, help_text='Studio operation names, or ["*"] for all.'
    )
    allowed_models = models.JSONField(
        default=list,
        blank=True,
        help_text='Patterns on "provider/model", e.g. "local/*", "stability/core", or "*".',
    )
    max_video_resolution = models.PositiveSmallIntegerField(
        default=0, help_text="Highest video resolution in lines (480, 720, 1080); 0: no video."
    )
    batch = models.BooleanField(default=False, help_text="Batch processing: one spec, many assets.")
    api = models.BooleanField(default=False, help_text="Developer API access.")
    priority = models.BooleanField(default=False, help_text="Jobs go to the front of the queue.")
    storage_quota_bytes = models.PositiveBigIntegerField(help_text="Library size limit, bytes.")
    max_concurrent_jobs = models.PositiveSmallIntegerField(
        help_text="Jobs that may be queued or running at once."
    )
    stripe_monthly_price_id = models.CharField(max_length=100, blank=True)
    stripe_yearly_price_id = models.CharField(max_length=100, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def trial_allowance(self) -> int:
        """Return the credits a trial of this plan grants: ``trial_credits``, else Free's grant."""
        if self.trial_credits is not None:
            return self.trial_credits
        return Plan.objects.default().monthly_credits

    def allows_operation(self, operation: str) -> bool:
        """Return True if the plan includes the studio operation ("batch" also needs ``batch``)."""
        if operation == "batch" and not self.batch:
            return False
        return ANY in self.allowed_operations or operation in self.allowed_operations

    def allows_model(self, model_ref: str) -> bool:
        """Return True if a "provider/model" reference matches one of the allowed patterns."""
        return any(fnmatchcase(model_ref, pattern) for pattern in self.allowed_models)

    def allows_resolution(self, lines: int | None) -> bool:
        """Return True if a video of ``lines`` (e.g. 720) is within the plan; None: not video."""
        return lines is None or lines <= self.max_video_resolution

    def studios(self) -> list[str]:
        """Return the labels of the registered studio operations the plan includes, by label.

        Plans may name operations the product does not have yet (a seeded "video"); those are
        not shown, so the billing page lists only what a subscriber can use.
        """
        return [
            label
            for name, label in sorted(PRODUCT_OPERATIONS.items(), key=lambda item: item[1])
            if self.allows_operation(name)
        ]

    def video_lines_offered(self) -> int:
        """Return the video resolution to advertise: 0 unless a "video" operation exists."""
        if not self.allows_operation("video") or "video" not in PRODUCT_OPERATIONS:
            return 0
        return self.max_video_resolution

    def offers_batch(self) -> bool:
        """Return True if the plan has batch processing and the product has a "batch" operation."""
        return self.allows_operation("batch") and "batch" in PRODUCT_OPERATIONS

    def stripe_price_id(self, interval: str) -> str:
        """Return the Stripe price id for "month" or "year" ("" when not sold that way)."""
        return self.stripe_yearly_price_id if interval == "year" else self.stripe_monthly_price_id


class OperationPrice(models.Model):
    """The price of one operation on one provider model, in whole credits per unit."""

    class Unit(models.TextChoices):
        PER_IMAGE = "per_image", "per image"
        PER_MEGAPIXEL = "per_megapixel", "per megapixel"
        PER_SECOND = "per_second", "per second"
        PER_CALL = "per_call", "per call"

    key = models.CharField(
        max_length=120,
        unique=True,
        help_text='What a spec starts with, e.g. "generate-stability-core"; a key equal to the '
        "operation name prices every spec of that operation without a closer match.",
    )
    operation = models.CharField(max_length=30, help_text="Studio operation name, e.g. social.")
    provider = models.CharField(max_length=30, default="local")
    model = models.CharField(max_length=120, default="*", help_text="The provider's model path.")
    label = models.CharField(max_length=100)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.PER_IMAGE)
    credits = models.PositiveIntegerField(help_text="Credits per unit (1 credit = $0.01).")
    minimum_units = models.PositiveIntegerField(
        default=1, help_text="Billed at least this many units per output (e.g. a 5 s minimum)."
    )
    video_resolution = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Lines of video this price is for (480, 720, 1080)."
    )
    provider_cost = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Provider list price per unit, USD (reference for staff; source PROVIDERS.md).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["operation", "provider", "key"]
        indexes = [models.Index(fields=["operation", "active"])]

    def __str__(self) -> str:
        return f"{self.label}: {self.credits} credits {self.get_unit_display()}"

    @property
    def model_ref(self) -> str:
        """Return "provider/model", the name plans' allowed_models patterns match."""
        return f"{self.provider}/{self.model}"


class CreditPackQuerySet(models.QuerySet["CreditPack"]):
    def on_sale(self) -> CreditPackQuerySet:
        return self.filter(active=True).order_by("kind", "credits")

    def offered(self) -> CreditPackQuerySet:
        """Return the packs on sale that the product can spend: no video packs without video."""
        missing = [
            kind for kind, op in CreditPack.KIND_OPERATIONS.items() if op not in PRODUCT_OPERATIONS
        ]
        return self.on_sale().exclude(kind__in=missing)


class CreditPack(models.Model):
    """A one-off purchase of credits that never expire."""

    class Kind(models.TextChoices):
        IMAGES = "images", "Image pack"
        VIDEO = "video", "Video pack"

    #: The studio operation a kind of pack is for (image packs serve every studio).
    KIND_OPERATIONS = {Kind.VIDEO: "video"}

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGES)
    credits = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2, help_text="USD.")
    stripe_price_id = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    objects = CreditPackQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "credits"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"
