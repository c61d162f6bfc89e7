"""AI steps in the recipe language: table-driven parsing, canonical form, options, refusals."""

from __future__ import annotations

import pytest

from studio.specs import SpecError, parse

VALID = [
    # (written, canonical, provider options)
    (
        "generate-stability-core|aspect-16:9|style-photographic|seed-42",
        "generate-stability-core|aspect-16:9|style-photographic|seed-42",
        {"aspect_ratio": "16:9", "style_preset": "photographic", "seed": 42},
    ),
    (
        "SEED-7|Generate-Stability-SD3.5-Large|aspect-9x16",
        "generate-stability-sd3.5-large|aspect-9:16|seed-7",
        {"aspect_ratio": "9:16", "seed": 7},
    ),
    (
        "upscale-local-lanczos|format-png|factor-3",
        "upscale-local-lanczos|factor-3|format-png",
        {"factor": 3, "output_format": "png"},
    ),
    (
        "edit-stability-outpaint|down-100|left-512|creativity-40",
        "edit-stability-outpaint|creativity-40|left-512|down-100",
        {"creativity": 0.4, "left": 512, "down": 100},
    ),
    (
        "control-stability-sketch|strength-70",
        "control-stability-sketch|strength-70",
        {"strength": 0.7},
    ),
    ("edit-wavespeed-qwen-image-edit", "edit-wavespeed-qwen-image-edit", {}),
    ("edit-stability-inpaint|grow-5", "edit-stability-inpaint|grow-5", {"grow_mask": 5}),
    (
        "video-wavespeed-wan-2.5-720p|duration-5|resolution-720p",
        "video-wavespeed-wan-2.5-720p|resolution-720p|duration-5",
        {"resolution": "720p", "duration": 5},
    ),
    # The documented edges of each range are accepted.
    (
        "upscale-stability-creative|creativity-10",
        "upscale-stability-creative|creativity-10",
        {"creativity": 0.1},
    ),
    (
        "upscale-stability-creative|creativity-50",
        "upscale-stability-creative|creativity-50",
        {"creativity": 0.5},
    ),
    ("edit-stability-erase|grow-20", "edit-stability-erase|grow-20", {"grow_mask": 20}),
    ("edit-stability-inpaint|grow-100", "edit-stability-inpaint|grow-100", {"grow_mask": 100}),
    (
        "generate-stability-sd3.5-medium|format-jpeg",
        "generate-stability-sd3.5-medium|format-jpeg",
        {"output_format": "jpeg"},
    ),
    (
        "generate-stability-core|format-webp",
        "generate-stability-core|format-webp",
        {"output_format": "webp"},
    ),
    (
        "generate-gemini-flash-image|aspect-21:9",
        "generate-gemini-flash-image|aspect-21:9",
        {"aspect_ratio": "21:9"},
    ),
    (
        "generate-wavespeed-qwen-image|seed-2147483647",
        "generate-wavespeed-qwen-image|seed-2147483647",
        {"seed": 2147483647},
    ),
    (
        "upscale-wavespeed-image-upscaler|resolution-4k",
        "upscale-wavespeed-image-upscaler|resolution-4k",
        {"resolution": "4k"},
    ),
    (
        "upscale-wavespeed-ultimate-upscaler|resolution-8k|format-png",
        "upscale-wavespeed-ultimate-upscaler|resolution-8k|format-png",
        {"resolution": "8k", "output_format": "png"},
    ),
]


@pytest.mark.parametrize(("written", "canonical", "options"), VALID)
def test_it_parses_ai_specs_to_a_canonical_form_and_provider_options(written, canonical, options):
    spec = parse(written)
    assert str(spec) == canonical
    assert parse(str(spec)) == spec
    assert spec.ai_options() == options
    assert spec.model_step is not None


INVALID = [
    ("generate-openai-dalle", "provider must be one of"),
    ("generate-stability-", "Name a model after the provider"),
    ("generate-stability-core|aspect-7:3", "aspect-W:H with one of"),
    ("generate-stability-core|style-watercolour", "style-PRESET with one of"),
    ("generate-stability-core|seed-4294967295", "0 to 4294967294"),
    ("control-stability-sketch|strength-101", "0 to 100"),
    ("upscale-local-lanczos|factor-8", "2 to 4"),
    ("seed-42", "only goes with an AI model step"),
    ("fill-100x100-smart|aspect-1:1", "only goes with an AI model step"),
    ("generate-stability-core|width-800", "cannot follow"),
    ("generate-stability-core|format-avif", "PNG, JPEG or WebP"),
    ("generate-stability-core|upscale-local-lanczos", "contradict"),
    ("generate-stability-core|seed-1|seed-2", "contradict"),
    # Each provider's documented ranges, with the parameter, the range and the model named.
    (
        "upscale-stability-creative|creativity-60",
        "'creativity-60' is out of range for Stability Creative Upscale: creativity goes from "
        "10 to 50 %",
    ),
    ("upscale-stability-creative|creativity-5", "Creative Upscale: creativity goes from 10 to 50"),
    (
        "upscale-stability-conservative|creativity-10",
        "Conservative Upscale: creativity goes from 20 to 50",
    ),
    ("edit-stability-erase|grow-21", "Stability Erase: mask growth goes from 0 to 20 px"),
    ("edit-stability-search-and-replace|grow-25", "Search and Replace: mask growth goes from 0"),
    ("edit-stability-search-and-recolor|grow-25", "Search and Recolor: mask growth goes from 0"),
    (
        "generate-stability-sd3.5-large|format-webp",
        "not offered by Stability SD3.5 Large: it returns PNG or JPEG",
    ),
    ("generate-stability-sd3.5-flash|format-webp", "SD3.5 Flash: it returns PNG or JPEG"),
    ("edit-stability-remove-background|format-jpeg", "Remove Background: it returns PNG or WebP"),
    (
        "generate-gemini-flash-image|aspect-9:21",
        "'aspect-9:21' is not offered by Gemini image models: its aspect ratio is one of",
    ),
    ("edit-gemini-flash-image|aspect-9:21", "Gemini image models"),
    (
        "generate-wavespeed-qwen-image|seed-2147483648",
        "out of range for WaveSpeed models: seed goes from 0 to 2147483647",
    ),
    (
        "upscale-wavespeed-image-upscaler|factor-2",
        "does not apply to WaveSpeed Image Upscaler, which takes a target resolution",
    ),
    (
        "upscale-wavespeed-ultimate-upscaler|resolution-720p",
        "not offered by WaveSpeed Ultimate Upscaler: its resolution is one of 2k, 4k, 8k",
    ),
    ("video-wavespeed-wan-2.5-720p|resolution-4k", "target resolution for upscalers"),
    ("upscale-wavespeed-bria-upscale|factor-3", "Bria Increase Resolution"),
    ("generate-wavespeed-flux-kontext-pro|aspect-5:4", "FLUX Kontext \\[pro\\]"),
    ("upscale-wavespeed-image-upscaler|resolution-16k", "resolution-2k, -4k or -8k"),
]


@pytest.mark.parametrize(("written", "message"), INVALID)
def test_it_refuses_malformed_ai_specs_with_a_message(written, message):
    with pytest.raises(SpecError, match=message):
        parse(written)


def test_it_describes_an_ai_recipe_in_plain_words():
    spec = parse("generate-stability-core|aspect-16:9|style-neon-punk|seed-42|format-webp")
    assert spec.describe() == (
        "Generate an image with stability core, aspect ratio 16:9, neon punk style, seed 42, "
        "save as WebP"
    )


def test_it_describes_an_upscalers_target_resolution():
    spec = parse("upscale-wavespeed-image-upscaler|resolution-4k")
    assert spec.describe() == "Upscale with wavespeed image-upscaler, 4K output"
