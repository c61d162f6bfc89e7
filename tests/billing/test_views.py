"""Billing pages, Checkout and portal redirects, the live quote: permissions and behaviour."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from billing.ledger import account_for, capture, hold_for_job
from tests.billing.conftest import pack_grant, quote_of

pytestmark = [pytest.mark.django_db]

GET_URLS = ["billing-page", "studio-quote"]
POST_URLS = ["billing-checkout-plan", "billing-checkout-pack", "billing-portal"]


@pytest.mark.parametrize("name", GET_URLS + POST_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    url = reverse(name)
    response = client.post(url) if name in POST_URLS else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", POST_URLS)
def test_purchase_urls_refuse_get(owner_client, name):
    assert owner_client.get(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", GET_URLS)
def test_pages_refuse_post(owner_client, name):
    assert owner_client.post(reverse(name)).status_code == 405


def test_the_page_shows_plan_balance_and_that_billing_is_not_configured(owner_client, stripe_off):
    response = owner_client.get(reverse("billing-page"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="billing-not-configured"' in html
    assert '<span id="balance">30</span>' in html
    assert "Free" in html and "Credits renew on" in html
    assert reverse("billing-checkout-pack") not in html  # no buy buttons without Stripe


def test_the_page_offers_upgrades_and_packs_when_stripe_is_configured(
    owner_client, plans, stripe_on
):
    html = owner_client.get(reverse("billing-page")).content.decode()
    assert 'id="billing-not-configured"' not in html
    assert reverse("billing-checkout-plan") in html and 'value="pro"' in html
    assert 'value="images-100"' in html


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_plans_list_the_studios_the_product_has_and_nothing_it_lacks(
    owner_client, plans, stripe_on
):
    from billing.models import Plan
    from studio.operations import registered

    html = owner_client.get(reverse("billing-page")).content.decode()
    text = _visible_text(html)
    # Seeded plans still name video, batch and API flags; the product has none of them yet.
    for word in ("video", "batch", "api", "priority"):
        assert not re.search(rf"\b{word}\b", text, re.IGNORECASE), word
    assert not re.search(r"video", html, re.IGNORECASE)
    labels = sorted(op.label for op in registered())
    assert {"Social Optimizer", "Compression Studio", "Create Studio"} <= set(labels)
    studios = re.findall(r'<li class="studios">([^<]*)</li>', html)
    assert studios == [", ".join(Plan.objects.get(slug=s).studios()) for s in plans]
    assert studios[-1] == ", ".join(labels)  # Enterprise: every studio
    assert "Control Studio" not in studios[0] and "Social Optimizer" in studios[0]  # Free


def test_another_user_sees_only_their_own_credits(owner, outsider_client, workspace):
    pack_grant(workspace, 500)
    html = outsider_client.get(reverse("billing-page")).content.decode()
    assert '<span id="balance">30</span>' in html
    assert account_for(workspace).balance() == 530


def test_the_history_links_charges_to_their_jobs_and_charts_usage(
    owner_client, workspace, make_job
):
    job = make_job()
    hold_for_job(job, quote_of(8))
    capture(job)
    html = owner_client.get(reverse("billing-page")).content.decode()
    assert f'href="{reverse("studio-job", args=[job.code])}"' in html
    assert "Generate job" in html and "−8" in html
    assert 'title="' in html and "8 credits" in html  # a day bar with the charge


def test_plan_checkout_redirects_to_stripe_with_the_plans_price(
    owner_client, workspace, plans, stripe_api
):
    response = owner_client.post(
        reverse("billing-checkout-plan"), {"plan": "pro", "interval": "year"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    posts = {path: form for method, path, form in stripe_api.requests if method == "POST"}
    session = posts["checkout/sessions"]
    assert session["mode"] == "subscription"
    assert session["line_items[0][price]"] == "price_pro_year"
    assert session["metadata[workspace]"] == str(workspace.code)
    assert session["customer"] == account_for(workspace).stripe_customer_id != ""


def test_pack_checkout_redirects_to_stripe_once_per_customer(
    owner_client, workspace, plans, stripe_api
):
    for _ in range(2):
        response = owner_client.post(reverse("billing-checkout-pack"), {"pack": "images-25"})
        assert response["Location"].startswith("https://checkout.stripe.com/")
    posts = [(path, form) for method, path, form in stripe_api.requests if method == "POST"]
    assert [path for path, _ in posts].count("customers") == 1
    session = posts[-1][1]
    assert session["mode"] == "payment"
    assert session["line_items[0][price]"] == "price_pack_images-25"
    assert session["metadata[pack]"] == "images-25"


def test_the_portal_opens_for_the_workspaces_customer(owner_client, plans, stripe_api):
    response = owner_client.post(reverse("billing-portal"))
    assert response["Location"].startswith("https://billing.stripe.com/")


def test_a_subscriber_is_sent_to_the_portal_instead_of_a_second_subscription(
    owner_client, workspace, plans, stripe_api
):
    account = account_for(workspace)
    account.stripe_subscription_id = "sub_existing"
    account.save()
    response = owner_client.post(
        reverse("billing-checkout-plan"), {"plan": "pro", "interval": "month"}, follow=True
    )
    assert "change it in the billing portal" in response.content.decode()


def test_purchases_are_refused_without_stripe(owner_client, plans, stripe_off):
    response = owner_client.post(
        reverse("billing-checkout-pack"), {"pack": "images-25"}, follow=True
    )
    assert "Billing is not configured" in response.content.decode()


def test_a_stripe_failure_is_reported_not_raised(owner_client, plans, stripe_api):
    from billing.models import CreditPack

    CreditPack.objects.filter(slug="images-25").update(stripe_price_id="price_gone")
    stripe_api.fail_next_post = True
    response = owner_client.post(
        reverse("billing-checkout-pack"), {"pack": "images-25"}, follow=True
    )
    assert "Stripe could not start this" in response.content.decode()


def test_an_unknown_plan_or_pack_is_refused(owner_client, plans, stripe_api):
    response = owner_client.post(
        reverse("billing-checkout-pack"), {"pack": "free-money"}, follow=True
    )
    assert "Pick a credit pack" in response.content.decode()
    assert not stripe_api.requests


def quote_text(client, **query) -> str:
    response = client.get(reverse("studio-quote"), query)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_quote_partial_reads_a_studio_form(owner_client, make_asset):
    asset = make_asset()
    text = quote_text(
        owner_client,
        operation="social",
        assets=str(asset.code),
        formats="instagram-story",
        crop_mode="smart",
    )
    assert "This uses no credits; you have 30." in text


def test_the_quote_partial_prices_specs(owner_client):
    text = quote_text(owner_client, operation="generate", spec="generate-stability-core|seed-1")
    assert "This will use <strong>3 credits</strong>; you have 30." in text


def test_the_quote_partial_shows_the_refusal_and_its_fix(owner_client):
    text = quote_text(owner_client, operation="generate", spec="generate-stability-ultra")
    assert 'data-refusal="plan"' in text and "Upgrade to Basic or above." in text


def test_the_quote_partial_asks_for_missing_choices(owner_client):
    assert "Pick images and options" in quote_text(owner_client, operation="social")
    assert "Pick images and options" in quote_text(owner_client)


def test_the_quote_partial_never_uses_another_workspaces_images(owner, outsider_client, make_asset):
    asset = make_asset(user=owner)
    text = quote_text(
        outsider_client,
        operation="social",
        assets=str(asset.code),
        formats="instagram-story",
        crop_mode="smart",
    )
    assert "Pick images and options" in text


def test_the_quote_partial_is_rate_limited(owner_client, settings):
    settings.STUDIO_QUOTE_RATE_LIMIT = 3
    url = reverse("studio-quote")
    codes = [owner_client.get(url, {"operation": "social"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_the_usage_summary_partial_shows_the_balance(owner, workspace):
    pack_grant(workspace, 200)
    request = RequestFactory().get("/")
    request.user = owner
    html = Template('{% include "billing/_usage_summary.html" %}').render(
        Context({"request": request})
    )
    assert 'data-balance="230"' in html and "Free" in html and reverse("billing-page") in html
