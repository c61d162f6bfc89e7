"""The Create Studio's platform templates: counts, sizes, ratios, models and social formats."""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from collections import Counter

import pytest

from studio.ai_steps import ASPECT_RATIOS, STYLE_PRESETS
from studio.create_templates import (
    CATEGORIES,
    PLATFORMS,
    QUALITIES,
    TEMPLATES,
    PlatformTemplate,
    by_platform,
)
from studio.social import SOCIAL_FORMATS

REGISTRY = {
    key: (capability, tier, offered, extra)
    for key, capability, _kind, tier, _seconds, offered, extra in importlib.import_module(
        "providers.migrations.0002_seed_registry"
    ).REGISTRY
}
#: shared/PROVIDERS.md, "Create Studio data from the seeds".
COUNTS = {
    "instagram": 4,
    "facebook": 4,
    "twitter": 3,
    "linkedin": 4,
    "youtube": 2,
    "pinterest": 2,
    "tiktok": 1,
    "blog": 2,
    "email": 2,
    "website": 2,
}
#: Sizes from PROVIDERS.md's formats table, and the common sizes chosen for the rest.
SIZES = [
    ("instagram-feed-square", (1080, 1080), "1:1"),
    ("instagram-feed-portrait", (1080, 1350), "4:5"),
    ("instagram-story", (1080, 1920), "9:16"),
    ("facebook-feed", (1200, 630), "16:9"),
    ("facebook-cover", (820, 312), "21:9"),
    ("twitter-post", (1200, 675), "16:9"),
    ("twitter-card", (1200, 600), "16:9"),
    ("twitter-header", (1500, 500), "21:9"),
    ("linkedin-company-cover", (1128, 191), "21:9"),
    ("youtube-thumbnail", (1280, 720), "16:9"),
    ("youtube-channel-art", (2560, 1440), "16:9"),
    ("pinterest-pin", (1000, 1500), "2:3"),
    ("tiktok-video-cover", (1080, 1920), "9:16"),
    ("blog-featured", (1200, 630), "16:9"),
    ("email-header", (600, 200), "21:9"),
    ("email-hero", (600, 400), "3:2"),
    ("website-hero", (1920, 1080), "16:9"),
]
#: Registry tier of the recommended model for each quality.
TIER = {"draft": "budget", "standard": "balanced", "premium": "quality"}
#: Template platform -> SOCIAL_FORMATS platform.
SOCIAL_PLATFORM = {"twitter": "x"}


def nearest_ratio(width: int, height: int) -> tuple[str, float]:
    """Return the Stability ratio nearest width:height on a log scale, and the runner-up's margin."""

    def distance(ratio: str) -> float:
        w, h = (int(n) for n in ratio.split(":"))
        return abs(math.log(width / height) - math.log(w / h))

    first, second = sorted(ASPECT_RATIOS, key=distance)[:2]
    return first, distance(second) - distance(first)


def test_there_are_26_templates_with_the_seeded_count_per_platform() -> None:
    assert len(TEMPLATES) == 26
    assert Counter(t.platform for t in TEMPLATES.values()) == COUNTS


def test_each_template_is_keyed_by_its_slug_id() -> None:
    for key, template in TEMPLATES.items():
        assert key == template.id
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", key)
        assert template.id.startswith(f"{template.platform}-")


def test_by_platform_groups_every_template_in_platform_order() -> None:
    groups = by_platform()

    assert list(groups) == list(PLATFORMS) == list(COUNTS)
    assert [t for group in groups.values() for t in group] == list(TEMPLATES.values())
    assert all(t.platform == platform for platform, group in groups.items() for t in group)


def test_fields_take_only_their_documented_values() -> None:
    for template in TEMPLATES.values():
        assert template.category in CATEGORIES, template.id
        assert template.quality in QUALITIES, template.id
        assert template.style_preset in ("", *STYLE_PRESETS), template.id
        assert template.aspect_ratio in ASPECT_RATIOS, template.id
        assert template.name and template.description and template.use_cases, template.id
        assert template.platform_label == PLATFORMS[template.platform]


def test_every_category_and_quality_is_used() -> None:
    assert {t.category for t in TEMPLATES.values()} == set(CATEGORIES)
    assert {t.quality for t in TEMPLATES.values()} == set(QUALITIES)


@pytest.mark.parametrize(("template_id", "size", "ratio"), SIZES)
def test_it_uses_the_platform_size_and_its_nearest_ratio(
    template_id: str, size: tuple[int, int], ratio: str
) -> None:
    template = TEMPLATES[template_id]

    assert template.size == size
    assert template.aspect_ratio == ratio


@pytest.mark.parametrize("template", TEMPLATES.values(), ids=lambda t: t.id)
def test_the_aspect_ratio_is_the_stability_ratio_nearest_the_pixel_size(
    template: PlatformTemplate,
) -> None:
    ratio, margin = nearest_ratio(template.width, template.height)

    assert template.aspect_ratio == ratio
    assert margin > 0.01, "too close to call: say which ratio was chosen and why"


def test_each_social_format_is_a_social_optimizer_format_of_the_same_size_and_platform() -> None:
    for template in TEMPLATES.values():
        if not template.social_format:
            continue
        social = SOCIAL_FORMATS[template.social_format]
        assert social.size == template.size, template.id
        assert social.platform == SOCIAL_PLATFORM.get(template.platform, template.platform)


def test_social_platforms_cover_every_social_format_once_and_the_others_none() -> None:
    named = [t.social_format for t in TEMPLATES.values() if t.social_format]
    without = {t.platform for t in TEMPLATES.values() if not t.social_format}

    assert sorted(named) == sorted(SOCIAL_FORMATS)
    assert without == {"blog", "email", "website"}


def test_every_model_key_is_an_offered_generate_model_of_the_registry() -> None:
    for template in TEMPLATES.values():
        capability, _tier, offered, _extra = REGISTRY[template.model_key]
        assert capability == "generate", template.id
        assert offered, template.id


def test_the_quality_matches_the_recommended_models_tier() -> None:
    for template in TEMPLATES.values():
        _capability, tier, _offered, _extra = REGISTRY[template.model_key]
        assert TIER[template.quality] == tier, template.id


def test_a_style_preset_is_recommended_only_with_a_model_that_takes_one() -> None:
    for template in TEMPLATES.values():
        params = REGISTRY[template.model_key][3]["params"]
        if template.style_preset:
            assert "style" in params, template.id


def test_prompt_templates_start_with_the_subject_and_hold_no_other_placeholder() -> None:
    for template in TEMPLATES.values():
        assert template.prompt_template.startswith("{subject}, "), template.id
        assert template.prompt_template.count("{") == template.prompt_template.count("}") == 1


def test_prompt_for_puts_the_subject_in_place_as_written() -> None:
    template = TEMPLATES["youtube-thumbnail"]

    prompt = template.prompt_for("  a chef tasting {secret} sauce ")

    assert prompt.startswith("a chef tasting {secret} sauce, high-contrast thumbnail")
    assert "{subject}" not in prompt


def test_templates_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TEMPLATES["blog-featured"].width = 10  # type: ignore[misc]
