"""The model registry: seeded data, what is offered to whom, and "auto" selection."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from billing.models import OperationPrice, Plan
from providers.base import NotConfigured
from providers.models import AIModel
from providers.registry import auto_pick, choices, get_adapter, statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def stability_and_wavespeed(settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "sk",
            "base_url": "http://127.0.0.1:9",
            "env": ["STABILITY_API_KEY"],
        },
        "wavespeed": {
            "api_key": "ws",
            "base_url": "http://127.0.0.1:9",
            "env": ["WAVESPEED_API_KEY"],
        },
        "huggingface": {"api_key": "", "base_url": "http://127.0.0.1:9", "env": ["HF_TOKEN"]},
        "gemini": {"api_key": "", "base_url": "http://127.0.0.1:9", "env": ["GEMINI_API_KEY"]},
    }


def plan(slug: str) -> Plan:
    return Plan.objects.get(slug=slug)


def image(width: int, height: int, size: int = 1_000_000, format: str = "JPEG"):
    return SimpleNamespace(width=width, height=height, bytes=size, format=format)


def test_every_registry_entry_extends_a_price_whose_key_is_a_valid_spec():
    from studio.specs import parse

    entries = list(AIModel.objects.select_related("price"))
    assert len(entries) >= 40
    for entry in entries:
        spec = parse(entry.key)
        assert spec.model_step is not None and spec.model_step.key == entry.key
        assert entry.price.operation == entry.capability
        assert entry.key.startswith(f"{entry.capability}-{entry.provider}-")


def test_every_offered_model_has_an_adapter_that_knows_its_model_path(settings):
    """No placeholders: an offered model is one its provider's adapter can call."""
    from providers import gemini, huggingface, local, stability, wavespeed

    known = {
        "stability": set(stability.ENDPOINTS),
        "wavespeed": set(wavespeed.MODELS),
        "local": set(local.MODELS),
    }
    for entry in AIModel.objects.offered():
        if entry.provider in known:
            assert entry.model in known[entry.provider], entry.key
        else:
            assert entry.provider in ("huggingface", "gemini")
    assert (
        gemini.GeminiAdapter.name == "gemini"
        and huggingface.HuggingFaceAdapter.name == "huggingface"
    )


def test_a_provider_without_a_key_is_listed_with_the_variable_to_set(settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "",
            "base_url": "x",
            "env": ["STABILITY_API_KEY", "STABILITY_API_BASE"],
        },
    }
    status = {s.name: s for s in statuses()}
    assert status["local"].configured
    assert not status["stability"].configured
    assert status["stability"].hint == "Set STABILITY_API_KEY to enable it."
    with pytest.raises(NotConfigured, match="STABILITY_API_KEY"):
        get_adapter("stability")


def test_models_of_an_unconfigured_provider_cannot_be_chosen(settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {"api_key": "", "base_url": "x", "env": ["STABILITY_API_KEY"]},
    }
    by_key = {c.model.key: c for c in choices("generate", plan=plan("pro"))}
    assert not by_key["generate-stability-core"].available
    assert by_key["generate-stability-core"].reason == "Stability AI is not configured."


def test_the_plan_limits_the_models_offered(stability_and_wavespeed):
    free = {c.model.key: c for c in choices("generate", plan=plan("free"))}
    assert free["generate-stability-core"].available
    assert not free["generate-stability-ultra"].available
    assert free["generate-stability-ultra"].reason == "Not in the Free plan."


def test_a_model_that_cannot_take_the_input_is_not_offered(stability_and_wavespeed):
    big = image(4000, 3000)  # 12 MP: above fast upscale's 1 MP and 1 536 px sides
    by_key = {c.model.key: c for c in choices("upscale", plan=plan("pro"), inputs=[big])}
    assert not by_key["upscale-stability-fast"].available
    assert "1.0 megapixels" in by_key["upscale-stability-fast"].reason
    assert by_key["upscale-local-lanczos"].available
    narrow = image(300, 1000)  # 1:3.3, beyond Stability's 1:2.5
    edit = {
        c.model.key: c for c in choices("edit", plan=plan("pro"), kind="inpaint", inputs=[narrow])
    }
    assert "image this tall" in edit["edit-stability-inpaint"].reason


def test_auto_picks_by_mode_within_plan_and_input(stability_and_wavespeed):
    pro = plan("pro")
    budget = auto_pick("generate", plan=pro, mode="budget")
    quality = auto_pick("generate", plan=pro, mode="quality")
    balanced = auto_pick("generate", plan=pro, mode="balanced")
    offered = [
        m
        for m in AIModel.objects.for_capability("generate")
        if m.provider in ("stability", "wavespeed")
    ]
    assert budget.credits == min(m.credits for m in offered)
    assert quality.tier == "quality" and balanced.tier == "balanced"
    assert balanced.credits == min(m.credits for m in offered if m.tier == "balanced")
    # On Free only Stability Core is allowed, whatever the mode.
    assert auto_pick("generate", plan=plan("free"), mode="quality").key == "generate-stability-core"
    with pytest.raises(ValueError, match="Unknown mode"):
        auto_pick("generate", plan=pro, mode="fastest")


def test_auto_finds_nothing_when_no_model_fits(settings):
    settings.PROVIDERS = {
        name: {**entry, "api_key": ""} for name, entry in settings.PROVIDERS.items()
    }
    assert auto_pick("generate", plan=plan("pro")) is None
    assert auto_pick("upscale", plan=plan("free")).key == "upscale-local-lanczos"


def test_a_withdrawn_price_withdraws_the_model():
    OperationPrice.objects.filter(key="upscale-local-lanczos").update(active=False)
    assert not AIModel.objects.offered().filter(price__key="upscale-local-lanczos").exists()


def test_the_registry_is_seeded_again_after_a_flush():
    AIModel.objects.all().delete()
    assert AIModel.objects.offered().filter(price__key="edit-local-erase").exists()


def test_the_wavespeed_upscalers_take_a_target_resolution_also_after_a_flush():
    """Migration 0003's changes are applied again when a flushed registry is re-seeded."""
    keys = ["upscale-wavespeed-image-upscaler", "upscale-wavespeed-ultimate-upscaler"]
    for reseeded in (False, True):
        if reseeded:
            AIModel.objects.all().delete()
            AIModel.objects.ensure_seeded()
        for entry in AIModel.objects.filter(price__key__in=keys):
            assert "resolution" in entry.params and "factor" not in entry.params, entry.key
        assert AIModel.objects.filter(price__key__in=keys).count() == 2
        for key in ("edit-stability-inpaint", "edit-stability-erase"):
            requires = AIModel.objects.get(price__key=key).requires
            assert "mask_or_alpha" in requires and "mask" not in requires
        assert "mask" in AIModel.objects.get(price__key="edit-local-erase").requires
