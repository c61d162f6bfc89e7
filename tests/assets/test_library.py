"""The library: the workspace's assets, filtered, searched and paginated, full page or partial."""

from __future__ import annotations

import os
import urllib.request

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def listed(response) -> list[str]:
    """Return the file names of the tiles on a library page, in order."""
    return [asset.filename for asset in response.context["page_obj"]]


@pytest.fixture
def library(make_asset, make_rendition):
    """Two originals and two renditions (one from each studio module) in the owner's library."""
    kitty = make_asset("photos/kitty.jpg")
    hopper = make_asset("edge/hopper.png")
    make_rendition(kitty, spec="width-128|format-webp", module="social")
    make_rendition(hopper, spec="format-webp|targetkb-20", module="compress")


def test_it_lists_the_workspace_assets_newest_first(owner_client, library):
    response = owner_client.get(reverse("assets-library"))
    assert response.status_code == 200
    assert listed(response) == [
        "hopper.format-webp_targetkb-20.webp",
        "kitty.width-128_format-webp.webp",
        "hopper.png",
        "kitty.jpg",
    ]
    html = response.content.decode()
    assert "4 assets" in html
    assert '<form id="bulk" method="post"' in html and 'name="codes"' in html


def test_it_does_not_list_the_assets_of_other_workspaces(owner_client, make_asset, outsider):
    make_asset("photos/kitty.jpg")
    make_asset("edge/hopper.jpg", user=outsider)
    assert listed(owner_client.get(reverse("assets-library"))) == ["kitty.jpg"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "original"}, ["hopper.png", "kitty.jpg"]),
        (
            {"kind": "derived"},
            ["hopper.format-webp_targetkb-20.webp", "kitty.width-128_format-webp.webp"],
        ),
        ({"module": "social"}, ["kitty.width-128_format-webp.webp"]),
        ({"module": "upload", "format": "PNG"}, ["hopper.png"]),
        ({"format": "JPEG"}, ["kitty.jpg"]),
        ({"q": "KITTY"}, ["kitty.width-128_format-webp.webp", "kitty.jpg"]),
        ({"q": "targetkb", "kind": "derived"}, ["hopper.format-webp_targetkb-20.webp"]),
        ({"q": "no such name"}, []),
    ],
)
def test_it_filters_by_kind_module_and_format_and_searches_file_names(
    owner_client, library, query, expected
):
    assert listed(owner_client.get(reverse("assets-library"), query)) == expected


def test_an_empty_result_says_whether_filters_or_an_empty_library_are_the_cause(owner_client):
    url = reverse("assets-library")
    assert "Your library is empty." in owner_client.get(url).content.decode()
    assert "No assets match these filters." in owner_client.get(url, {"q": "x"}).content.decode()


def test_an_invalid_filter_is_ignored_and_explained_while_the_others_apply(owner_client, library):
    response = owner_client.get(reverse("assets-library"), {"format": "PSD", "kind": "original"})
    assert response.status_code == 200
    assert listed(response) == ["hopper.png", "kitty.jpg"]
    assert "Format: Select a valid choice. PSD is not one of the available choices." in (
        response.content.decode()
    )


@override_settings(STUDIO_PAGE_SIZE=2)
def test_it_paginates_by_the_page_size_and_page_links_keep_the_filters(owner_client, library):
    first = owner_client.get(reverse("assets-library"), {"q": "h"})
    assert listed(first) == [
        "hopper.format-webp_targetkb-20.webp",
        "kitty.width-128_format-webp.webp",
    ]
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert f'href="{reverse("assets-library")}?q=h&amp;page=2"' in html
    assert f'hx-get="{reverse("assets-library")}?q=h&amp;page=2"' in html
    second = owner_client.get(reverse("assets-library"), {"q": "h", "page": 2})
    assert listed(second) == ["hopper.png"]


@override_settings(STUDIO_PAGE_SIZE=2)
def test_a_page_past_the_end_shows_the_last_page(owner_client, library):
    response = owner_client.get(reverse("assets-library"), {"page": 99})
    assert response.context["page_obj"].number == 2


def test_htmx_requests_get_only_the_results_partial(owner_client, library):
    response = owner_client.get(reverse("assets-library"), {"kind": "original"}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<html" not in html and 'name="q"' not in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page_although_htmx_asks(owner_client, library):
    response = owner_client.get(
        reverse("assets-library"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_the_filter_form_and_the_page_links_swap_the_results_and_push_the_url(owner_client):
    html = owner_client.get(reverse("assets-library")).content.decode()
    assert f'hx-get="{reverse("assets-library")}"' in html
    assert 'hx-target="#results"' in html and 'hx-push-url="true"' in html


def test_tiles_show_the_thumbnail_once_it_exists_and_poll_until_then(
    owner_client, make_asset, add_thumbnail
):
    ready = add_thumbnail(make_asset("photos/kitty.jpg"))
    pending = make_asset("edge/hopper.png")
    html = owner_client.get(reverse("assets-library")).content.decode()
    # Served by storage (a presigned S3 URL of the object), not by a Django request per tile.
    src = html.split('<img src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert src.startswith(os.environ["STUDIO_S3_ENDPOINT_URL"]) and ready.thumbnail.name in src
    assert "X-Amz-Signature=" in src
    with urllib.request.urlopen(src, timeout=10) as response:  # the browser's fetch
        assert response.headers["Content-Type"] == "image/webp"
    assert f'hx-get="{reverse("assets-thumbnail", args=[pending.code])}" hx-trigger="every 2s"' in (
        html
    )


def test_the_query_count_does_not_grow_with_the_number_of_assets(
    owner_client, make_asset, add_thumbnail, django_assert_num_queries
):
    add_thumbnail(make_asset("photos/kitty.jpg"))
    owner_client.get(
        reverse("assets-library")
    )  # the first visit opens the workspace's credit period
    with CaptureQueriesContext(connection) as one_asset:
        owner_client.get(reverse("assets-library"))
    for name in ("edge/hopper.jpg", "edge/hopper.png", "edge/hopper.gif", "edge/hopper.webp"):
        add_thumbnail(make_asset(name))
    make_asset("edge/hopper.bmp")
    with django_assert_num_queries(len(one_asset)):
        response = owner_client.get(reverse("assets-library"))
    assert len(listed(response)) == 6


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("assets-library"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_library_refuses_post(owner_client):
    assert owner_client.post(reverse("assets-library")).status_code == 405
