"""Staff admin: catalog editable, ledger read-only, adjustments and refunds need a reason."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from billing.ledger import account_for, capture, hold_for_job
from billing.models import LedgerEntry
from tests.billing.conftest import quote_of

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-Admin-2026")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.parametrize(
    "model", ["plan", "operationprice", "creditpack", "creditaccount", "ledgerentry"]
)
def test_staff_see_every_billing_list(staff_client, workspace, model):
    account_for(workspace)
    assert staff_client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200


def test_plans_and_prices_are_editable(staff_client):
    from billing.models import OperationPrice, Plan

    plan = Plan.objects.get(slug="basic")
    assert staff_client.get(reverse("admin:billing_plan_change", args=[plan.pk])).status_code == 200
    price = OperationPrice.objects.get(key="generate-stability-core")
    url = reverse("admin:billing_operationprice_change", args=[price.pk])
    assert b'name="credits"' in staff_client.get(url).content


def test_ledger_entries_cannot_be_added_changed_or_deleted(staff_client, workspace):
    entry = LedgerEntry.objects.get(account=account_for(workspace))
    assert staff_client.get(reverse("admin:billing_ledgerentry_add")).status_code == 403
    change = staff_client.get(reverse("admin:billing_ledgerentry_change", args=[entry.pk]))
    assert change.status_code == 200 and b'name="amount"' not in change.content
    delete = reverse("admin:billing_ledgerentry_delete", args=[entry.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def adjust(staff_client, account, **data):
    return staff_client.post(
        reverse("admin:billing_creditaccount_changelist"),
        {"action": "adjust_credits", ACTION_CHECKBOX_NAME: [account.pk], **data},
    )


def test_an_adjustment_asks_for_credits_and_a_reason_first(staff_client, workspace):
    account = account_for(workspace)
    page = adjust(staff_client, account)
    assert page.status_code == 200 and b'name="reason"' in page.content
    refused = adjust(staff_client, account, apply="1", credits="50", reason=" ", token=uuid.uuid4())
    assert refused.status_code == 200 and b"errorlist" in refused.content
    assert account.balance() == 30


def test_an_adjustment_with_a_reason_is_written_once(staff_client, workspace):
    account = account_for(workspace)
    form = {"apply": "1", "credits": "50", "reason": "Outage credit", "token": uuid.uuid4()}
    for _ in range(2):  # a double-submitted form
        assert adjust(staff_client, account, **form).status_code == 302
    entry = LedgerEntry.objects.get(source="staff")
    assert (entry.amount, entry.reason, entry.created_by) == (
        50,
        "Outage credit",
        staff_client.admin,
    )
    assert account.balance() == 80


def test_a_refund_action_gives_back_a_charge(staff_client, workspace, make_job):
    job = make_job()
    hold_for_job(job, quote_of(8))
    charge = capture(job)
    response = staff_client.post(
        reverse("admin:billing_ledgerentry_changelist"),
        {
            "action": "refund_charges",
            ACTION_CHECKBOX_NAME: [charge.pk],
            "apply": "1",
            "reason": "Wrong crop",
        },
    )
    assert response.status_code == 302
    refund = LedgerEntry.objects.get(kind="refund")
    assert refund.amount == 8 and refund.reason == "Wrong crop" and refund.job_code == job.code
    assert account_for(workspace).balance() == 30


def test_staff_can_change_a_workspaces_plan(staff_client, workspace):
    from billing.models import Plan

    account = account_for(workspace)
    url = reverse("admin:billing_creditaccount_change", args=[account.pk])
    pro = Plan.objects.get(slug="pro")
    response = staff_client.post(url, {"plan": pro.pk, "pending_plan": ""})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.plan == pro
