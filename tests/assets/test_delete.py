"""Deleting: one asset or a selection goes, row and stored objects alike; others' stay."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.urls import reverse

from assets.models import Asset

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def notes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stored_names(*assets: Asset) -> list[str]:
    return [name for asset in assets for name in (asset.file.name, asset.thumbnail.name) if name]


def test_deleting_removes_the_row_and_after_commit_the_file_and_thumbnail(
    owner_client, make_asset, add_thumbnail, django_capture_on_commit_callbacks
):
    asset = add_thumbnail(make_asset())
    names = stored_names(asset)
    assert len(names) == 2 and all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("assets-delete", args=[asset.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("assets-library")
    assert notes(response) == ["Deleted kitty.jpg."]
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_an_htmx_delete_sends_the_whole_page_to_the_library(owner_client, make_asset):
    asset = make_asset()
    response = owner_client.post(reverse("assets-delete", args=[asset.code]), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("assets-library")


def test_bulk_delete_removes_every_selected_asset_and_its_objects_and_goes_back(
    owner_client, make_asset, django_capture_on_commit_callbacks
):
    chosen = [make_asset(), make_asset("edge/hopper.png")]
    kept = make_asset("edge/hopper.jpg")
    back = reverse("assets-library") + "?format=JPEG&page=2"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("assets-bulk"),
            {"action": "delete", "codes": [a.code for a in chosen], "next": back},
            headers=HTMX,
        )
    assert response["HX-Redirect"] == back
    assert notes(response) == ["Deleted 2 assets."]
    assert list(Asset.objects.all()) == [kept]
    assert not any(default_storage.exists(name) for name in stored_names(*chosen))
    assert default_storage.exists(kept.file.name)


def test_bulk_refuses_an_empty_selection_with_a_message(owner_client, make_asset):
    make_asset()
    response = owner_client.post(reverse("assets-bulk"), {"action": "delete"})
    assert response.status_code == 302
    assert response["Location"] == reverse("assets-library")
    assert notes(response) == ["Select at least one asset first."]
    assert Asset.objects.count() == 1


def test_bulk_refuses_an_unknown_action(owner_client, make_asset):
    asset = make_asset()
    response = owner_client.post(
        reverse("assets-bulk"), {"action": "publish", "codes": [asset.code]}
    )
    assert notes(response) == [
        "Select a valid choice. publish is not one of the available choices."
    ]
    assert Asset.objects.count() == 1


def test_bulk_never_sends_the_browser_to_another_site(owner_client, make_asset):
    response = owner_client.post(
        reverse("assets-bulk"),
        {"action": "delete", "codes": [make_asset().code], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("assets-library")


@pytest.mark.parametrize("action", ["zip", "delete"])
def test_bulk_gives_404_and_does_nothing_when_any_code_is_not_the_users(
    owner_client, make_asset, outsider, action
):
    mine, theirs = make_asset(), make_asset(user=outsider)
    for codes in ([mine.code, theirs.code], [mine.code, uuid.uuid4()]):
        response = owner_client.post(reverse("assets-bulk"), {"action": action, "codes": codes})
        assert response.status_code == 404
    assert Asset.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "status", "deleted"),
    [("owner", 302, True), ("teammate", 302, True), ("outsider", 404, False)],
)
def test_members_of_the_workspace_may_delete_an_asset_and_no_one_else(
    client_as, make_asset, who, status, deleted
):
    asset = make_asset()
    response = client_as(who).post(reverse("assets-delete", args=[asset.code]))
    assert response.status_code == status
    assert Asset.objects.filter(pk=asset.pk).exists() is not deleted


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("teammate", 200), ("outsider", 404)])
def test_members_of_the_workspace_may_act_on_a_selection_and_no_one_else(
    client_as, make_asset, who, status
):
    asset = make_asset()
    response = client_as(who).post(reverse("assets-bulk"), {"action": "zip", "codes": [asset.code]})
    assert response.status_code == status


@pytest.mark.parametrize("name", ["assets-delete", "assets-bulk"])
def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_deleted(client, make_asset, name):
    asset = make_asset()
    args = [asset.code] if name == "assets-delete" else []
    response = client.post(reverse(name, args=args), {"action": "delete", "codes": [asset.code]})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_delete_refuses_get(owner_client, make_asset):
    asset = make_asset()
    assert owner_client.get(reverse("assets-delete", args=[asset.code])).status_code == 405
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_bulk_refuses_get(owner_client):
    assert owner_client.get(reverse("assets-bulk")).status_code == 405
