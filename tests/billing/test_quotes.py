"""Pre-flight quotes: prices from the catalog, refusals with their reason and fix."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from billing.ledger import account_for, capture, hold_for_job
from billing.models import OperationPrice, Plan
from billing.quotes import Quote, Reason, Refusal, quote
from tests.billing.conftest import pack_grant

pytestmark = [pytest.mark.django_db]


def image(width: int = 1000, height: int = 1000):
    """Return an input with a pixel size (quotes read only width and height of assets)."""
    return SimpleNamespace(width=width, height=height)


def on_plan(workspace, slug: str):
    account = account_for(workspace)
    account.plan = Plan.objects.get(slug=slug)
    account.save()
    return account


@pytest.mark.parametrize(
    ("plan", "operation", "specs", "inputs", "credits"),
    [
        ("free", "social", ["social-instagram-feed-square", "social-x-post|crop-center"], 3, 0),
        ("free", "compress", ["format-webp|quality-80|strip"], 2, 0),
        ("free", "generate", ["generate-stability-core|aspect-1x1"], 0, 3),
        ("free", "generate", ["stability-core"], 0, 3),  # the operation prefix may be left out
        ("free", "video", ["video-wavespeed-wan-2.5-480p|duration-5"], 1, 25),
        ("basic", "generate", ["generate-stability-sd3.5-large"] * 2, 0, 14),
        ("basic", "edit", ["edit-stability-inpaint|prompt-x"], 3, 15),
        ("basic", "upscale", ["upscale-stability-fast"], 2, 4),
        ("pro", "avatar", ["avatar-wavespeed-infinitetalk-480p|duration-3"], 1, 15),  # 5 s minimum
        ("pro", "video", ["video-wavespeed-wan-2.5-1080p|duration-10"], 1, 150),
        ("pro", "3d", ["3d-stability-stable-fast-3d"], 4, 10),  # per call, not per input
    ],
)
def test_it_prices_specs_from_the_catalog(workspace, plan, operation, specs, inputs, credits):
    on_plan(workspace, plan)
    pack_grant(workspace, 1000)
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation=operation,
        specs=specs,
        inputs=[image()] * inputs,
    )
    assert isinstance(result, Quote), result
    assert result.credits == credits
    assert result.balance == 1030


def test_it_groups_lines_per_price_and_counts_images(workspace):
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="social",
        specs=["social-instagram-story", "social-facebook-feed"],
        inputs=[image(), image(), image()],
    )
    assert [(line.key, line.quantity, line.unit_credits) for line in result.lines] == [
        ("social", 6, 0)
    ]
    assert result.as_dict()["lines"][0]["credits"] == 0


def test_a_staff_price_change_changes_the_quote(workspace):
    OperationPrice.objects.filter(key="social").update(credits=1)
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="social",
        specs=["social-x-post"],
        inputs=[image()] * 2,
    )
    assert result.credits == 2


def test_per_megapixel_prices_round_each_input_up(workspace):
    OperationPrice.objects.create(
        key="upscale-test-mp", operation="upscale", provider="local", model="mp",
        label="Test upscale", unit="per_megapixel", credits=2,
    )  # fmt: skip
    on_plan(workspace, "pro")
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="upscale",
        specs=["upscale-test-mp"],
        inputs=[image(1000, 1000), image(3000, 2000), image(10, 10)],
    )
    assert result.lines[0].quantity == 1 + 6 + 1
    assert result.credits == 16


REFUSALS = [
    ("free", "control", ["control-stability-sketch"], Reason.PLAN, "does not include control"),
    # Free has the Edit studio (local erase) but not Stability's models.
    ("free", "edit", ["edit-stability-erase"], Reason.PLAN, "does not include Erase"),
    ("free", "generate", ["generate-stability-ultra"], Reason.PLAN, "Stable Image Ultra"),
    ("free", "video", ["video-wavespeed-wan-2.5-720p|duration-5"], Reason.PLAN, "up to 480p"),
    ("basic", "upscale", ["upscale-stability-creative"], Reason.PLAN, "Creative upscale"),
    ("basic", "batch", ["format-webp"], Reason.PLAN, "does not include batch"),
    ("free", "generate", ["generate-nobody-knows"], Reason.UNAVAILABLE, "no price yet"),
    ("free", "generate", ["generate-stability-core"] * 11, Reason.CREDITS,
     "needs 33 credits; you have 30"),
]  # fmt: skip


@pytest.mark.parametrize(("plan", "operation", "specs", "reason", "message"), REFUSALS)
def test_it_refuses_with_the_reason_and_a_fix(workspace, plan, operation, specs, reason, message):
    on_plan(workspace, plan)
    result = quote(
        running_jobs=0, workspace=workspace, operation=operation, specs=specs, inputs=[image()]
    )
    assert isinstance(result, Refusal)
    assert result.reason == reason
    assert message in result.message
    assert result.fix


def test_a_plan_refusal_names_the_next_plan_up(workspace):
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="edit",
        specs=["edit-stability-erase"],
        inputs=[],
    )
    assert result.fix == "Upgrade to Basic or above."
    assert result.fix_url == "/billing/"


def test_it_refuses_when_the_plans_running_jobs_are_all_busy(workspace):
    result = quote(
        running_jobs=2,
        workspace=workspace,
        operation="social",
        specs=["social-x-post"],
        inputs=[image()],
    )
    assert result.reason == Reason.RUNNING_JOBS
    assert "runs 2 at a time" in result.message


def test_it_refuses_when_the_library_is_full(workspace, make_asset):
    asset = make_asset()
    Plan.objects.filter(slug="free").update(storage_quota_bytes=asset.bytes)
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="social",
        specs=["social-x-post"],
        inputs=[asset],
    )
    assert result.reason == Reason.STORAGE


def test_it_refuses_past_the_plans_monthly_limit(workspace, make_job):
    Plan.objects.filter(slug="free").update(monthly_credit_limit=5)
    job = make_job()
    hold_for_job(
        job,
        quote(
            running_jobs=0,
            workspace=workspace,
            operation="generate",
            specs=["generate-stability-core"],
            inputs=[],
        ),
    )
    capture(job)
    job.finish("succeeded")
    result = quote(
        running_jobs=0,
        workspace=workspace,
        operation="generate",
        specs=["generate-stability-core"],
        inputs=[],
    )
    assert result.reason == Reason.MONTHLY_LIMIT


def test_the_hold_is_exactly_the_quote_the_user_accepted(workspace, make_job):
    accepted = quote(
        running_jobs=0,
        workspace=workspace,
        operation="generate",
        specs=["generate-stability-core"] * 3,
        inputs=[],
    )
    job = make_job()
    hold = hold_for_job(job, accepted)
    assert hold.amount == -accepted.credits == -9
    assert hold.detail == accepted.as_dict()
    charge = capture(job)
    assert charge.amount == -9 and charge.detail["lines"] == accepted.as_dict()["lines"]
