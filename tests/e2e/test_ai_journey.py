"""A user generates two variations from a template, paints a mask and inpaints one, upscales
it, and finds all of them in the library with their lineage. Stability AI is emulated on
loopback (pytest-httpserver) following its v2beta API: synchronous image answers with seed and
finish-reason headers, and an asynchronous creative upscale polled at /v2beta/results/{id}.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from accounts.models import personal_workspace
from assets.models import Asset
from billing.ledger import account_for, grant
from billing.models import LedgerEntry, Plan
from studio.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GENERATED = (640, 640)  # Stability Core at 1:1, scaled down to keep the journey quick


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):  # some structure, so the thumbnails are not flat
        image.paste((255, 255, 255), (x, 0, x + 4, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class FakeStability:
    """Stability's v2beta endpoints the journey uses, recording what each call received."""

    def __init__(self, server: HTTPServer) -> None:
        self.calls: list[tuple[str, dict, dict]] = []
        self.polls = 0
        server.expect_request(
            "/v2beta/stable-image/generate/core", method="POST"
        ).respond_with_handler(self.generate)
        server.expect_request(
            "/v2beta/stable-image/edit/inpaint", method="POST"
        ).respond_with_handler(self.inpaint)
        server.expect_request(
            "/v2beta/stable-image/upscale/creative", method="POST"
        ).respond_with_handler(self.upscale)
        server.expect_request("/v2beta/results/upscale-1", method="GET").respond_with_handler(
            self.result
        )

    def _record(self, request: Request) -> None:
        files = {name: f.read() for name, f in request.files.items()}
        self.calls.append((request.path, dict(request.form), files))

    def generate(self, request: Request) -> Response:
        self._record(request)
        seed = int(request.form.get("seed") or 1000 + len(self.calls))
        colour = (40 * len(self.calls) % 256, 120, 200)
        return Response(
            png(GENERATED, colour),
            content_type="image/png",
            headers={"seed": str(seed), "finish-reason": "SUCCESS"},
        )

    def inpaint(self, request: Request) -> Response:
        self._record(request)
        source = Image.open(io.BytesIO(self.calls[-1][2]["image"]))
        return Response(
            png(source.size, (200, 60, 60)),
            content_type="image/png",
            headers={"seed": "77", "finish-reason": "SUCCESS"},
        )

    def upscale(self, request: Request) -> Response:
        self._record(request)
        return Response('{"id": "upscale-1"}', content_type="application/json")

    def result(self, request: Request) -> Response:
        self.polls += 1
        if self.polls == 1:
            return Response(
                '{"id": "upscale-1", "status": "in-progress"}',
                status=202,
                content_type="application/json",
            )
        return Response(
            png((1600, 1600), (60, 200, 60)),
            content_type="image/png",
            headers={"seed": "5", "finish-reason": "SUCCESS"},
        )


@pytest.fixture
def stability(settings, httpserver: HTTPServer) -> FakeStability:
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "sk-journey",
            "base_url": httpserver.url_for("").rstrip("/"),
            "env": ["STABILITY_API_KEY", "STABILITY_API_BASE"],
        },
    }
    settings.STUDIO_PROVIDER_POLL_INTERVAL_MS = 100
    return FakeStability(httpserver)


def on_pro_plan(user) -> None:
    workspace = personal_workspace(user)
    account = account_for(workspace)
    account.plan = Plan.objects.get(slug="pro")
    account.save(update_fields=["plan"])
    grant(
        workspace=workspace,
        credits=200,
        source=LedgerEntry.Source.STAFF,
        reason="journey",
        key="journey",
    )


def wait_for_job(page) -> Job:
    try:
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    except Exception:
        errors = page.locator("[role=alert], .errorlist, .error").all_inner_texts()
        raise AssertionError(f"No job was started from {page.url}: {errors}") from None
    page.wait_for_selector(".status-succeeded, .status-failed", timeout=120_000)
    job = Job.objects.get(code=page.url.rstrip("/").rsplit("/", 1)[1])
    assert job.status == Job.Status.SUCCEEDED, job.message
    return job


def test_generate_inpaint_and_upscale_then_find_the_lineage_in_the_library(
    page, live_server, celery_worker, owner, stability
):
    on_pro_plan(owner)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", "pw-Studio-2026")
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # Create: a template, two variations, Stability Core.
    page.goto(f"{base}/studio/create/")
    page.fill("textarea[name=prompt]", "a ceramic coffee cup on a marble counter")
    page.select_option("select[name=template]", "instagram-feed-square")
    page.fill("input[name=variations]", "2")
    page.check("input[name=model][value=generate-stability-core]")
    page.wait_for_selector("text=/This will use 6 credits/")
    page.click("button[type=submit]:has-text('Create')")
    created = wait_for_job(page)
    variations = list(created.outputs.order_by("id"))
    assert len(variations) == 2 and all(v.module == Asset.Module.CREATE for v in variations)
    assert page.locator(".gallery li").count() == 2
    path, form, _ = stability.calls[0]
    assert form["aspect_ratio"] == "1:1", "the template's aspect ratio was sent"
    assert "ceramic coffee cup" in form["prompt"]

    # Edit: open the first variation, paint a mask over its middle and inpaint.
    page.locator(".gallery li").first.locator("text=Use in Edit").click()
    page.wait_for_url(re.compile(r"/studio/edit/"))
    page.check("input[name=kind][value=inpaint]")
    canvas = page.locator("canvas[data-mask-canvas]")
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.65, box["y"] + box["height"] * 0.5, steps=10)
    page.mouse.up()
    page.fill("textarea[name=prompt]", "a croissant on a plate")
    page.check("input[name=model][value=edit-stability-inpaint]")
    page.click("button[type=submit]:has-text('Edit image')")
    edited_job = wait_for_job(page)
    (edited,) = edited_job.outputs.all()
    path, form, files = stability.calls[-1]
    assert path.endswith("/edit/inpaint") and form["prompt"] == "a croissant on a plate"
    mask = Image.open(io.BytesIO(files["mask"])).convert("L")
    assert mask.size == GENERATED, "the mask is exported at the image's pixel size"
    assert mask.getpixel((GENERATED[0] // 2, GENERATED[1] // 2)) == 255, "painted: white"
    assert mask.getpixel((5, 5)) == 0, "not painted: black"
    assert edited.derived_from == variations[0]

    # Upscale the edit with Stability's creative upscaler (asynchronous: polled).
    page.locator(".gallery li").first.locator("text=Upscale").click()
    page.wait_for_url(re.compile(r"/studio/upscale/"))
    page.check("input[name=model][value=upscale-stability-creative]")
    page.fill("textarea[name=prompt]", "a croissant on a plate, crisp detail")
    page.wait_for_selector("#targets td:has-text('about')")
    page.click("button[type=submit]:has-text('Upscale')")
    upscaled_job = wait_for_job(page)
    (upscaled,) = upscaled_job.outputs.all()
    assert upscaled.derived_from == edited and (upscaled.width, upscaled.height) == (1600, 1600)
    assert upscaled.details["prediction_id"] == "upscale-1" and stability.polls == 2
    # The before/after divider moves with the keyboard; zoom applies to both layers at once.
    slider = page.locator(".compare-slider [role=slider]").first
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert int(slider.get_attribute("aria-valuenow")) < 50
    page.locator(".compare-slider [data-compare-zoom=in]").first.click()
    transforms = (
        page.locator(".compare-slider")
        .first.locator("[data-compare-layer]")
        .evaluate_all("layers => layers.map(layer => getComputedStyle(layer).transform)")
    )
    assert len(transforms) == 2 and transforms[0] == transforms[1] != "none"

    # The library has all of them; the upscale's page traces it back to the generated image.
    page.goto(f"{base}/library/")
    for asset in (*variations, edited, upscaled):
        assert page.locator(f"a[href='/assets/{asset.code}/']").count() >= 1, asset.filename
    page.goto(f"{base}{upscaled.get_absolute_url()}")
    page.wait_for_selector(f"a[href='{edited.get_absolute_url()}']")
    assert "stability" in page.content()
    page.goto(f"{base}{edited.get_absolute_url()}")
    page.wait_for_selector(f"a[href='{variations[0].get_absolute_url()}']")
    page.wait_for_selector(f"a[href='{upscaled.get_absolute_url()}']")
    assert len([c for c in stability.calls if "generate" in c[0]]) == 2
