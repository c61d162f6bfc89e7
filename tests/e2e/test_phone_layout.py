"""On a 390×844 phone every page fits the screen width and every navigation link can be reached."""

from __future__ import annotations

import io

import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Studio-2026"  # tests.conftest's verified users
PHONE = {"width": 390, "height": 844}  # iPhone 12-15 CSS pixels
PAGES = ["/library/", "/studio/social/", "/billing/"]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_pages_fit_a_phone_and_the_menu_reaches_every_link(
    phone, live_server, owner, make_asset
):
    from assets.services import make_thumbnail

    asset = make_asset("photos/kitty.jpg")
    asset.refresh_from_db()
    if not asset.thumbnail:
        make_thumbnail(asset)
    base = live_server.url
    phone.goto(f"{base}/accounts/login/")
    assert _scroll_width(phone) <= PHONE["width"]
    phone.fill("input[name=login]", owner.email)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form button[type=submit]")
    phone.wait_for_url(lambda url: "/accounts/login/" not in url)

    for path in PAGES:
        phone.goto(base + path)
        assert _scroll_width(phone) <= PHONE["width"], path
        menu = phone.locator("button.menu-toggle")
        links = phone.locator("header nav a")
        assert links.count() >= 10
        # Folded: the menu button is the way in, and it opens onto every link, inside the screen.
        assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
        assert not links.first.is_visible()
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        for link in links.all():
            assert link.is_visible(), link.inner_text()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
        assert phone.locator("header button:has-text('Log out')").is_visible()
        assert _scroll_width(phone) <= PHONE["width"], path

    # A link in the open menu leads to its page.
    phone.click("header nav a:has-text('Billing')")
    phone.wait_for_url(f"{base}/billing/")
    assert phone.locator("#billing-history").is_visible()

    # Every other page of the menu fits too (the AI studios' model list, the tables).
    for href in phone.eval_on_selector_all("header nav a", "links => links.map(a => a.href)"):
        phone.goto(href)
        assert _scroll_width(phone) <= PHONE["width"], href
    phone.goto(f"{base}/assets/{asset.code}/")
    assert _scroll_width(phone) <= PHONE["width"], "asset detail"


def test_the_crop_preview_dims_only_the_image(phone, live_server, owner, make_asset):
    from assets.services import make_thumbnail

    asset = make_asset("photos/kitty.jpg")
    asset.refresh_from_db()
    if not asset.thumbnail:
        make_thumbnail(asset)
    base = live_server.url
    phone.goto(f"{base}/accounts/login/")
    phone.fill("input[name=login]", owner.email)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form button[type=submit]")
    phone.wait_for_url(lambda url: "/accounts/login/" not in url)

    phone.goto(f"{base}/studio/social/")
    phone.check(f"input[name=assets][value='{asset.code}']")
    phone.check("input[name=formats][value=instagram-story]")
    phone.wait_for_selector("#preview .crop")
    phone.locator("#preview .preview img").evaluate("img => img.decode()")
    assert _scroll_width(phone) <= PHONE["width"]
    # The crop box's shadow darkens outside the crop; outside the picture the page stays white.
    phone.locator("#preview").scroll_into_view_if_needed()
    shot = Image.open(io.BytesIO(phone.screenshot())).convert("RGB")
    frame = phone.locator("#preview .preview").bounding_box()
    assert frame["x"] > 8, frame  # the page's margin, left of the picture, is the probe
    for y in (20, PHONE["height"] // 2, PHONE["height"] - 20):
        assert min(shot.getpixel((4, y))) >= 235, (y, shot.getpixel((4, y)))
