"""AI studio pages: Create, Edit, Upscale, Control, the model picker and list, and who may see what.

No provider is ever called: starting a job only quotes, holds credits and creates the row (the
task is enqueued on commit, which never happens in these transaction-wrapped tests).
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import personal_workspace
from studio.models import Job
from studio.specs import parse

pytestmark = pytest.mark.django_db

PAGES = ["studio-create", "studio-edit", "studio-upscale", "studio-control", "studio-models"]
STABILITY = {
    "api_key": "sk-test-only",
    "base_url": "http://127.0.0.1:9",
    "env": ["STABILITY_API_KEY", "STABILITY_API_BASE"],
}


@pytest.fixture(autouse=True)
def _seeded(db):
    """Make sure the plans and the model registry are there (a flush empties them)."""
    from providers.models import AIModel

    AIModel.objects.ensure_seeded()


@pytest.fixture
def stability(settings):
    """Configure Stability with a fake key and a loopback URL nothing listens on."""
    settings.PROVIDERS = {**settings.PROVIDERS, "stability": STABILITY}
    return settings


@pytest.fixture
def no_keys(settings):
    """The embedded default: no provider key at all."""
    settings.PROVIDERS = {
        name: {**entry, "api_key": ""} for name, entry in settings.PROVIDERS.items()
    }
    return settings


@pytest.fixture
def pro(owner):
    """Put the owner's workspace on the Pro plan (every operation and model) with credits."""
    from billing.ledger import account_for, grant
    from billing.models import Plan

    workspace = personal_workspace(owner)
    account = account_for(workspace)
    account.plan = Plan.objects.get(slug="pro")
    account.save()
    grant(workspace=workspace, credits=1000, source="pack", key=f"test:{uuid.uuid4()}")
    return workspace


def png(width: int, height: int, *, box: tuple[int, int, int, int] | None = None) -> bytes:
    """Return a black PNG with an optional white box (a painted mask)."""
    image = Image.new("L", (width, height), 0)
    if box:
        image.paste(255, box)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mask_for(asset, *, painted: bool = True, name: str = "mask.png") -> SimpleUploadedFile:
    box = (10, 10, asset.width // 3, asset.height // 3) if painted else None
    return SimpleUploadedFile(name, png(asset.width, asset.height, box=box), "image/png")


def only_job(owner) -> Job:
    return Job.objects.get(workspace=personal_workspace(owner))


def model_choice(html: str, key: str) -> str:
    """Return the picker's markup of one model, from its radio to the end of its label."""
    start = html.index(f'value="{key}"')
    return html[start : html.index("</label>", start)]


def errors(response) -> str:
    return response.content.decode()


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_ai_page_renders_for_the_owner(owner_client, make_asset, name):
    make_asset("photos/kitty.jpg")
    response = owner_client.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["studio-models", "studio-model-picker", "studio-upscale-targets"])
def test_read_only_endpoints_refuse_post(owner_client, name):
    assert owner_client.post(reverse(name)).status_code == 405


def test_the_enhance_endpoint_refuses_get(owner_client):
    assert owner_client.get(reverse("studio-create-enhance")).status_code == 405


def test_the_nav_links_every_ai_studio_and_the_model_list(owner_client):
    html = owner_client.get(reverse("studio-models")).content.decode()
    for name in PAGES:
        assert f'href="{reverse(name)}"' in html


@pytest.mark.parametrize("name", ["studio-edit", "studio-upscale", "studio-control"])
def test_a_link_with_another_workspaces_image_is_a_404(outsider_client, make_asset, owner, name):
    theirs = make_asset("photos/kitty.jpg", user=owner)
    response = outsider_client.get(reverse(name), {"assets": theirs.code})
    assert response.status_code == 404


def test_a_link_with_the_users_image_preselects_it(owner_client, make_asset):
    mine = make_asset("photos/kitty.jpg")
    html = owner_client.get(reverse("studio-edit"), {"assets": mine.code}).content.decode()
    assert f'value="{mine.code}" checked' in html


# --- the embedded default: local models only ------------------------------------------------


def test_without_keys_create_explains_that_no_text_to_image_model_is_configured(
    owner_client, no_keys
):
    html = owner_client.get(reverse("studio-create")).content.decode()
    assert "No text-to-image model is configured on this server" in html
    assert "STABILITY_API_KEY" in html
    assert 'value="generate-stability-core"' in html
    assert "Stability AI is not configured." in html  # disabled, with the reason


def test_without_keys_control_says_no_model_is_configured(owner_client, no_keys, make_asset):
    make_asset("photos/kitty.jpg")
    html = owner_client.get(reverse("studio-control")).content.decode()
    assert "model is configured on this server" in html


def test_without_keys_create_refuses_to_start_with_the_reason(owner_client, no_keys):
    response = owner_client.post(
        reverse("studio-create"), {"prompt": "a red fox", "variations": 1, "aspect": "1:1"}
    )
    assert response.status_code == 200
    assert "No text-to-image model is configured" in errors(response)
    assert not Job.objects.exists()


def test_unconfigured_models_are_disabled_and_configured_ones_enabled(
    owner_client, no_keys, settings
):
    html = owner_client.get(reverse("studio-create")).content.decode()
    assert "disabled" in model_choice(html, "generate-stability-core")
    settings.PROVIDERS = {**settings.PROVIDERS, "stability": STABILITY}
    html = owner_client.get(reverse("studio-create")).content.decode()
    assert "disabled" not in model_choice(html, "generate-stability-core")
    assert "Not in the Free plan." in model_choice(html, "generate-stability-ultra")


# --- Create -----------------------------------------------------------------------------------


def test_create_makes_one_spec_per_variation_with_consecutive_seeds(
    owner_client, owner, stability, pro
):
    response = owner_client.post(
        reverse("studio-create"),
        {
            "prompt": "a lighthouse at dawn",
            "negative_prompt": "text",
            "model": "generate-stability-core",
            "mode": "balanced",
            "aspect": "16:9",
            "style": "cinematic",
            "seed": 7,
            "variations": 3,
        },
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.operation == "generate"
    assert job.specs == [
        "generate-stability-core|aspect-16:9|style-cinematic|seed-7",
        "generate-stability-core|aspect-16:9|style-cinematic|seed-8",
        "generate-stability-core|aspect-16:9|style-cinematic|seed-9",
    ]
    assert job.params["prompt"] == "a lighthouse at dawn"
    assert job.params["negative_prompt"] == "text"
    assert list(job.inputs.all()) == []


def test_create_sends_no_style_to_a_model_without_style(owner_client, owner, settings, pro):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "wavespeed": {**settings.PROVIDERS["wavespeed"], "api_key": "ws-test-only"},
    }
    response = owner_client.post(
        reverse("studio-create"),
        {
            "prompt": "a poster that says SALE",
            "model": "generate-wavespeed-ideogram-v3-turbo",
            "aspect": "4:5",
            "style": "anime",
            "variations": 2,
        },
    )
    assert response.status_code == 302, errors(response)
    specs = only_job(owner).specs
    assert specs == ["generate-wavespeed-ideogram-v3-turbo|aspect-4:5"] * 2
    assert all(parse(spec).step("style") is None for spec in specs)


def test_create_auto_resolves_a_model_for_the_mode(owner_client, owner, stability, pro):
    response = owner_client.post(
        reverse("studio-create"),
        {"prompt": "a cat", "model": "auto", "mode": "budget", "aspect": "1:1", "variations": 1},
    )
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == ["generate-stability-sd3.5-flash|aspect-1:1"]


def test_create_wraps_the_prompt_in_the_chosen_template(owner_client, owner, stability, pro):
    from studio.create_templates import TEMPLATES

    template = next(iter(TEMPLATES.values()))
    response = owner_client.post(
        reverse("studio-create"),
        {
            "prompt": "a bowl of ramen",
            "template": template.id,
            "apply_template": "on",
            "model": "generate-stability-core",
            "aspect": template.aspect_ratio,
            "variations": 1,
        },
    )
    assert response.status_code == 302, errors(response)
    params = only_job(owner).params
    assert params["prompt"] == template.prompt_for("a bowl of ramen")
    assert params["negative_prompt"] == template.negative_prompt


def test_create_requires_a_prompt_and_at_most_ten_variations(owner_client, stability, pro):
    response = owner_client.post(
        reverse("studio-create"), {"prompt": "", "variations": 11, "aspect": "1:1"}
    )
    assert response.status_code == 200
    assert "This field is required." in errors(response)
    assert "less than or equal to 10" in errors(response)
    assert not Job.objects.exists()


def test_create_lists_the_26_templates_grouped_by_platform(owner_client):
    html = owner_client.get(reverse("studio-create")).content.decode()
    assert html.count("data-aspect=") == 26
    assert '<optgroup label="Instagram">' in html


def test_a_repeated_submit_of_the_same_form_makes_one_job(owner_client, owner, stability, pro):
    data = {
        "prompt": "a cat",
        "model": "generate-stability-core",
        "aspect": "1:1",
        "variations": 1,
        "idempotency_key": uuid.uuid4().hex,
    }
    owner_client.post(reverse("studio-create"), data)
    owner_client.post(reverse("studio-create"), data)
    assert Job.objects.count() == 1


def test_billing_refusals_show_on_the_form(owner_client, owner, stability):
    from billing.models import Plan

    Plan.objects.filter(slug="free").update(monthly_credits=0)
    response = owner_client.post(
        reverse("studio-create"),
        {"prompt": "a cat", "model": "generate-stability-core", "aspect": "1:1", "variations": 2},
    )
    assert response.status_code == 200
    assert "This needs" in errors(response)
    assert "Plans and credit packs" in errors(response)
    assert not Job.objects.exists()


# --- prompt enhancement -----------------------------------------------------------------------


def test_enhance_returns_the_template_suggestion_and_its_label_without_gemini(
    owner_client, no_keys
):
    from studio.prompting import LABEL_TEMPLATE

    response = owner_client.post(
        reverse("studio-create-enhance"),
        {"prompt": "a red fox in snow", "style": "photographic"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="prompt-fields"' in html
    assert LABEL_TEMPLATE in html
    assert "a red fox in snow," in html  # the user's words first, then the added phrases
    assert "<html" not in html


def test_enhance_turns_off_the_template_wrapping_it_already_applied(owner_client, no_keys):
    from studio.create_templates import TEMPLATES

    template = next(iter(TEMPLATES.values()))
    html = owner_client.post(
        reverse("studio-create-enhance"),
        {"prompt": "a bowl of ramen", "template": template.id, "apply_template": "on"},
        headers={"HX-Request": "true"},
    ).content.decode()
    box = html[html.index('name="apply_template"') - 80 : html.index('name="apply_template"') + 80]
    assert "checked" not in box


def test_enhance_of_an_empty_prompt_says_what_to_do(owner_client, no_keys):
    html = owner_client.post(
        reverse("studio-create-enhance"), {"prompt": "  "}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Write what you want to see first." in html


def test_enhance_without_javascript_shows_the_whole_page(owner_client, no_keys):
    response = owner_client.post(reverse("studio-create-enhance"), {"prompt": "a red fox"})
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert not Job.objects.exists()


# --- Edit -------------------------------------------------------------------------------------


def test_edit_erase_stores_the_painted_mask_and_puts_its_key_on_the_job(
    owner_client, owner, make_asset, no_keys
):
    source = make_asset("photos/kitty.jpg")
    upload = mask_for(source)
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": "erase", "model": "edit-local-erase", "mask": upload},
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.operation == "edit"
    assert job.specs == ["edit-local-erase"]
    assert list(job.inputs.all()) == [source]
    key = job.params["mask"]
    assert key.startswith(f"masks/{personal_workspace(owner).code}/")
    with default_storage.open(key, "rb") as fp:
        stored = Image.open(io.BytesIO(fp.read()))
        assert stored.format == "PNG"
        assert stored.size == (source.width, source.height)
        assert stored.getextrema() == (0, 255)
    default_storage.delete(key)


def test_edit_resizes_a_mask_of_the_same_aspect_ratio(owner_client, owner, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    half = (source.width // 2, source.height // 2)
    upload = SimpleUploadedFile("m.png", png(*half, box=(5, 5, 60, 60)), "image/png")
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": "erase", "model": "auto", "mask": upload},
    )
    assert response.status_code == 302, errors(response)
    key = only_job(owner).params["mask"]
    with default_storage.open(key, "rb") as fp:
        assert Image.open(fp).size == (source.width, source.height)
    default_storage.delete(key)


def test_edit_refuses_an_all_black_mask(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": "erase", "mask": mask_for(source, painted=False)},
    )
    assert response.status_code == 200
    assert "Paint over the area to change first" in errors(response)
    assert not Job.objects.exists()


def test_edit_refuses_a_mask_that_is_not_an_image(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    fake = SimpleUploadedFile("mask.png", b"this is not a png at all", "image/png")
    response = owner_client.post(
        reverse("studio-edit"), {"assets": source.code, "kind": "erase", "mask": fake}
    )
    assert response.status_code == 200
    assert "The mask is not an image we can read" in errors(response)
    assert not Job.objects.exists()


def test_edit_refuses_a_mask_of_another_shape(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    upload = SimpleUploadedFile("m.png", png(100, 300, box=(0, 0, 50, 50)), "image/png")
    response = owner_client.post(
        reverse("studio-edit"), {"assets": source.code, "kind": "erase", "mask": upload}
    )
    assert "paint it again on this image" in errors(response)
    assert not Job.objects.exists()


@pytest.mark.parametrize("kind", ["erase", "inpaint"])
def test_erase_and_inpaint_without_a_mask_are_refused(
    owner_client, make_asset, stability, pro, kind
):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": kind, "prompt": "a vase of flowers"},
    )
    assert response.status_code == 200
    assert "Paint over the area to change first" in errors(response)
    assert not Job.objects.exists()


def test_inpaint_takes_the_prompt_and_grow(owner_client, owner, make_asset, stability, pro):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {
            "assets": source.code,
            "kind": "inpaint",
            "model": "edit-stability-inpaint",
            "prompt": "a vase of flowers",
            "grow": 5,
            "seed": 3,
            "mask": mask_for(source),
        },
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.specs == ["edit-stability-inpaint|seed-3|grow-5"]
    assert job.params["prompt"] == "a vase of flowers"
    default_storage.delete(job.params["mask"])


def test_outpaint_needs_a_side_and_sends_the_amounts(
    owner_client, owner, make_asset, stability, pro
):
    source = make_asset("photos/kitty.jpg")
    data = {"assets": source.code, "kind": "outpaint", "model": "edit-stability-outpaint"}
    response = owner_client.post(reverse("studio-edit"), data)
    assert "at least one side" in errors(response)
    response = owner_client.post(
        reverse("studio-edit"), {**data, "left": 200, "down": 100, "creativity": 40}
    )
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == ["edit-stability-outpaint|creativity-40|left-200|down-100"]


def test_search_and_replace_needs_what_to_search_for(owner_client, make_asset, stability, pro):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": "search-and-replace", "prompt": "a dog"},
    )
    assert "needs to know what to search for" in errors(response)
    assert not Job.objects.exists()


def test_relight_keeps_the_reference_images_codes(owner_client, owner, make_asset, stability, pro):
    source, light = make_asset("photos/kitty.jpg"), make_asset("photos/guitarist.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {
            "assets": source.code,
            "kind": "replace-background-and-relight",
            "prompt": "a sunlit beach",
            "light_reference": light.code,
        },
    )
    assert response.status_code == 302, errors(response)
    assert only_job(owner).params["references"] == {"light_reference": str(light.code)}


def test_edit_takes_exactly_one_image(owner_client, make_asset, no_keys):
    a, b = make_asset("photos/kitty.jpg"), make_asset("photos/guitarist.jpg")
    response = owner_client.post(
        reverse("studio-edit"), {"assets": [a.code, b.code], "kind": "erase"}
    )
    assert "Pick one image." in errors(response)


def test_edit_refuses_another_workspaces_image(owner_client, make_asset, outsider, no_keys):
    theirs = make_asset("photos/kitty.jpg", user=outsider)
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": theirs.code, "kind": "erase", "mask": mask_for(theirs)},
    )
    assert response.status_code == 200
    assert "That image is not in your library." in errors(response)
    assert not Job.objects.exists()


# --- Upscale ----------------------------------------------------------------------------------


def test_upscale_with_local_lanczos_works_without_keys(owner_client, owner, make_asset, no_keys):
    a, b = make_asset("photos/kitty.jpg"), make_asset("photos/guitarist.jpg")
    response = owner_client.post(
        reverse("studio-upscale"),
        {"assets": [a.code, b.code], "model": "upscale-local-lanczos", "factor": 2},
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.operation == "upscale"
    assert job.specs == ["upscale-local-lanczos|factor-2"]
    assert set(job.inputs.all()) == {a, b}


def test_upscale_shows_the_target_size_of_each_image(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.get(
        reverse("studio-upscale-targets"),
        {"assets": source.code, "model": "upscale-local-lanczos", "factor": 3},
    )
    html = response.content.decode()
    assert f"{source.width * 3}×{source.height * 3}" in html


def test_conservative_upscale_shows_about_four_megapixels(owner_client, make_asset, stability):
    from providers.models import AIModel
    from studio.ai_forms import upscale_target

    source = make_asset("photos/kitty.jpg")
    model = AIModel.objects.get(price__key="upscale-stability-conservative")
    target = upscale_target(model, source, 2)
    assert target.approximate
    assert abs(target.width * target.height - 4_000_000) < 10_000
    assert abs(target.width / target.height - source.width / source.height) < 0.01


def test_upscale_refuses_a_result_larger_than_the_model_makes(owner_client, make_asset, no_keys):
    from providers.models import AIModel

    source = make_asset("photos/kitty.jpg")
    AIModel.objects.filter(price__key="upscale-local-lanczos").update(
        max_output_pixels=source.width * source.height * 5
    )
    response = owner_client.post(
        reverse("studio-upscale"),
        {"assets": source.code, "model": "upscale-local-lanczos", "factor": 3},
    )
    assert response.status_code == 200
    assert "Pick a smaller factor or another upscaler." in errors(response)
    assert not Job.objects.exists()


def test_upscale_refuses_another_workspaces_image(owner_client, make_asset, outsider, no_keys):
    theirs = make_asset("photos/kitty.jpg", user=outsider)
    response = owner_client.post(
        reverse("studio-upscale"),
        {"assets": theirs.code, "model": "upscale-local-lanczos", "factor": 2},
    )
    assert "That image is not in your library." in errors(response)
    assert not Job.objects.exists()


@pytest.fixture
def wavespeed(settings):
    """Configure WaveSpeed with a fake key and a loopback URL nothing listens on."""
    entry = {**settings.PROVIDERS["wavespeed"], "api_key": "ws-test-only"}
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "wavespeed": {**entry, "base_url": STABILITY["base_url"]},
    }
    return settings


@pytest.mark.parametrize(
    "key", ["upscale-wavespeed-image-upscaler", "upscale-wavespeed-ultimate-upscaler"]
)
def test_wavespeed_upscalers_get_a_target_resolution_not_a_factor(
    owner_client, owner, make_asset, wavespeed, pro, key
):
    source = make_asset("photos/kitty.jpg")
    # The page posts its factor radio too (hidden for these upscalers): it is not sent.
    response = owner_client.post(
        reverse("studio-upscale"), {"assets": source.code, "model": key, "factor": 2}
    )
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == [f"{key}|resolution-4k"]  # the default
    parse(only_job(owner).specs[0])


def test_a_wavespeed_upscaler_takes_the_chosen_resolution_and_refuses_others(
    owner_client, owner, make_asset, wavespeed, pro
):
    source = make_asset("photos/kitty.jpg")
    data = {"assets": source.code, "model": "upscale-wavespeed-image-upscaler"}
    response = owner_client.post(reverse("studio-upscale"), {**data, "resolution": "16k"})
    assert response.status_code == 200
    assert not Job.objects.exists()
    response = owner_client.post(reverse("studio-upscale"), {**data, "resolution": "8k"})
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == ["upscale-wavespeed-image-upscaler|resolution-8k"]


@pytest.mark.parametrize(("resolution", "side"), [("2k", 2048), ("4k", 4096), ("8k", 8192)])
def test_the_upscale_sizes_follow_the_target_resolution(
    owner_client, make_asset, wavespeed, pro, resolution, side
):
    source = make_asset("photos/kitty.jpg")  # 640×427, landscape: the width is the long side
    response = owner_client.get(
        reverse("studio-upscale-targets"),
        {
            "assets": source.code,
            "model": "upscale-wavespeed-image-upscaler",
            "factor": 2,
            "resolution": resolution,
        },
    )
    height = round(source.height * side / source.width)
    assert f"{side}×{height}" in response.content.decode()


def test_the_upscale_size_of_a_wavespeed_upscaler_defaults_to_4k(make_asset, wavespeed):
    from providers.models import AIModel
    from studio.ai_forms import upscale_target

    source = make_asset("photos/guitarist.jpg")  # portrait: the height is the long side
    model = AIModel.objects.get(price__key="upscale-wavespeed-ultimate-upscaler")
    target = upscale_target(model, source, 2)
    assert (target.width, target.height) == (round(source.width * 4096 / source.height), 4096)


def test_creative_upscale_takes_the_documented_creativity_range(
    owner_client, owner, make_asset, stability, pro
):
    source = make_asset("photos/kitty.jpg")
    data = {
        "assets": source.code,
        "model": "upscale-stability-creative",
        "prompt": "a cat",
        "factor": 2,
    }
    response = owner_client.post(reverse("studio-upscale"), {**data, "creativity": 5})
    assert "takes a creativity of 10 to 50 %" in errors(response)
    assert not Job.objects.exists()
    response = owner_client.post(reverse("studio-upscale"), {**data, "creativity": 45})
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == ["upscale-stability-creative|creativity-45"]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("erase", {}),
        ("search-and-replace", {"prompt": "a dog", "search_prompt": "the cat"}),
        ("search-and-recolor", {"prompt": "red", "select_prompt": "the cat"}),
    ],
)
def test_grow_is_limited_to_20_px_where_stability_documents_it(
    owner_client, make_asset, stability, pro, kind, extra
):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {
            "assets": source.code,
            "kind": kind,
            "model": f"edit-stability-{kind}",
            "grow": 50,
            "mask": mask_for(source),
            **extra,
        },
    )
    assert response.status_code == 200
    assert "takes a mask growth of 0 to 20 px" in errors(response)
    assert not Job.objects.exists()


def test_inpaint_takes_a_grow_up_to_100_px(owner_client, owner, make_asset, stability, pro):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-edit"),
        {
            "assets": source.code,
            "kind": "inpaint",
            "model": "edit-stability-inpaint",
            "prompt": "a vase",
            "grow": 80,
            "mask": mask_for(source),
        },
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.specs == ["edit-stability-inpaint|grow-80"]
    default_storage.delete(job.params["mask"])


def test_a_wavespeed_seed_is_limited_to_its_documented_range(owner_client, wavespeed, pro):
    response = owner_client.post(
        reverse("studio-create"),
        {
            "prompt": "a lighthouse",
            "model": "generate-wavespeed-qwen-image",
            "aspect": "1:1",
            "variations": 1,
            "seed": 3_000_000_000,
        },
    )
    assert response.status_code == 200
    assert "takes a seed of 0 to 2147483647" in errors(response)
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("kind", "extra"), [("inpaint", {"prompt": "a vase of flowers"}), ("erase", {})]
)
def test_stability_inpaint_and_erase_take_the_alpha_channel_as_the_mask(
    owner_client, owner, make_asset, stability, pro, kind, extra
):
    source = make_asset("edge/pil123rgba.png")
    assert source.has_alpha
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": kind, "model": f"edit-stability-{kind}", **extra},
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.specs == [f"edit-stability-{kind}"]
    assert "mask" not in job.params  # Stability derives the mask from the alpha channel


def test_inpaint_without_a_mask_or_transparency_says_what_to_do(
    owner_client, make_asset, stability, pro
):
    source = make_asset("photos/kitty.jpg")
    assert not source.has_alpha
    response = owner_client.post(
        reverse("studio-edit"),
        {
            "assets": source.code,
            "kind": "inpaint",
            "model": "edit-stability-inpaint",
            "prompt": "a vase of flowers",
        },
    )
    assert response.status_code == 200
    assert "or on the transparent area of an image with transparency" in errors(response)
    assert not Job.objects.exists()


def test_the_local_eraser_still_needs_a_painted_mask_on_an_image_with_alpha(
    owner_client, make_asset, no_keys
):
    source = make_asset("edge/pil123rgba.png")
    response = owner_client.post(
        reverse("studio-edit"),
        {"assets": source.code, "kind": "erase", "model": "edit-local-erase"},
    )
    assert response.status_code == 200
    assert "Paint over the area to change first: erase works on a mask." in errors(response)
    assert not Job.objects.exists()


# --- Control ----------------------------------------------------------------------------------


def test_control_style_transfer_stores_the_style_images_code(
    owner_client, owner, make_asset, stability, pro
):
    source, style = make_asset("photos/kitty.jpg"), make_asset("photos/guitarist.jpg")
    response = owner_client.post(
        reverse("studio-control"),
        {
            "assets": source.code,
            "kind": "style-transfer",
            "style_image": style.code,
            "strength": 60,
            "fidelity": 40,
            "model": "auto",
        },
    )
    assert response.status_code == 302, errors(response)
    job = only_job(owner)
    assert job.operation == "control"
    assert job.specs == ["control-stability-style-transfer|strength-60|fidelity-40"]
    assert job.params["references"] == {"style": str(style.code)}


def test_control_sketch_sends_strength_but_no_fidelity(
    owner_client, owner, make_asset, stability, pro
):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-control"),
        {
            "assets": source.code,
            "kind": "sketch",
            "prompt": "a castle",
            "strength": 70,
            "fidelity": 50,
        },
    )
    assert response.status_code == 302, errors(response)
    assert only_job(owner).specs == ["control-stability-sketch|strength-70"]


def test_style_transfer_without_a_style_image_is_refused(owner_client, make_asset, stability, pro):
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-control"), {"assets": source.code, "kind": "style-transfer"}
    )
    assert "needs a style image" in errors(response)
    assert not Job.objects.exists()


def test_another_workspaces_style_image_is_refused(
    owner_client, make_asset, outsider, stability, pro
):
    source = make_asset("photos/kitty.jpg")
    theirs = make_asset("photos/guitarist.jpg", user=outsider)
    response = owner_client.post(
        reverse("studio-control"),
        {"assets": source.code, "kind": "style-transfer", "style_image": theirs.code},
    )
    assert response.status_code == 200
    assert "That style image is not in your library." in errors(response)
    assert not Job.objects.exists()


def test_another_workspaces_input_is_refused_in_control(
    owner_client, make_asset, outsider, stability, pro
):
    theirs = make_asset("photos/kitty.jpg", user=outsider)
    response = owner_client.post(
        reverse("studio-control"), {"assets": theirs.code, "kind": "sketch", "prompt": "x"}
    )
    assert "That image is not in your library." in errors(response)
    assert not Job.objects.exists()


# --- the model picker and the model list ------------------------------------------------------


def test_the_picker_lists_the_models_of_a_kind_with_price_and_speed(owner_client, no_keys):
    html = owner_client.get(
        reverse("studio-model-picker"), {"operation": "edit", "kind": "erase"}
    ).content.decode()
    assert 'value="edit-local-erase"' in html
    assert 'value="edit-stability-erase"' in html
    assert 'value="edit-stability-inpaint"' not in html
    assert "about 2 s" in html
    assert "0 credits" in html


def test_the_picker_disables_models_that_cannot_take_the_picked_image(
    owner_client, make_asset, stability, pro
):
    from providers.models import AIModel

    source = make_asset("photos/kitty.jpg")
    AIModel.objects.filter(price__key="upscale-stability-fast").update(
        max_pixels=source.width * source.height - 1
    )
    html = owner_client.get(
        reverse("studio-model-picker"), {"operation": "upscale", "assets": source.code}
    ).content.decode()
    assert "disabled" in model_choice(html, "upscale-stability-fast")
    assert "megapixels" in model_choice(html, "upscale-stability-fast")


def test_the_picker_is_a_404_for_another_workspaces_image(outsider_client, make_asset, owner):
    theirs = make_asset("photos/kitty.jpg", user=owner)
    response = outsider_client.get(
        reverse("studio-model-picker"), {"operation": "upscale", "assets": theirs.code}
    )
    assert response.status_code == 404


def test_the_model_list_shows_prices_speeds_and_what_to_configure(owner_client, no_keys):
    response = owner_client.get(reverse("studio-models"))
    html = response.content.decode()
    assert "Lanczos upscale with sharpening" in html
    assert "not configured — Set STABILITY_API_KEY" in html
    assert "not configured — Set WAVESPEED_API_KEY" in html
    assert 'data-credits="0"' in html
    assert "about 2 s" in html
    assert "Text to image" in html and "Upscale" in html


def test_the_model_list_query_count_does_not_grow_with_models(
    owner_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        owner_client.get(reverse("studio-models"))


# --- the live quote and the job page ----------------------------------------------------------


def test_the_live_quote_prices_an_upscale_without_texts(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    html = owner_client.get(
        reverse("studio-quote"),
        {
            "operation": "upscale",
            "assets": source.code,
            "model": "upscale-local-lanczos",
            "factor": 2,
        },
    ).content.decode()
    assert "This uses no credits" in html


def test_the_live_quote_prices_create_variations(owner_client, stability):
    html = owner_client.get(
        reverse("studio-quote"),
        {
            "operation": "generate",
            "model": "generate-stability-core",
            "aspect": "1:1",
            "variations": 3,
        },
    ).content.decode()
    assert 'data-credits="' in html
    assert "3 ×" in html


def test_the_live_quote_prices_erase_before_the_mask_is_painted(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    html = owner_client.get(
        reverse("studio-quote"), {"operation": "edit", "assets": source.code, "kind": "erase"}
    ).content.decode()
    assert "This uses no credits" in html


def test_the_job_page_shows_ai_results_with_next_steps_and_a_comparison(
    owner_client, owner, make_asset
):
    from assets.services import store_generated

    workspace = personal_workspace(owner)
    source = make_asset("photos/kitty.jpg")
    with source.file.open("rb") as fp:
        data = fp.read()
    job = Job.objects.create(
        workspace=workspace, user=owner, operation="upscale", spec="upscale-local-lanczos|factor-2"
    )
    job.inputs.set([source])
    output = store_generated(
        workspace=workspace,
        user=owner,
        data=data,
        source=source,
        spec="upscale-local-lanczos|factor-2",
        module="upscale",
        provider="local",
        model="upscale/lanczos",
        seed=None,
        cost_credits=0,
    )
    job.outputs.add(output)
    html = owner_client.get(reverse("studio-job", args=[job.code])).content.decode()
    assert f"{reverse('studio-edit')}?assets={output.code}" in html
    assert f"{reverse('studio-control')}?assets={output.code}" in html
    assert 'role="slider"' in html and 'aria-valuenow="50"' in html
    assert f"{reverse('assets-download', args=[source.code])}?inline=1" in html
    detail = owner_client.get(reverse("assets-detail", args=[output.code])).content.decode()
    assert "upscale/lanczos" in detail
    assert "0 credits" in detail


def test_the_upscale_sizes_reveal_nothing_of_another_workspaces_image(
    outsider_client, make_asset, no_keys
):
    source = make_asset("photos/kitty.jpg")
    response = outsider_client.get(
        reverse("studio-upscale-targets"),
        {"assets": source.code, "model": "upscale-local-lanczos", "factor": 2},
    )
    html = response.content.decode()
    assert response.status_code in (200, 404)
    assert source.filename not in html and f"{source.width}×{source.height}" not in html


@pytest.mark.parametrize("name", ["studio-model-picker", "studio-upscale-targets"])
def test_the_partials_send_anonymous_users_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
