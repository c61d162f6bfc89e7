"""HuggingFaceAdapter against a loopback server speaking the HF Inference wire format.

The server stands in for ``https://router.huggingface.co``: the adapter is given its URL as
``config.base_url``, exactly as HF_API_BASE would be set, and the SDK posts to
``{base_url}/hf-inference/models/{model}``.
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
    NotConfigured,
    ProviderConfig,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
    size_for_aspect,
)
from providers.huggingface import HuggingFaceAdapter
from tests.corpus import PHOTOS

TOKEN = "hf_test_token_0123456789"
GENERATE_PATH = "/hf-inference/models/black-forest-labs/FLUX.1-Krea-dev"
EDIT_PATH = "/hf-inference/models/black-forest-labs/FLUX.1-Kontext-dev"


@pytest.fixture
def config(httpserver: HTTPServer) -> ProviderConfig:
    return ProviderConfig(
        name="huggingface",
        api_key=TOKEN,
        base_url=httpserver.url_for("/").rstrip("/"),
        connect_timeout=2,
        read_timeout=5,
        poll_timeout=10,
        poll_interval=0.01,
        retry_initial=0.01,
        retry_attempts=3,
        max_output_bytes=20 * 1_048_576,
    )


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def generate(**fields) -> ProviderRequest:
    values = {
        "model": "black-forest-labs/FLUX.1-Krea-dev",
        "capability": "generate",
        "prompt": "a lighthouse at dawn",
    }
    return ProviderRequest(**{**values, **fields})


def run(config: ProviderConfig, request: ProviderRequest):
    return HuggingFaceAdapter(config).run(request, MemoryCheckpoint())


def test_it_posts_the_prompt_and_sizes_to_the_model_route_and_returns_png(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    width, height = size_for_aspect("16:9", megapixels=1.0, multiple=16)
    image = png_bytes((80, 45))
    httpserver.expect_oneshot_request(
        GENERATE_PATH,
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "image/png"},
        json={
            "inputs": "a lighthouse at dawn",
            "parameters": {
                "negative_prompt": "fog, text",
                "width": width,
                "height": height,
                "seed": 1234,
            },
        },
    ).respond_with_data(image, content_type="image/png")

    output = run(
        config,
        generate(negative_prompt="fog, text", options={"aspect_ratio": "16:9", "seed": 1234}),
    )

    httpserver.check_assertions()
    assert output.media_type == "image/png"
    assert output.seed == 1234
    decoded = Image.open(io.BytesIO(output.data))
    assert (decoded.format, decoded.size) == ("PNG", (80, 45))
    assert decoded.getpixel((0, 0)) == Image.new("RGB", (1, 1), "teal").getpixel((0, 0))


def test_it_prefers_explicit_width_and_height_and_passes_sampler_settings(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    httpserver.expect_oneshot_request(
        GENERATE_PATH,
        method="POST",
        json={
            "inputs": "a lighthouse at dawn",
            "parameters": {
                "width": 768,
                "height": 512,
                "guidance_scale": 3.5,
                "num_inference_steps": 28,
            },
        },
    ).respond_with_data(png_bytes(), content_type="image/png")

    run(
        config,
        generate(
            options={
                "aspect_ratio": "1:1",
                "width": 768,
                "height": 512,
                "guidance_scale": 3.5,
                "num_inference_steps": 28,
            }
        ),
    )

    httpserver.check_assertions()


def test_it_re_encodes_a_jpeg_answer_as_png(httpserver: HTTPServer, config: ProviderConfig) -> None:
    jpeg = (PHOTOS / "kitty.jpg").read_bytes()
    httpserver.expect_oneshot_request(GENERATE_PATH, method="POST").respond_with_data(
        jpeg, content_type="image/jpeg"
    )

    output = run(config, generate())

    assert output.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(output.data)).size == Image.open(io.BytesIO(jpeg)).size


def test_it_sends_the_input_image_base64_with_the_edit_prompt(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    kitty = (PHOTOS / "kitty.jpg").read_bytes()
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(json.loads(request.get_data()))
        return Response(png_bytes((640, 427)), content_type="image/png")

    httpserver.expect_oneshot_request(
        EDIT_PATH, method="POST", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_handler(handler)

    output = run(
        config,
        ProviderRequest(
            model="black-forest-labs/FLUX.1-Kontext-dev",
            capability="edit",
            prompt="give the cat a red scarf",
            negative_prompt="blur",
            image=kitty,
            options={"seed": 7, "width": 640, "height": 432},
        ),
    )

    httpserver.check_assertions()
    [body] = seen
    assert base64.b64decode(body["inputs"]) == kitty
    assert body["parameters"] == {
        "prompt": "give the cat a red scarf",
        "negative_prompt": "blur",
        "target_size": {"width": 640, "height": 432},
        "seed": 7,
    }
    assert Image.open(io.BytesIO(output.data)).size == (640, 427)


def test_it_uses_a_model_given_as_an_endpoint_url_as_it_is(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    httpserver.expect_oneshot_request("/my-endpoint", method="POST").respond_with_data(
        png_bytes(), content_type="image/png"
    )

    run(config, generate(model=httpserver.url_for("/my-endpoint")))

    httpserver.check_assertions()


def test_it_refuses_to_run_without_a_token_and_sends_nothing(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    with pytest.raises(NotConfigured, match="HF_TOKEN"):
        run(replace(config, api_key=""), generate())

    assert httpserver.log == []


def test_it_rejects_an_edit_without_an_image_before_paying(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    with pytest.raises(InputRejected, match="image to edit"):
        run(config, generate(capability="edit", model="black-forest-labs/FLUX.1-Kontext-dev"))

    assert httpserver.log == []


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (401, {"error": "Invalid credentials in Authorization header"}, NotConfigured, "HF_TOKEN"),
        (403, {"error": "no inference permission"}, NotConfigured, "HF_TOKEN"),
        (429, {"error": "Rate limit reached"}, RateLimited, "too many requests"),
        (400, {"error": "prompt too long"}, InputRejected, "prompt too long"),
        (422, {"error": "height must be <= 2048"}, InputRejected, "height must be"),
        (
            503,
            {"error": "Model black-forest-labs/FLUX.1-Krea-dev is currently loading"},
            ProviderUnavailable,
            "try again in a minute",
        ),
        (500, {"error": "Internal Server Error"}, ProviderUnavailable, "HTTP 500"),
        (502, "<html><body>Bad gateway</body></html>", ProviderUnavailable, "HTTP 502"),
    ],
)
def test_it_maps_each_error_status_to_an_error_the_user_can_act_on(
    httpserver: HTTPServer,
    config: ProviderConfig,
    status: int,
    body: dict | str,
    error: type[Exception],
    message: str,
) -> None:
    if isinstance(body, dict):
        httpserver.expect_request(GENERATE_PATH, method="POST").respond_with_json(
            body, status=status
        )
    else:
        httpserver.expect_request(GENERATE_PATH, method="POST").respond_with_data(
            body, status=status, content_type="text/html"
        )

    with pytest.raises(error, match=message) as raised:
        run(config, generate())

    assert len(httpserver.log) == 1, "the paid call must be sent exactly once"
    assert "Traceback" not in str(raised.value)


def test_it_reports_an_html_page_instead_of_an_image_as_malformed(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    httpserver.expect_request(GENERATE_PATH, method="POST").respond_with_data(
        "<!doctype html><title>Maintenance</title>", content_type="text/html"
    )

    with pytest.raises(MalformedOutput, match="not with an image"):
        run(config, generate())


def test_it_refuses_a_result_larger_than_the_output_limit(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    httpserver.expect_request(GENERATE_PATH, method="POST").respond_with_data(
        png_bytes((256, 256)), content_type="image/png"
    )

    with pytest.raises(MalformedOutput, match="larger than"):
        run(replace(config, max_output_bytes=100), generate())


def test_it_gives_up_after_the_read_timeout_without_retrying(
    httpserver: HTTPServer, config: ProviderConfig
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(png_bytes(), content_type="image/png")

    httpserver.expect_request(GENERATE_PATH, method="POST").respond_with_handler(slow)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        run(replace(config, read_timeout=0.3), generate())

    assert time.monotonic() - started < 1.4
    assert len(httpserver.log) <= 1


def test_it_reports_a_server_that_cannot_be_reached_as_unavailable(
    config: ProviderConfig,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        run(replace(config, base_url=f"http://127.0.0.1:{closed_port}"), generate())
