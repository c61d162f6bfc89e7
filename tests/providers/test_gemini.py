"""GeminiAdapter against a loopback server speaking the Gemini API's generateContent.

The server stands in for ``https://generativelanguage.googleapis.com``: the adapter gets its URL
as ``config.base_url`` (GEMINI_API_BASE) and google-genai posts to
``/v1beta/models/{model}:generateContent``.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import time
from dataclasses import replace

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from providers.base import (
    InputRejected,
    MalformedOutput,
    MemoryCheckpoint,
    Moderated,
    NotConfigured,
    ProviderConfig,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
)
from providers.gemini import MASK_INSTRUCTION, GeminiAdapter
from tests.corpus import PHOTOS

API_KEY = "AIza-test-key-0123456789"
MODEL = "gemini-2.5-flash-image"
PATH = f"/v1beta/models/{MODEL}:generateContent"


@pytest.fixture
def config(httpserver: HTTPServer) -> ProviderConfig:
    return ProviderConfig(
        name="gemini",
        api_key=API_KEY,
        base_url=httpserver.url_for("/").rstrip("/"),
        connect_timeout=2,
        read_timeout=5,
        poll_timeout=10,
        poll_interval=0.01,
        retry_initial=0.01,
        retry_attempts=3,
        max_output_bytes=20 * 1_048_576,
    )


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def answer(*parts: dict, finish_reason: str = "STOP", **extra) -> dict:
    """Return a generateContent response body with one candidate holding ``parts``."""
    return {
        "candidates": [
            {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish_reason}
        ],
        "modelVersion": MODEL,
        **extra,
    }


def image_part(data: bytes, mime_type: str = "image/png", **extra) -> dict:
    return {"inlineData": {"mimeType": mime_type, "data": b64(data)}, **extra}


def inline(part: dict) -> tuple[str, bytes]:
    """Return (MIME type, bytes) of a request part's inlineData.

    google-genai 3.4.0 sends ``mime_type`` in snake case and URL-safe base64; proto3 JSON, which
    the Gemini API speaks, accepts either field spelling and either base64 alphabet.
    """
    blob = part["inlineData"]
    mime_type = blob.get("mimeType") or blob.get("mime_type")
    data = blob["data"].replace("-", "+").replace("_", "/")
    return mime_type, base64.b64decode(data, validate=True)


def generate(**fields) -> ProviderRequest:
    values = {"model": MODEL, "capability": "generate", "prompt": "a lighthouse at dawn"}
    return ProviderRequest(**{**values, **fields})


def run(config: ProviderConfig, request: ProviderRequest):
    return GeminiAdapter(config).run(request, MemoryCheckpoint())


def capture(httpserver: HTTPServer, body: dict, status: int = 200) -> list[dict]:
    """Answer every generateContent call with ``body``; return the list of request JSONs seen."""
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(json.loads(request.get_data()))
        return Response(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request(
        PATH, method="POST", headers={"x-goog-api-key": API_KEY}
    ).respond_with_handler(handler)
    return seen


def test_it_generates_an_image_from_the_prompt_and_returns_its_bytes(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    image = png_bytes()
    seen = capture(httpserver, answer({"text": "Here is your lighthouse."}, image_part(image)))

    output = run(
        config,
        generate(negative_prompt="fog, text", options={"aspect_ratio": "16:9", "seed": 42}),
    )

    assert (output.data, output.media_type) == (image, "image/png")
    assert output.seed == 42
    assert output.finish_reason == "STOP"
    [body] = seen
    [content] = body["contents"]
    assert content["role"] == "user"
    assert content["parts"] == [{"text": "a lighthouse at dawn\n\nAvoid: fog, text"}]
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]
    assert body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    assert body["generationConfig"]["seed"] == 42


def test_it_sends_the_image_and_mask_inline_before_the_edit_instruction(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    kitty = (PHOTOS / "kitty.jpg").read_bytes()
    mask = png_bytes((640, 427), "white")
    result = png_bytes((640, 427), "purple")
    seen = capture(httpserver, answer(image_part(result)))

    output = run(
        config,
        ProviderRequest(
            model=MODEL,
            capability="edit",
            prompt="give the cat a red scarf",
            image=kitty,
            mask=mask,
        ),
    )

    assert output.data == result
    [body] = seen
    image, mask_part, text = body["contents"][0]["parts"]
    assert inline(image) == ("image/jpeg", kitty)
    assert inline(mask_part) == ("image/png", mask)
    assert text["text"] == f"give the cat a red scarf\n\n{MASK_INSTRUCTION}"
    assert "imageConfig" not in body["generationConfig"]


def test_it_keeps_the_final_image_rather_than_a_thought_image(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    draft, final = png_bytes(color="grey"), png_bytes(color="gold")
    capture(httpserver, answer(image_part(draft, thought=True), image_part(final)))

    output = run(config, generate())

    assert output.data == final


@pytest.mark.parametrize("finish_reason", ["IMAGE_SAFETY", "PROHIBITED_CONTENT", "SAFETY"])
def test_it_reports_an_image_stopped_by_moderation(
    httpserver: HTTPServer, config: ProviderConfig, finish_reason: str
) -> None:
    capture(httpserver, answer(finish_reason=finish_reason))

    with pytest.raises(Moderated, match=finish_reason):
        run(config, generate())


def test_it_reports_a_blocked_prompt_as_moderated(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    capture(httpserver, {"promptFeedback": {"blockReason": "SAFETY"}})

    with pytest.raises(Moderated, match="blocked this prompt"):
        run(config, generate())


def test_it_reports_a_text_only_answer_as_malformed_with_the_models_words(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    capture(httpserver, answer({"text": "I can only describe lighthouses, not draw them."}))

    with pytest.raises(MalformedOutput, match="I can only describe lighthouses"):
        run(config, generate())


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (429, RateLimited, "too many requests"),
        (500, ProviderUnavailable, "HTTP 500"),
        (503, ProviderUnavailable, "HTTP 503"),
    ],
)
def test_it_sends_the_paid_call_once_when_gemini_fails(
    httpserver: HTTPServer,
    config: ProviderConfig,
    status: int,
    error: type[Exception],
    message: str,
) -> None:
    body = {"error": {"code": status, "message": "try later", "status": "UNAVAILABLE"}}
    seen = capture(httpserver, body, status=status)

    with pytest.raises(error, match=message):
        run(config, generate())

    assert len(seen) == 1, "google-genai must not retry the paid call"


@pytest.mark.parametrize(
    ("status", "error_body", "error", "message"),
    [
        (
            400,
            {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
                "details": [{"reason": "API_KEY_INVALID"}],
            },
            NotConfigured,
            "GEMINI_API_KEY",
        ),
        (
            403,
            {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"},
            NotConfigured,
            "GEMINI_API_KEY",
        ),
        (
            400,
            {"code": 400, "message": "Unsupported aspect ratio 7:3", "status": "INVALID_ARGUMENT"},
            InputRejected,
            "Unsupported aspect ratio",
        ),
        (404, {"code": 404, "message": "not found", "status": "NOT_FOUND"}, NotConfigured, MODEL),
    ],
)
def test_it_maps_client_errors_to_errors_the_user_can_act_on(
    httpserver: HTTPServer,
    config: ProviderConfig,
    status: int,
    error_body: dict,
    error: type[Exception],
    message: str,
) -> None:
    capture(httpserver, {"error": error_body}, status=status)

    with pytest.raises(error, match=message):
        run(config, generate())


def test_it_gives_up_after_the_read_timeout_without_retrying(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(
            json.dumps(answer(image_part(png_bytes()))), content_type="application/json"
        )

    httpserver.expect_request(PATH, method="POST").respond_with_handler(slow)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        run(replace(config, read_timeout=0.3), generate())

    assert time.monotonic() - started < 1.4


def test_it_reports_a_server_that_cannot_be_reached_as_unavailable(
    config: ProviderConfig,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        run(replace(config, base_url=f"http://127.0.0.1:{closed_port}"), generate())


def test_it_refuses_to_run_without_a_key_and_sends_nothing(
    httpserver: HTTPServer, config: ProviderConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "a-key-from-the-environment")

    with pytest.raises(NotConfigured, match="GEMINI_API_KEY"):
        run(replace(config, api_key=""), generate())

    assert httpserver.log == []


def test_it_rejects_an_edit_of_something_that_is_not_an_image_before_paying(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    with pytest.raises(InputRejected, match="could not be read as an image"):
        run(config, generate(capability="edit", image=b"<html>not an image</html>"))

    assert httpserver.log == []


@pytest.mark.parametrize("aspect_ratio", ["9:21", "7:3"])
def test_it_refuses_an_aspect_ratio_gemini_does_not_document_before_paying(
    config, httpserver, aspect_ratio
):
    request = ProviderRequest(
        model=MODEL,
        capability="generate",
        prompt="a lighthouse",
        options={"aspect_ratio": aspect_ratio},
    )
    with pytest.raises(InputRejected, match=f"cannot make {aspect_ratio} images.*21:9"):
        GeminiAdapter(config).run(request, MemoryCheckpoint())
    assert httpserver.log == []
