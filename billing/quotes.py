"""Pre-flight quotes: what a job will cost, or why it cannot run and what would fix it.

``quote()`` is the one entry point. A spec is priced by the OperationPrice whose key is the
longest "-"-joined prefix of the spec's first step (``generate-stability-core|aspect-16x9``
matches ``generate-stability-core``), tried as written and then prefixed with the operation;
a key equal to the operation name prices every other spec of that operation (``social``).
Units: per image (one per input per spec; one for a spec without inputs), per megapixel of each
input (rounded up), per second (a ``duration-N`` step, at least the price's minimum), per call
(one per spec). Checks come in the order a user can act on: plan, running jobs, storage,
monthly limit, balance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import ClassVar

from django.db.models import Sum
from django.urls import NoReverseMatch, reverse

from accounts.models import Workspace
from billing.ledger import account_for
from billing.models import CreditAccount, OperationPrice, Plan

_DURATION = re.compile(r"(?:^|\|)\s*duration-(\d{1,4})\s*(?:\||$)", re.IGNORECASE)


class Reason(StrEnum):
    PLAN = "plan"
    CREDITS = "credits"
    MONTHLY_LIMIT = "monthly_limit"
    STORAGE = "storage"
    RUNNING_JOBS = "running_jobs"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class QuoteLine:
    """One priced item: ``quantity`` units of ``unit`` at ``unit_credits`` each."""

    key: str
    label: str
    unit: str
    quantity: int
    unit_credits: int

    @property
    def credits(self) -> int:
        return self.quantity * self.unit_credits


@dataclass(frozen=True)
class Quote:
    """What a job will cost, in credits, with its breakdown and the balance it was checked on."""

    operation: str
    lines: tuple[QuoteLine, ...]
    balance: int
    ok: ClassVar[bool] = True

    @property
    def credits(self) -> int:
        return sum(line.credits for line in self.lines)

    @property
    def balance_after(self) -> int:
        return self.balance - self.credits

    def as_dict(self) -> dict:
        """Return the quote as JSON-ready data (stored on the hold, shown in the history)."""
        return {
            "operation": self.operation,
            "credits": self.credits,
            "lines": [{**asdict(line), "credits": line.credits} for line in self.lines],
        }


@dataclass(frozen=True)
class Refusal:
    """Why a job cannot run (``reason``), said to the user (``message``), and the way out."""

    reason: Reason
    message: str
    fix: str
    fix_url: str = ""
    ok: ClassVar[bool] = False


def quote(
    *,
    workspace: Workspace,
    operation: str,
    specs: Sequence[str],
    inputs: Sequence,
    running_jobs: int,
) -> Quote | Refusal:
    """Return the cost of running ``specs`` of ``operation`` on ``inputs`` (Assets), or a refusal.

    ``running_jobs`` is the workspace's count of queued and running jobs, which the studio
    knows (studio.models.JobQuerySet.unfinished): billing does not import the studio.

    Specs are expected to be valid (studio.specs.parse); billing reads only their first step
    and a ``duration-N`` step. Starts the workspace's current period if due (lazy grant).
    """
    account = account_for(workspace)
    plan = account.plan
    if not plan.allows_operation(operation):
        return _plan_refusal(plan, f"The {plan.name} plan does not include {operation}.")
    prices = {p.key: p for p in OperationPrice.objects.filter(operation=operation, active=True)}
    lines: dict[str, QuoteLine] = {}
    for spec in specs:
        price = _price_for(spec, operation, prices)
        if price is None:
            return Refusal(
                Reason.UNAVAILABLE,
                f"“{spec}” has no price yet, so it cannot run.",
                "Pick another option, or ask support to enable it.",
            )
        if not plan.allows_model(price.model_ref):
            return _plan_refusal(plan, f"The {plan.name} plan does not include {price.label}.")
        if not plan.allows_resolution(price.video_resolution):
            return _plan_refusal(
                plan,
                f"The {plan.name} plan makes video up to {plan.max_video_resolution}p, "
                f"not {price.video_resolution}p.",
            )
        quantity = _quantity(price, spec, inputs)
        line = lines.get(price.key)
        lines[price.key] = QuoteLine(
            key=price.key,
            label=price.label,
            unit=price.get_unit_display(),
            quantity=quantity + (line.quantity if line else 0),
            unit_credits=price.credits,
        )
    result = Quote(operation=operation, lines=tuple(lines.values()), balance=account.balance())
    return check_limits(account, result, running_jobs=running_jobs) or result


def _price_for(
    spec: str, operation: str, prices: dict[str, OperationPrice]
) -> OperationPrice | None:
    first = spec.split("|", 1)[0].strip().lower()
    parts = first.split("-")
    for i in range(len(parts), 0, -1):
        prefix = "-".join(parts[:i])
        for key in (prefix, f"{operation}-{prefix}"):
            if key in prices:
                return prices[key]
    return prices.get(operation)


def _quantity(price: OperationPrice, spec: str, inputs: Sequence) -> int:
    outputs = max(len(inputs), 1)
    Unit = OperationPrice.Unit
    if price.unit == Unit.PER_CALL:
        units = 1
    elif price.unit == Unit.PER_MEGAPIXEL:
        megapixels = [math.ceil(a.width * a.height / 1_000_000) for a in inputs] or [0]
        units = sum(max(mp, price.minimum_units) for mp in megapixels)
    elif price.unit == Unit.PER_SECOND:
        match = _DURATION.search(spec)
        seconds = int(match[1]) if match else price.minimum_units
        units = outputs * max(seconds, price.minimum_units)
    else:
        units = outputs * price.minimum_units
    return units


def check_limits(account: CreditAccount, result: Quote, *, running_jobs: int) -> Refusal | None:
    """Return why the plan refuses ``result`` now (running jobs, storage, monthly limit, balance).

    ``running_jobs`` counts the workspace's queued and running jobs. Called by ``quote()`` for
    what the page shows, and again by whoever starts the job with the account row locked
    (billing.ledger.locked_account), where it decides: two starts at once cannot both pass.
    """
    plan = account.plan
    running = running_jobs
    if running >= plan.max_concurrent_jobs:
        return Refusal(
            Reason.RUNNING_JOBS,
            f"{running} jobs are already running; the {plan.name} plan runs "
            f"{plan.max_concurrent_jobs} at a time.",
            "Wait for one to finish, or upgrade for more at once.",
            _billing_url(),
        )
    used = _storage_used(account.workspace)
    if used >= plan.storage_quota_bytes:
        return Refusal(
            Reason.STORAGE,
            f"Your library is full ({_gb(used)} of {_gb(plan.storage_quota_bytes)}).",
            "Delete some images, or upgrade for more storage.",
            _billing_url(),
        )
    limit = plan.monthly_credit_limit
    if limit is not None and account.spent_in_period() + result.credits > limit:
        return Refusal(
            Reason.MONTHLY_LIMIT,
            f"This would pass the {plan.name} plan's limit of {limit} credits a month.",
            "Wait for the next period, or upgrade.",
            _billing_url(),
        )
    if result.credits > result.balance:
        short = result.credits - result.balance
        return Refusal(
            Reason.CREDITS,
            f"This needs {result.credits} credits; you have {result.balance}.",
            f"Buy a credit pack or upgrade to get at least {short} more.",
            _billing_url(),
        )
    return None


def _plan_refusal(plan: Plan, message: str) -> Refusal:
    better = Plan.objects.public().filter(rank__gt=plan.rank).first()
    fix = f"Upgrade to {better.name} or above." if better else "Contact us to enable it."
    return Refusal(Reason.PLAN, message, fix, _billing_url())


def _storage_used(workspace: Workspace) -> int:
    # A refused upload keeps its row (to say why) but its file is deleted: it takes no space.
    return workspace.assets.listed().aggregate(total=Sum("bytes"))["total"] or 0


def _gb(size: int) -> str:
    return f"{size / 1024**3:.1f} GB"


def _billing_url() -> str:
    try:
        return reverse("billing-page")
    except NoReverseMatch:  # billing.urls not mounted (a project without billing pages)
        return ""
