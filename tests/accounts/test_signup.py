"""Sign up with e-mail, verify, log in; every new user gets a personal workspace."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, Workspace

pytestmark = pytest.mark.django_db


def test_signing_up_sends_a_verification_mail_and_creates_a_personal_workspace(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-Long-passphrase-42",
            "password2": "a-Long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.com")
    workspace = Workspace.objects.get(owner=user, personal=True)
    assert Membership.objects.filter(workspace=workspace, user=user, role="owner").exists()
    assert len(mail.outbox) == 1
    assert "new@example.com" in mail.outbox[0].to


def test_an_unverified_user_cannot_log_in_until_the_link_is_followed(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "second@example.com",
            "password1": "a-Long-passphrase-42",
            "password2": "a-Long-passphrase-42",
        },
    )
    client.logout()
    client.post(
        reverse("account_login"),
        {"login": "second@example.com", "password": "a-Long-passphrase-42"},
    )
    assert client.get(reverse("assets-library")).status_code == 302
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("testserver", 1)[-1]
    client.post(path)
    client.post(
        reverse("account_login"),
        {"login": "second@example.com", "password": "a-Long-passphrase-42"},
    )
    assert client.get(reverse("assets-library")).status_code == 200


def test_a_password_reset_mail_is_sent(client, owner):
    client.post(reverse("account_reset_password"), {"email": owner.email})
    assert len(mail.outbox) == 1
    assert "password" in mail.outbox[0].subject.lower()


def test_a_user_sees_only_the_workspaces_they_belong_to(owner, teammate, outsider):
    owners = Workspace.objects.get(owner=owner)
    assert list(Workspace.objects.for_user(teammate).order_by("id")) == [
        owners,
        Workspace.objects.get(owner=teammate),
    ]
    assert owners not in Workspace.objects.for_user(outsider)
