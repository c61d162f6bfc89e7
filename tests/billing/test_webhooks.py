"""Stripe webhooks through dj-stripe's endpoint: signatures, grants, plan switches, replays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.ledger import account_for
from billing.models import LedgerEntry
from tests.billing.conftest import deliver, event, timestamp

pytestmark = [pytest.mark.django_db]

CUSTOMER = "cus_billingtests1"
SUBSCRIPTION = "sub_billingtests1"


@pytest.fixture
def customer(workspace, stripe_api):
    """A workspace that is a Stripe customer (as after its first Checkout)."""
    account = account_for(workspace)
    account.stripe_customer_id = CUSTOMER
    account.save()
    stripe_api.add(
        {
            "id": CUSTOMER,
            "object": "customer",
            "email": "owner@example.com",
            "metadata": {"workspace": str(workspace.code)},
            "invoice_settings": {"default_payment_method": None},
            "default_source": None,
            "livemode": False,
            "created": int(time.time()),
        }
    )
    return account


@pytest.fixture
def send(client, webhook_endpoint, stripe_api):
    """Deliver an event; the object it carries is also what Stripe's API returns for its id."""

    def send(event_type: str, obj: dict, **kwargs):
        stripe_api.add(obj)
        for plan in ("basic", "pro", "enterprise"):
            stripe_api.add(
                {"id": f"prod_{plan}", "object": "product", "name": plan.title(), "active": True,
                 "type": "service", "livemode": False, "metadata": {}, "created": 1767225600}
            )  # fmt: skip
        return deliver(client, webhook_endpoint, event(event_type, obj, **kwargs))

    return send


def invoice(invoice_id: str, price: str, *, start, reason: str = "subscription_cycle", days=30):
    """Return a paid subscription invoice (API 2025-03-31+ shape: parent, line pricing)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": CUSTOMER,
        "billing_reason": reason,
        "status": "paid",
        "currency": "usd",
        "amount_paid": 1900,
        "amount_due": 1900,
        "created": timestamp(start),
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": SUBSCRIPTION, "metadata": {}},
        },
        "lines": {
            "object": "list",
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
            "data": [
                {
                    "id": f"il_{invoice_id}",
                    "object": "line_item",
                    "amount": 1900,
                    "currency": "usd",
                    "quantity": 1,
                    "period": {
                        "start": timestamp(start),
                        "end": timestamp(start + timedelta(days=days)),
                    },
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": price, "product": "prod_plan"},
                    },
                }
            ],
        },
    }


def price_object(price: str) -> dict:
    """Return a recurring Price as Stripe documents it (``price_<plan>_<interval>``)."""
    _, plan, interval = price.split("_")
    return {
        "id": price,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": 1767225600,
        "currency": "usd",
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": f"prod_{plan}",
        "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
        "tax_behavior": "unspecified",
        "type": "recurring",
        "unit_amount": 4900,
    }


def subscription(price: str, *, status: str = "active", cancel_at_period_end: bool = False):
    now = timezone.now()
    return {
        "id": SUBSCRIPTION,
        "object": "subscription",
        "customer": CUSTOMER,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "currency": "usd",
        "created": timestamp(now),
        "start_date": timestamp(now),
        "livemode": False,
        "metadata": {},
        "items": {
            "object": "list",
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={SUBSCRIPTION}",
            "data": [
                {
                    "id": "si_billingtests1",
                    "object": "subscription_item",
                    "subscription": SUBSCRIPTION,
                    "created": timestamp(now),
                    "metadata": {},
                    "price": price_object(price),
                    "quantity": 1,
                    "current_period_start": timestamp(now),
                    "current_period_end": timestamp(now + timedelta(days=30)),
                }
            ],
        },
    }


def checkout_session(session_id: str, pack: str, *, payment_status: str = "paid"):
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": payment_status,
        "customer": CUSTOMER,
        "client_reference_id": None,
        "payment_intent": None,
        "subscription": None,
        "metadata": {"pack": pack},
        "amount_total": 900,
        "currency": "usd",
        "livemode": False,
        "created": int(time.time()),
    }


def grants() -> list[tuple[str, int]]:
    """Return every grant but the Free plan's: ("invoice:<id>", credits) or (key, credits)."""
    entries = LedgerEntry.objects.filter(kind="grant").exclude(idempotency_key__contains=":free:")
    return [
        (f"invoice:{e.detail['invoice']}" if "invoice" in e.detail else e.idempotency_key, e.amount)
        for e in entries.order_by("pk")
    ]


def test_a_paid_renewal_invoice_grants_the_periods_credits_and_starts_the_period(
    customer, plans, send
):
    start = timezone.now().replace(microsecond=0)
    response = send("invoice.paid", invoice("in_renew1", "price_basic_month", start=start))
    assert response.status_code == 200
    assert grants() == [("invoice:in_renew1", 400)]
    account = account_for(customer.workspace)
    assert account.plan.slug == "basic"
    assert (account.period_start, account.period_end) == (start, start + timedelta(days=30))
    assert account.paid_until == start + timedelta(days=30)
    grant = LedgerEntry.objects.get(detail__invoice="in_renew1")
    assert grant.idempotency_key == f"plan:{account.pk}:{SUBSCRIPTION}:{start.isoformat()}"
    assert grant.expires_at == account.period_end  # Basic does not roll over


def test_a_replayed_event_or_a_second_event_for_the_same_invoice_grants_nothing(
    client, webhook_endpoint, customer, plans, stripe_api
):
    from tests.billing.conftest import deliver

    paid = invoice("in_replay1", "price_basic_month", start=timezone.now())
    stripe_api.add(paid)
    first = event("invoice.paid", paid, event_id="evt_replay1")
    for payload in (first, first, event("invoice.paid", paid, event_id="evt_replay2")):
        assert deliver(client, webhook_endpoint, payload).status_code == 200
    assert grants() == [("invoice:in_replay1", 400)]


def test_a_proration_invoice_grants_nothing(customer, plans, send):
    paid = invoice(
        "in_prorate", "price_pro_month", start=timezone.now(), reason="subscription_update"
    )
    assert send("invoice.paid", paid).status_code == 200
    assert grants() == []


def test_an_upgrade_switches_plan_now_and_tops_up_the_period(customer, plans, send):
    send("invoice.paid", invoice("in_basic1", "price_basic_month", start=timezone.now()))
    assert send("customer.subscription.updated", subscription("price_pro_month")).status_code == 200
    account = account_for(customer.workspace)
    assert account.plan.slug == "pro" and account.pending_plan is None
    top_up = LedgerEntry.objects.get(idempotency_key__startswith="stripe:upgrade:")
    assert top_up.amount == 1200 - 400
    assert account.balance() == 30 + 400 + 800


def test_a_downgrade_waits_for_the_period_end(customer, plans, send):
    send("invoice.paid", invoice("in_pro1", "price_pro_month", start=timezone.now()))
    send("customer.subscription.updated", subscription("price_basic_month"))
    account = account_for(customer.workspace)
    assert account.plan.slug == "pro" and account.pending_plan.slug == "basic"
    next_start = account.period_end
    send("invoice.paid", invoice("in_basic2", "price_basic_month", start=next_start))
    account = account_for(customer.workspace)
    assert account.plan.slug == "basic" and account.pending_plan is None


def test_an_older_subscription_event_arriving_late_is_ignored(customer, plans, send):
    send("invoice.paid", invoice("in_pro2", "price_pro_month", start=timezone.now()))
    now = int(time.time())
    send("customer.subscription.updated", subscription("price_basic_month"), created=now)
    send("customer.subscription.updated", subscription("price_enterprise_month"), created=now - 60)
    account = account_for(customer.workspace)
    assert account.plan.slug == "pro" and account.pending_plan.slug == "basic"
    assert not LedgerEntry.objects.filter(idempotency_key__startswith="stripe:upgrade:").exists()


def test_a_new_subscription_switches_the_plan_and_waits_for_its_invoice_to_grant(
    customer, plans, send
):
    send("customer.subscription.created", subscription("price_pro_month"))
    account = account_for(customer.workspace)
    assert account.plan.slug == "pro"
    assert account.stripe_subscription_id == SUBSCRIPTION
    assert grants() == []


def test_a_cancelled_subscription_returns_the_workspace_to_free(customer, plans, send):
    send("invoice.paid", invoice("in_pro3", "price_pro_month", start=timezone.now()))
    send(
        "customer.subscription.updated", subscription("price_pro_month", cancel_at_period_end=True)
    )
    assert account_for(customer.workspace).pending_plan.slug == "free"
    send("customer.subscription.deleted", subscription("price_pro_month", status="canceled"))
    account = account_for(customer.workspace)
    assert account.plan.slug == "free"
    assert account.stripe_subscription_id == "" and account.paid_until is None
    # Pro's credits roll over; the Free month it returns to was granted before: not again.
    assert account.balance() == 30 + 1200


def test_a_paid_pack_checkout_grants_the_pack_once(customer, plans, send):
    session = checkout_session("cs_test_pack1", "images-100")
    assert send("checkout.session.completed", session).status_code == 200
    assert send("checkout.session.completed", session).status_code == 200
    assert grants() == [("stripe:checkout:cs_test_pack1", 800)]
    grant = LedgerEntry.objects.get(idempotency_key="stripe:checkout:cs_test_pack1")
    assert grant.source == "pack" and grant.expires_at is None


def test_an_unpaid_checkout_grants_nothing_until_its_payment_succeeds(customer, plans, send):
    session = checkout_session("cs_test_async", "images-25", payment_status="unpaid")
    send("checkout.session.completed", session)
    assert grants() == []
    send("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"})
    assert grants() == [("stripe:checkout:cs_test_async", 200)]


def test_a_bad_signature_is_refused_with_400_and_grants_nothing(
    client, webhook_endpoint, customer, plans, stripe_api
):
    session = checkout_session("cs_test_forged", "images-500")
    stripe_api.add(session)
    payload = event("checkout.session.completed", session)
    response = deliver(client, webhook_endpoint, payload, secret="whsec_not_the_real_one")
    assert response.status_code == 400
    assert grants() == []


def test_a_missing_signature_is_refused_with_400(client, webhook_endpoint):
    from django.urls import reverse

    url = reverse("djstripe:djstripe_webhook_by_uuid", args=[webhook_endpoint.djstripe_uuid])
    assert client.post(url, data="{}", content_type="application/json").status_code == 400


@pytest.mark.parametrize("event_type", ["balance.available", "studio.made_up_event"])
def test_an_event_type_we_do_not_handle_is_accepted_and_ignored(
    client, webhook_endpoint, customer, stripe_api, event_type
):
    payload = event(event_type, {"id": "bal_1", "object": "balance", "livemode": False})
    assert deliver(client, webhook_endpoint, payload).status_code == 200
    assert grants() == []


def test_an_invoice_for_an_unknown_customer_is_ignored(client, webhook_endpoint, plans, stripe_api):
    stranger = {**invoice("in_stranger", "price_basic_month", start=timezone.now())}
    stranger["customer"] = "cus_nobody"
    stripe_api.add(stranger)
    stripe_api.add({"id": "cus_nobody", "object": "customer", "metadata": {}, "livemode": False})
    assert deliver(client, webhook_endpoint, event("invoice.paid", stranger)).status_code == 200
    assert grants() == []


def test_a_trials_zero_dollar_invoice_grants_the_trial_allowance_until_the_trial_ends(
    customer, plans, send
):
    start = timezone.now().replace(microsecond=0)
    trial = invoice("in_trial1", "price_pro_month", start=start, reason="subscription_create")
    trial.update({"amount_paid": 0, "amount_due": 0, "subtotal": 0, "total": 0})
    trial["lines"]["data"][0]["amount"] = 0
    send("customer.subscription.created", subscription("price_pro_month", status="trialing"))
    assert send("invoice.paid", trial).status_code == 200
    grant = LedgerEntry.objects.get(detail__invoice="in_trial1")
    assert (grant.amount, grant.expires_at) == (30, start + timedelta(days=30))  # not 1200
    send("customer.subscription.deleted", subscription("price_pro_month", status="canceled"))
    account = account_for(customer.workspace)
    assert account.plan.slug == "free" and account.balance() == 30  # the trial's 30 are gone


def test_a_late_invoice_paid_does_not_bring_a_deleted_subscription_back(customer, plans, send):
    now = int(time.time())
    start = timezone.now().replace(microsecond=0)
    send("customer.subscription.created", subscription("price_pro_month"), created=now - 120)
    send("customer.subscription.deleted", subscription("price_pro_month", status="canceled"),
         created=now)  # fmt: skip
    paid = invoice("in_late1", "price_pro_month", start=start, reason="subscription_create")
    assert send("invoice.paid", paid, created=now - 60).status_code == 200
    account = account_for(customer.workspace)
    assert account.plan.slug == "free" and account.stripe_subscription_id == ""
    assert grants() == []
