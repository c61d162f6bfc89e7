"""Prompt enhancement: the template enhancer, and Gemini against a loopback generateContent."""

from __future__ import annotations

import dataclasses
import json
import socket

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from studio.ai_steps import STYLE_PRESETS
from studio.create_templates import TEMPLATES
from studio.prompting import (
    EMPTY_PROMPT,
    GENERIC_NEGATIVE,
    LABEL_GEMINI,
    LABEL_GEMINI_EMPTY,
    LABEL_GEMINI_FAILED,
    LABEL_TEMPLATE,
    MAX_PROMPT_CHARS,
    STYLE_DESCRIPTORS,
    clean_suggestion,
    enhance_prompt,
    negative_prompt_for,
    template_prompt,
)

API_KEY = "AIza-test-key-0123456789"
PATH = "/v1beta/models/gemini-2.5-flash:generateContent"
SUBJECT = "a red bicycle leaning against a bakery window"


@pytest.fixture(autouse=True)
def _loopback_only(loopback_only) -> None:
    """Any host but loopback fails the test (tests.conftest.loopback_only)."""


@pytest.fixture(autouse=True)
def no_gemini(settings) -> None:
    """Start every test without a Gemini key (a new dict: the fixture restores only top level)."""
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "gemini": {**settings.PROVIDERS["gemini"], "api_key": ""},
    }


@pytest.fixture
def gemini(settings, httpserver: HTTPServer) -> HTTPServer:
    """Configure Gemini with the loopback server as its base URL."""
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "gemini": {
            **settings.PROVIDERS["gemini"],
            "api_key": API_KEY,
            "base_url": httpserver.url_for("/").rstrip("/"),
        },
    }
    return httpserver


def answer(*texts: str) -> dict:
    """Return a generateContent body with one candidate holding these text parts."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": t} for t in texts]},
                "finishReason": "STOP",
            }
        ],
        "modelVersion": "gemini-2.5-flash",
    }


def capture(server: HTTPServer, body: dict, status: int = 200, path: str = PATH) -> list[dict]:
    """Answer generateContent with ``body``; return the request JSONs seen."""
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(json.loads(request.get_data()))
        return Response(json.dumps(body), status=status, content_type="application/json")

    server.expect_request(
        path, method="POST", headers={"x-goog-api-key": API_KEY}
    ).respond_with_handler(handler)
    return seen


def phrases(text: str) -> list[str]:
    return [p.strip().casefold() for p in text.split(",")]


# --- the template enhancer -----------------------------------------------------------------


def test_the_descriptor_table_covers_exactly_the_17_presets_and_no_preset() -> None:
    assert set(STYLE_DESCRIPTORS) == {"", *STYLE_PRESETS}
    assert len(STYLE_PRESETS) == 17
    assert all(STYLE_DESCRIPTORS.values())


def test_without_gemini_it_suggests_a_template_prompt_and_says_so(httpserver: HTTPServer) -> None:
    enhanced = enhance_prompt(SUBJECT, style_preset="photographic")

    assert enhanced.source == "template"
    assert enhanced.label == LABEL_TEMPLATE
    assert enhanced.prompt == (
        f"{SUBJECT}, natural light, 50mm lens, shallow depth of field, high detail"
    )
    assert httpserver.log == []


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_it_keeps_the_users_words_first_and_adds_the_presets_descriptors(preset: str) -> None:
    prompt = enhance_prompt(f"  {SUBJECT}  ", style_preset=preset).prompt

    assert prompt.startswith(f"{SUBJECT}, ")
    for descriptor in STYLE_DESCRIPTORS[preset]:
        assert descriptor.casefold() in phrases(prompt)


def test_without_a_preset_it_adds_general_descriptors() -> None:
    prompt = enhance_prompt(SUBJECT).prompt

    assert prompt == f"{SUBJECT}, sharp focus, balanced composition, high detail"


def test_it_adds_the_templates_phrases_with_the_subject_in_place() -> None:
    template = TEMPLATES["website-product"]

    prompt = enhance_prompt("a ceramic teapot", template=template).prompt

    assert prompt.startswith(
        "a ceramic teapot, studio product photography, seamless white background"
    )
    assert "{subject}" not in prompt
    assert phrases(prompt).count("a ceramic teapot") == 1


def test_it_does_not_repeat_phrases_the_prompt_already_has() -> None:
    prompt = enhance_prompt(
        "Portrait of a potter, Shallow  Depth of Field, natural light.", style_preset="photographic"
    ).prompt

    # Whitespace is squashed to single spaces; the words and their case are kept.
    assert prompt == (
        "Portrait of a potter, Shallow Depth of Field, natural light, 50mm lens, high detail"
    )


def test_it_does_not_repeat_a_phrase_shared_by_the_template_and_the_preset() -> None:
    template = dataclasses.replace(
        TEMPLATES["blog-featured"], prompt_template="{subject}, high detail, natural light"
    )

    prompt = enhance_prompt(SUBJECT, style_preset="photographic", template=template).prompt

    assert prompt == f"{SUBJECT}, high detail, natural light, 50mm lens, shallow depth of field"


def test_it_stops_adding_phrases_at_the_length_cap() -> None:
    long_prompt = " ".join(["a quiet harbour at dawn with fishing boats"] * 23)  # 990 characters
    assert len(long_prompt) < MAX_PROMPT_CHARS

    prompt = enhance_prompt(long_prompt, style_preset="cinematic").prompt

    assert len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.startswith(long_prompt)


def test_it_never_cuts_the_users_own_words() -> None:
    too_long = " ".join(["a quiet harbour at dawn with fishing boats"] * 30)

    assert template_prompt(too_long, style_preset="cinematic") == too_long


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_it_refuses_an_empty_prompt(prompt: str) -> None:
    with pytest.raises(ValueError, match=EMPTY_PROMPT):
        enhance_prompt(prompt)


def test_the_negative_prompt_lists_generic_artefacts_then_the_templates_without_repeats() -> None:
    template = dataclasses.replace(
        TEMPLATES["email-hero"], negative_prompt="Blurry, harsh shadows, watermark"
    )

    negative = enhance_prompt(SUBJECT, template=template).negative_prompt

    assert phrases(negative) == [*GENERIC_NEGATIVE, "harsh shadows"]


def test_the_negative_prompt_leaves_out_what_the_prompt_asks_for() -> None:
    negative = enhance_prompt("a runner in front of a blurry city at night").negative_prompt

    assert "blurry" not in phrases(negative)
    assert "watermark" in phrases(negative)


def test_pixel_art_keeps_its_low_resolution() -> None:
    negative = enhance_prompt("a castle", style_preset="pixel-art").negative_prompt

    assert "low resolution" not in phrases(negative)


# --- Gemini --------------------------------------------------------------------------------


def test_with_gemini_configured_it_returns_geminis_prompt(gemini: HTTPServer) -> None:
    suggestion = (
        "A red bicycle leaning against a bakery window at golden hour, warm side light, "
        "35mm lens, shallow depth of field"
    )
    seen = capture(gemini, answer(f'"{suggestion}"\n'))
    template = TEMPLATES["instagram-feed-portrait"]

    enhanced = enhance_prompt(SUBJECT, style_preset="analog-film", template=template)

    assert enhanced.source == "gemini"
    assert enhanced.label == LABEL_GEMINI
    assert enhanced.prompt == suggestion
    assert enhanced.negative_prompt == negative_prompt_for(
        SUBJECT, style_preset="analog-film", template=template
    )
    [body] = seen
    [content] = body["contents"]
    [part] = content["parts"]
    assert part["text"].endswith(f"Prompt: {SUBJECT}")
    assert "analog film style" in part["text"]
    assert "Instagram feed post (portrait) (1080×1350 pixels, aspect ratio 4:5)" in part["text"]
    assert "at most 400 characters" in part["text"]
    assert len(gemini.log) == 1


def test_it_asks_the_model_named_in_the_settings(gemini: HTTPServer, settings) -> None:
    settings.STUDIO_PROMPT_MODEL = "gemini-2.5-flash-lite"
    capture(gemini, answer("a lighthouse, stormy sky"), path=PATH.replace("flash", "flash-lite"))

    enhanced = enhance_prompt("a lighthouse")

    assert (enhanced.source, enhanced.prompt) == ("gemini", "a lighthouse, stormy sky")


def test_when_gemini_fails_it_falls_back_to_the_template_and_says_so(
    gemini: HTTPServer,
) -> None:
    error = {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}
    capture(gemini, error, status=500)

    enhanced = enhance_prompt(SUBJECT, style_preset="photographic")

    assert enhanced.source == "template"
    assert enhanced.label == LABEL_GEMINI_FAILED
    assert enhanced.prompt == template_prompt(SUBJECT, style_preset="photographic")
    assert len(gemini.log) == 1


def test_when_gemini_cannot_be_reached_it_falls_back(settings) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "gemini": {"api_key": API_KEY, "base_url": f"http://127.0.0.1:{port}", "env": []},
    }

    enhanced = enhance_prompt(SUBJECT)

    assert (enhanced.source, enhanced.label) == ("template", LABEL_GEMINI_FAILED)


def test_when_gemini_answers_without_text_it_falls_back(gemini: HTTPServer) -> None:
    capture(gemini, answer("  ", '""'))

    enhanced = enhance_prompt(SUBJECT)

    assert (enhanced.source, enhanced.label) == ("template", LABEL_GEMINI_EMPTY)
    assert len(gemini.log) == 1


@pytest.mark.parametrize(
    ("answer_text", "cleaned"),
    [
        ("a cat on a sofa", "a cat on a sofa"),
        ('  "a cat\n on a sofa"  ', "a cat on a sofa"),
        ("Improved prompt: a cat on a sofa", "a cat on a sofa"),
        ("```a cat on a sofa```", "a cat on a sofa"),
        ("“a cat on a sofa”", "a cat on a sofa"),
        ("", ""),
    ],
)
def test_it_cleans_up_the_models_answer(answer_text: str, cleaned: str) -> None:
    assert clean_suggestion(answer_text) == cleaned


def test_a_long_answer_is_cut_at_a_phrase_boundary() -> None:
    text = ", ".join(f"detail number {n}" for n in range(100))

    cleaned = clean_suggestion(text)

    assert len(cleaned) <= MAX_PROMPT_CHARS
    assert text.startswith(cleaned)
    assert not cleaned.endswith(",")
    assert cleaned.split(", ")[-1].startswith("detail number ")
