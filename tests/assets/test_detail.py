"""The detail page: file facts, lineage both ways, actions, and who may see it."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from assets.models import Asset
from studio.specs import parse

pytestmark = pytest.mark.django_db


def page(client, asset: Asset) -> str:
    response = client.get(reverse("assets-detail", args=[asset.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_file_facts_of_an_upload(owner_client, make_asset):
    asset = make_asset("camera/canon_hdr_NO.jpg")
    html = page(owner_client, asset)
    for fact in (
        "JPEG",
        "1536 × 2048 px (3.15 MP)",
        "784,371 bytes",
        asset.sha256,
        "RGB",
        '6 <span class="muted">(turned 90° clockwise)</span>',
        "Yes: the file records where it was taken",
        "Uploaded original, kept byte for byte as it arrived.",
    ):
        assert fact in html


def test_a_rendition_links_to_its_source_and_says_its_spec_in_plain_words(
    owner_client, make_asset, make_rendition
):
    source = make_asset("photos/kitty.jpg")
    rendition = make_rendition(source, spec="width-128|format-webp", module="social")
    html = page(owner_client, rendition)
    assert f'<a href="{source.get_absolute_url()}">kitty.jpg</a>' in html
    assert "Made in Social Optimizer from" in html
    assert parse("width-128|format-webp").describe() in html
    assert "<code>width-128|format-webp</code>" in html
    assert "Resized to 128 pixels wide" in html  # the rendition's notes


def test_a_spec_that_no_longer_parses_is_shown_as_written(owner_client, make_asset, make_rendition):
    rendition = make_rendition(make_asset(), spec="retired-operation-7")
    assert "retired-operation-7" in page(owner_client, rendition)


def test_a_rendition_whose_source_was_deleted_says_so(owner_client, make_asset, make_rendition):
    source = make_asset()
    rendition = make_rendition(source)
    source.delete()
    rendition.refresh_from_db()
    assert "an image that has since been deleted" in page(owner_client, rendition)


def test_an_original_lists_what_was_made_from_it(owner_client, make_asset, make_rendition):
    source = make_asset("photos/kitty.jpg")
    social = make_rendition(source, spec="width-128|format-webp", module="social")
    compressed = make_rendition(source, spec="format-webp|targetkb-20", module="compress")
    html = page(owner_client, source)
    for derived in (social, compressed):
        assert f'<a href="{derived.get_absolute_url()}">{derived.filename}</a>' in html
    assert "128×128 · WEBP · 3.2\xa0KB" in html


def test_it_offers_download_delete_and_the_studio_modules_with_the_asset_chosen(
    owner_client, make_asset
):
    asset = make_asset()
    html = page(owner_client, asset)
    assert f'href="{reverse("assets-download", args=[asset.code])}"' in html
    assert f'href="{reverse("assets-download", args=[asset.code])}?inline=1"' in html
    assert (
        f'action="{reverse("assets-delete", args=[asset.code])}"' in html and "hx-confirm" in html
    )
    assert f'href="{reverse("studio-social")}?assets={asset.code}"' in html
    assert f'href="{reverse("studio-compress")}?assets={asset.code}"' in html


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("teammate", 200), ("outsider", 404)])
def test_the_detail_page_is_shown_to_members_of_the_workspace_only(
    client_as, make_asset, who, status
):
    asset = make_asset()
    assert client_as(who).get(reverse("assets-detail", args=[asset.code])).status_code == status


def test_an_unknown_code_gives_404(owner_client):
    assert owner_client.get(reverse("assets-detail", args=[uuid.uuid4()])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_from_the_detail_page(client, make_asset):
    response = client.get(reverse("assets-detail", args=[make_asset().code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_detail_page_refuses_post(owner_client, make_asset):
    assert owner_client.post(reverse("assets-detail", args=[make_asset().code])).status_code == 405
