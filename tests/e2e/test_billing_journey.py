"""A Free user runs out of credits, buys a credit pack through Stripe Checkout and runs the job.

Stripe is never reached. The web process is pytest-django's live server, a thread of this
process, so `responses` answers its Stripe API calls (a FakeStripe from tests/billing). The
Checkout Session it creates points at a fake Checkout page on a loopback HTTP server started
here, whose "Pay" button redirects back to the session's success URL, as Stripe's does. Stripe's
`checkout.session.completed` webhook is then POSTed, signed with the endpoint's test secret,
over HTTP to dj-stripe's endpoint on the live server. The job runs on a real Celery worker.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
import responses
import stripe
from django.urls import reverse

from tests.billing.conftest import API_VERSION, WEBHOOK_SECRET, FakeStripe, event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Studio-2026"  # tests.conftest's verified users
FREE_GRANT = 30  # the seeded Free plan's monthly credits
COMPRESS_CREDITS = 50  # more than the Free grant: the first Compression job is refused
PACK = "images-25"
PACK_CREDITS = 200


class FakeCheckout:
    """Stripe Checkout on loopback: GET /pay/<session> shows a Pay button, POST redirects back."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}  # session id -> the Checkout Session Stripe made
        self.paid: list[str] = []
        checkout = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _session(self) -> dict | None:
                match = re.fullmatch(r"/pay/(cs_test_\w+)", urlparse(self.path).path)
                return checkout.sessions.get(match[1]) if match else None

            def do_GET(self) -> None:
                session = self._session()
                if session is None:
                    self.send_error(404)
                    return
                body = (
                    "<!doctype html><title>Stripe Checkout (test)</title>"
                    f"<h1>Pay Image Studio</h1><p id='pack'>{html.escape(session['pack'])}</p>"
                    f"<form method='post'><button type='submit'>Pay</button></form>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                session = self._session()
                if session is None:
                    self.send_error(404)
                    return
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                checkout.paid.append(session["id"])
                self.send_response(303)
                self.send_header("Location", session["success_url"])
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeCheckout:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class StripeWithCheckout(FakeStripe):
    """FakeStripe whose Checkout Sessions open the loopback FakeCheckout instead of Stripe's."""

    def __init__(self, mock: responses.RequestsMock, checkout: FakeCheckout) -> None:
        super().__init__(mock)
        self.checkout = checkout

    def _post(self, request):
        status, headers, body = super()._post(request)
        path = urlparse(request.url).path.removeprefix("/v1/")
        if status != 200:
            return status, headers, body
        form = self.requests[-1][2]
        obj = json.loads(body)
        if path == "customers":  # the fields dj-stripe reads when it syncs the customer
            obj.update(
                livemode=False, created=int(time.time()), default_source=None,
                invoice_settings={"default_payment_method": None},
            )  # fmt: skip
        elif path == "checkout/sessions":
            obj.update(
                url=f"{self.checkout.url}/pay/{obj['id']}",
                success_url=form["success_url"],
                cancel_url=form["cancel_url"],
                client_reference_id=form.get("client_reference_id"),
                metadata={"workspace": form.get("metadata[workspace]"),
                          "pack": form.get("metadata[pack]")},
            )  # fmt: skip
            self.checkout.sessions[obj["id"]] = {**obj, "pack": form.get("metadata[pack]", "")}
        return status, headers, json.dumps(self.add(obj))


@pytest.fixture
def catalog(db):
    """The seeded catalog (a transactional test's flush empties it), with packs on sale."""
    from billing.models import CreditPack, Plan
    from billing.models.catalog import seed_catalog

    if not Plan.objects.exists():
        seed_catalog()
    for pack in CreditPack.objects.all():
        pack.stripe_price_id = f"price_pack_{pack.slug}"
        pack.save()


@pytest.fixture
def stripe_test_mode(settings):
    """Stripe test keys, as tests/billing's ``stripe_on`` sets them."""
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_billingTestsOnly0000000000000000"
    settings.DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
    return settings


@pytest.fixture
def checkout():
    with FakeCheckout() as fake:
        yield fake


@pytest.fixture
def stripe_api(stripe_test_mode, checkout, live_server):
    """Answer Stripe's API through `responses`; let loopback HTTP through untouched."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"http://(127\.0\.0\.1|localhost)(:\d+)?/.*"))
        yield StripeWithCheckout(mock, checkout)


@pytest.fixture
def webhook_endpoint(stripe_test_mode, catalog):
    from djstripe.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        id="we_billing_journey",
        secret=WEBHOOK_SECRET,
        url="https://studio.example/stripe/webhook/",
        enabled_events=["*"],
        status="enabled",
        livemode=False,
        api_version=API_VERSION,
    )


def post_webhook(base: str, endpoint, payload: dict) -> int:
    """POST a signed Stripe event to dj-stripe's endpoint on the live server; return the status."""
    body = json.dumps(payload)
    request = urllib.request.Request(
        base + reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid]),
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                body, WEBHOOK_SECRET
            ),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def balance_on_page(page) -> int:
    return int(page.inner_text("#balance").replace(",", ""))


def test_a_free_user_out_of_credits_buys_a_pack_through_checkout_and_the_job_runs(
    page, live_server, celery_worker, owner, make_asset, catalog, stripe_api, checkout,
    webhook_endpoint,
):  # fmt: skip
    from accounts.models import personal_workspace
    from billing.ledger import account_for
    from billing.models import LedgerEntry, OperationPrice
    from studio.models import Job

    base = live_server.url
    workspace = personal_workspace(owner)
    assert OperationPrice.objects.filter(operation="compress").update(credits=COMPRESS_CREDITS)
    asset = make_asset("photos/kitty.jpg")

    # A verified Free user logs in.
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # Compression Studio: the live quote says the Free grant does not cover the job.
    page.goto(f"{base}/studio/compress/")
    page.check(f"input[name=assets][value='{asset.code}']")
    refusal = page.locator("#studio-quote [data-refusal=credits]")
    refusal.wait_for()
    assert refusal.inner_text() == f"This needs {COMPRESS_CREDITS} credits; you have {FREE_GRANT}."
    assert page.locator("#studio-quote a:has-text('Plans and credit packs')").count() == 1

    # Submitting anyway is refused on the form, with the way out, and creates no job.
    page.click("button:has-text('Compress')")
    page.wait_for_selector("a.button:has-text('Plans and credit packs')")
    errors = page.inner_text("form#compress-form")
    assert f"This needs {COMPRESS_CREDITS} credits; you have {FREE_GRANT}." in errors
    assert f"get at least {COMPRESS_CREDITS - FREE_GRANT} more" in errors
    assert not Job.objects.filter(workspace=workspace).exists()

    # The link leads to the billing page: Free plan, 30 credits, packs on sale.
    page.click("a.button:has-text('Plans and credit packs')")
    page.wait_for_url(re.compile(r"/billing/$"))
    assert page.inner_text("#billing-plan .big") == "Free"
    assert balance_on_page(page) == FREE_GRANT

    # Buy the pack: the app creates a Checkout Session at Stripe and sends the browser there.
    page.click("button:has-text('Buy 25 images')")
    page.wait_for_url(re.compile(re.escape(checkout.url) + r"/pay/cs_test_\w+$"))
    assert page.inner_text("#pack") == PACK
    (session,) = checkout.sessions.values()
    created = [form for method, path, form in stripe_api.requests if path == "checkout/sessions"]
    assert [(f["mode"], f["line_items[0][price]"]) for f in created] == [
        ("payment", f"price_pack_{PACK}")
    ]
    assert session["customer"] == account_for(workspace).stripe_customer_id

    # The user pays; Checkout sends them back to the billing page, not yet credited.
    page.click("button:has-text('Pay')")
    page.wait_for_url(re.compile(r"/billing/\?checkout=success$"))
    assert checkout.paid == [session["id"]]
    assert "as soon as Stripe confirms the payment" in page.inner_text("body")
    assert balance_on_page(page) == FREE_GRANT

    # Stripe confirms: a signed checkout.session.completed reaches dj-stripe's endpoint.
    completed = {
        **{k: v for k, v in session.items() if k not in ("pack", "url")},
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": None,
        "subscription": None,
        "amount_total": 900,
        "currency": "usd",
        "livemode": False,
        "created": int(time.time()),
    }
    stripe_api.add(completed)
    payload = event("checkout.session.completed", completed)
    assert post_webhook(base, webhook_endpoint, payload) == 200

    # The credits appear, and the history lists the pack.
    page.reload()
    assert balance_on_page(page) == FREE_GRANT + PACK_CREDITS
    history = page.inner_text("#billing-history")
    assert re.search(rf"25 images.*\+{PACK_CREDITS}", history), history
    grant = LedgerEntry.objects.get(idempotency_key=f"stripe:checkout:{session['id']}")
    assert (grant.amount, grant.source, grant.expires_at) == (PACK_CREDITS, "pack", None)

    # Back to Compression Studio: the quote now covers the job, which runs and succeeds.
    page.goto(f"{base}/studio/compress/")
    page.check(f"input[name=assets][value='{asset.code}']")
    quoted = page.locator("#studio-quote [data-credits]")
    quoted.wait_for()
    assert quoted.inner_text() == (
        f"This will use {COMPRESS_CREDITS} credits; you have {FREE_GRANT + PACK_CREDITS}."
    )
    assert int(quoted.get_attribute("data-credits")) == COMPRESS_CREDITS
    page.click("button:has-text('Compress')")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    page.wait_for_selector(".status-succeeded", timeout=120_000)
    job = Job.objects.get(workspace=workspace)
    assert job.operation == "compress" and job.status == Job.Status.SUCCEEDED

    # The balance dropped by exactly the quoted credits.
    assert account_for(workspace).balance() == FREE_GRANT + PACK_CREDITS - COMPRESS_CREDITS
    page.goto(f"{base}/billing/")
    assert balance_on_page(page) == FREE_GRANT + PACK_CREDITS - COMPRESS_CREDITS
