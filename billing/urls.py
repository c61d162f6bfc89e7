from __future__ import annotations

from django.urls import path

from billing import views

urlpatterns = [
    path("", views.billing_page, name="billing-page"),
    path("checkout/plan/", views.checkout_plan, name="billing-checkout-plan"),
    path("checkout/pack/", views.checkout_pack, name="billing-checkout-pack"),
    path("portal/", views.portal, name="billing-portal"),
]
