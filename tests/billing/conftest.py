"""Billing fixtures: a workspace, jobs, quotes, Stripe test keys and signed webhook deliveries.

Stripe is never reached: API calls are answered by `responses` (stubs below return objects
shaped like Stripe's documented ones), and webhook bodies are signed with a test secret.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import responses
import stripe

from billing.quotes import Quote, QuoteLine

WEBHOOK_SECRET = "whsec_billing_tests_only"
STRIPE_API = "https://api.stripe.com/v1"
API_VERSION = "2026-05-27.dahlia"


@pytest.fixture(autouse=True)
def catalog(request):
    """Make sure the seeded catalog is there (a transactional test's flush empties it)."""
    if "django_db" not in request.keywords:
        return
    request.getfixturevalue("db")
    from billing.models.catalog import Plan, seed_catalog

    if not Plan.objects.exists():
        seed_catalog()


@pytest.fixture
def workspace(owner):
    from accounts.models import personal_workspace

    return personal_workspace(owner)


@pytest.fixture
def plans(db):
    """Return the seeded plans by slug, with Stripe price ids set as staff would."""
    from billing.models import CreditPack, Plan

    by_slug = {plan.slug: plan for plan in Plan.objects.all()}
    for slug in ("basic", "pro", "enterprise"):
        plan = by_slug[slug]
        plan.stripe_monthly_price_id = f"price_{slug}_month"
        plan.stripe_yearly_price_id = f"price_{slug}_year"
        plan.save()
    for pack in CreditPack.objects.all():
        pack.stripe_price_id = f"price_pack_{pack.slug}"
        pack.save()
    return by_slug


@pytest.fixture
def free_without_credits(db):
    """Make the Free plan grant nothing, so a test controls the balance exactly."""
    from billing.models import Plan

    Plan.objects.filter(slug="free").update(monthly_credits=0)


@pytest.fixture
def make_job(workspace, owner):
    from studio.models import Job

    def make(operation: str = "generate", spec: str = "generate-stability-core", ws=None):
        return Job.objects.create(
            workspace=ws or workspace, user=owner, operation=operation, spec=spec
        )

    return make


def quote_of(credits: int, operation: str = "generate") -> Quote:
    """Return a quote of ``credits`` (one line of that many 1-credit units)."""
    line = QuoteLine(
        key=operation, label="Test", unit="per image", quantity=credits, unit_credits=1
    )
    return Quote(operation=operation, lines=(line,), balance=0)


def pack_grant(workspace, credits: int):
    from billing.ledger import grant

    return grant(workspace=workspace, credits=credits, source="pack", key=f"test:{uuid.uuid4()}")


@pytest.fixture
def stripe_on(settings):
    """Configure Stripe test keys (the network stays closed: use `stripe_api`)."""
    settings.STRIPE_LIVE_MODE = False
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_billingTestsOnly0000000000000000"
    settings.DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
    return settings


@pytest.fixture
def stripe_off(settings):
    settings.STRIPE_TEST_SECRET_KEY = ""
    settings.STRIPE_LIVE_SECRET_KEY = ""
    if hasattr(settings, "STRIPE_SECRET_KEY"):
        del settings.STRIPE_SECRET_KEY
    return settings


class FakeStripe:
    """Stripe's API for one test, through `responses`: objects by id, and the creations we use.

    GET /v1/<resource>/<id> returns the stored object (404 ``resource_missing`` otherwise) and
    GET /v1/<resource>/<id>/<list> an empty list;
    GET /v1/account returns the platform account; POSTs to customers, Checkout sessions and
    portal sessions create objects shaped like Stripe's. ``requests`` records every call.
    """

    ACCOUNT = {
        "id": "acct_billingtests",
        "object": "account",
        "business_profile": {"name": "Image Studio", "url": None},
        "settings": {"dashboard": {"display_name": "Image Studio"}},
        "charges_enabled": True,
        "country": "US",
        "default_currency": "usd",
        "email": None,
        "type": "standard",
        "metadata": {},
    }

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.fail_next_post = False  # answer the next POST like a Stripe card/param error
        self.objects: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        pattern = re.compile(r"https://api\.stripe\.com/v1/.*")
        mock.add_callback(responses.GET, pattern, callback=self._get)
        mock.add_callback(responses.POST, pattern, callback=self._post)

    def add(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def _reply(self, status: int, body: dict):
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def _get(self, request):
        path = urlparse(request.url).path.removeprefix("/v1/")
        self.requests.append(("GET", path, {}))
        if path == "account":
            return self._reply(200, self.ACCOUNT)
        parts = path.split("/")
        if parts[-1] in self.objects:
            return self._reply(200, self.objects[parts[-1]])
        if len(parts) > 2 and parts[-2] in self.objects:  # a sub-list, e.g. product features
            return self._reply(200, {"object": "list", "data": [], "has_more": False, "url": path})
        error = {"type": "invalid_request_error", "code": "resource_missing",
                 "message": f"No such object: '{parts[-1]}'", "param": "id"}  # fmt: skip
        return self._reply(404, {"error": error})

    def _post(self, request):
        path = urlparse(request.url).path.removeprefix("/v1/")
        form = {key: values[-1] for key, values in parse_qs(request.body or "").items()}
        self.requests.append(("POST", path, form))
        made = uuid.uuid4().hex[:14]
        if self.fail_next_post and path != "customers":
            self.fail_next_post = False
            error = {"type": "invalid_request_error", "code": "resource_missing",
                     "message": "No such price", "param": "line_items[0][price]"}  # fmt: skip
            return self._reply(400, {"error": error})
        if path == "customers":
            obj = {"id": f"cus_{made}", "object": "customer", "email": form.get("email"),
                   "metadata": {"workspace": form.get("metadata[workspace]")}}  # fmt: skip
        elif path == "checkout/sessions":
            obj = {"id": f"cs_test_{made}", "object": "checkout.session", "mode": form["mode"],
                   "url": f"https://checkout.stripe.com/c/pay/cs_test_{made}",
                   "customer": form.get("customer"), "status": "open"}  # fmt: skip
        elif path == "billing_portal/sessions":
            obj = {"id": f"bps_{made}", "object": "billing_portal.session",
                   "url": f"https://billing.stripe.com/p/session/{made}",
                   "customer": form.get("customer")}  # fmt: skip
        else:
            return self._reply(400, {"error": {"type": "invalid_request_error",
                                               "message": f"Unexpected POST {path}"}})  # fmt: skip
        return self._reply(200, self.add(obj))


@pytest.fixture
def stripe_api(stripe_on):
    """Answer Stripe API calls with a FakeStripe; nothing reaches the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeStripe(mock)


@pytest.fixture
def webhook_endpoint(db, stripe_on):
    from djstripe.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        id="we_billing_tests",
        secret=WEBHOOK_SECRET,
        url="https://studio.example/stripe/webhook/",
        enabled_events=["*"],
        status="enabled",
        livemode=False,
        api_version=API_VERSION,
    )


def timestamp(moment: datetime) -> int:
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp())


def event(event_type: str, obj: dict, *, event_id: str | None = None, created=None) -> dict:
    """Return an Event payload as Stripe sends it to a webhook endpoint."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def deliver(client, endpoint, payload: dict, *, secret: str = WEBHOOK_SECRET):
    """POST a payload to dj-stripe's endpoint with a valid (or forged) Stripe-Signature."""
    from django.urls import reverse

    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return client.post(
        reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint.djstripe_uuid]),
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
