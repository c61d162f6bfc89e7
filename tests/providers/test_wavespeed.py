"""WaveSpeed adapter against a loopback WaveSpeed (pytest-httpserver): bodies, polling, errors.

The key property: a paid submission is sent once. When polling fails the task may be retried, and
the retry resumes the stored prediction instead of POSTing again.
"""

from __future__ import annotations

import base64
import io
import json
import time
import wave
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from providers.base import (
    InputRejected,
    MalformedOutput,
    MemoryCheckpoint,
    NotConfigured,
    PollingFailed,
    ProviderConfig,
    ProviderError,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
)
from providers.wavespeed import WaveSpeedAdapter
from tests.corpus import PHOTOS

KITTY = (PHOTOS / "kitty.jpg").read_bytes()
FACE = (PHOTOS / "guitarist.jpg").read_bytes()
PNG_OUTPUT = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4_OUTPUT = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
PREDICTION = "pred_0123456789"


def wav_bytes() -> bytes:
    """Return a short silent WAV file (the corpus has no audio)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def make_config(httpserver: HTTPServer, **overrides: object) -> ProviderConfig:
    values: dict[str, object] = {
        "name": "wavespeed",
        "api_key": "test-key",
        "base_url": httpserver.url_for("/api/v3"),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "poll_timeout": 5.0,
        "poll_interval": 0.01,
        "retry_initial": 0.01,
        "retry_attempts": 3,
        "max_output_bytes": 10 * 1_048_576,
        # As the tests' settings override: the 10 ms interval is used below WaveSpeed's 2 s floor.
        "poll_interval_explicit": True,
    }
    values.update(overrides)
    return ProviderConfig(**values)  # type: ignore[arg-type]


def accepted(status: str = "created") -> dict:
    return {
        "code": 200,
        "message": "success",
        "data": {
            "id": PREDICTION,
            "model": "m",
            "outputs": [],
            "urls": {"get": f"https://api.wavespeed.ai/api/v3/predictions/{PREDICTION}/result"},
            "status": status,
        },
    }


def result(status: str, outputs: list[str] | None = None, **extra: object) -> dict:
    return {
        "code": 200,
        "message": "success",
        "data": {"id": PREDICTION, "status": status, "outputs": outputs or [], **extra},
    }


def serve_prediction(
    httpserver: HTTPServer,
    model: str,
    *,
    output: bytes = PNG_OUTPUT,
    content_type: str = "image/png",
    statuses: tuple[str, ...] = ("completed",),
    **extra: object,
) -> None:
    """Accept one POST to ``model``, report ``statuses`` one poll each, then serve the file."""
    file_url = httpserver.url_for("/cdn/output")
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    remaining = list(statuses)

    def poll_handler(request: Request) -> Response:
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        outputs = [file_url] if status == "completed" else []
        body = result(status, outputs, model=model, **extra)
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_handler(
        poll_handler
    )
    httpserver.expect_request("/cdn/output").respond_with_data(output, content_type=content_type)


def posts(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log if request.method == "POST"]


def polls(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log if request.path.endswith("/result")]


def sent_body(httpserver: HTTPServer) -> dict:
    (request,) = posts(httpserver)
    return json.loads(request.get_data())


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    return header, base64.b64decode(payload)


# --- successful runs, one per kind of model -------------------------------------------------


def test_text_to_image_sends_only_the_fields_qwen_image_declares_with_a_w_by_h_size(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model,
        capability="generate",
        prompt="a lighthouse at dawn",
        negative_prompt="blurry",
        options={"aspect_ratio": "16:9", "seed": 42, "output_format": "png", "strength": 0.5},
    )

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"prompt", "size", "seed", "output_format"}
    assert body["size"] == "1328*752"
    assert body["seed"] == 42
    assert output.data == PNG_OUTPUT
    assert output.media_type == "image/png"
    assert output.prediction_id == PREDICTION
    assert output.seed == 42
    assert output.details["model"] == model


def test_it_sends_the_bearer_key_to_the_api_but_not_to_the_output_host(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model)
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    api_calls = [r for r, _ in httpserver.log if r.path.startswith("/api/v3/")]
    downloads = [r for r, _ in httpserver.log if r.path == "/cdn/output"]
    assert api_calls and all(r.headers["Authorization"] == "Bearer test-key" for r in api_calls)
    assert len(downloads) == 1 and "Authorization" not in downloads[0].headers


def test_qwen_image_takes_its_size_from_width_and_height_when_given(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model, capability="generate", prompt="a cat", options={"width": 1200, "height": 800}
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert sent_body(httpserver)["size"] == "1200*800"


def test_flux_kontext_text_to_image_sends_an_aspect_ratio_not_a_size(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/flux-kontext-pro/text-to-image"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model,
        capability="generate",
        prompt="a poster",
        options={"aspect_ratio": "9:16", "seed": 7, "output_format": "png"},
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert sent_body(httpserver) == {"prompt": "a poster", "aspect_ratio": "9:16", "seed": 7}


def test_an_edit_sends_the_input_image_as_a_jpeg_data_uri(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/edit"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model,
        capability="edit",
        prompt="give the cat a red hat",
        image=KITTY,
        options={"seed": 3, "output_format": "webp", "aspect_ratio": "1:1"},
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"prompt", "image", "seed", "output_format"}
    header, data = decode_data_uri(body["image"])
    assert header == "data:image/jpeg;base64"
    assert data == KITTY


def test_edit_plus_sends_the_input_and_reference_images_as_a_list(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/edit-plus"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model,
        capability="edit",
        prompt="put the cat on the stage",
        image=KITTY,
        references={"background_reference": FACE},
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    images = sent_body(httpserver)["images"]
    assert [decode_data_uri(uri)[1] for uri in images] == [KITTY, FACE]


def test_the_eraser_sends_the_mask_as_mask_image(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/image-eraser"
    serve_prediction(httpserver, model)
    mask = PNG_OUTPUT
    request = ProviderRequest(model=model, capability="edit", image=KITTY, mask=mask)

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"image", "mask_image"}
    assert decode_data_uri(body["mask_image"]) == ("data:image/png;base64", mask)


@pytest.mark.parametrize(
    "model", ["wavespeed-ai/image-upscaler", "wavespeed-ai/ultimate-image-upscaler"]
)
@pytest.mark.parametrize("resolution", ["2k", "4k", "8k"])
def test_the_upscaler_sends_the_documented_target_resolution(
    httpserver: HTTPServer, model: str, resolution: str
) -> None:
    serve_prediction(
        httpserver, model, output=b"\xff\xd8\xff" + b"\x00" * 32, content_type="image/jpeg"
    )
    request = ProviderRequest(
        model=model,
        capability="upscale",
        image=KITTY,
        options={"resolution": resolution, "creativity": 0.3},
    )

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"image", "target_resolution"}
    assert body["target_resolution"] == resolution
    assert output.media_type == "image/jpeg"


def test_the_upscaler_does_not_turn_a_factor_into_a_target_resolution(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/image-upscaler"
    serve_prediction(httpserver, model)
    request = ProviderRequest(model=model, capability="upscale", image=KITTY, options={"factor": 4})

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert set(sent_body(httpserver)) == {"image"}  # the model's own default resolution


def test_the_upscaler_refuses_an_undocumented_target_resolution_before_any_request(
    httpserver: HTTPServer,
) -> None:
    request = ProviderRequest(
        model="wavespeed-ai/image-upscaler",
        capability="upscale",
        image=KITTY,
        options={"resolution": "720p"},
    )
    with pytest.raises(InputRejected, match="cannot make 720p images. Choose 2k or 4k or 8k"):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())
    assert httpserver.log == []


def test_bria_refuses_a_factor_it_does_not_document_before_any_request(
    httpserver: HTTPServer,
) -> None:
    request = ProviderRequest(
        model="bria/increase-resolution", capability="upscale", image=KITTY, options={"factor": 3}
    )
    with pytest.raises(InputRejected, match="2 or 4 times, not 3"):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())
    assert httpserver.log == []


def test_a_seed_above_the_signed_32_bit_range_is_refused_before_any_request(
    httpserver: HTTPServer,
) -> None:
    request = ProviderRequest(
        model="wavespeed-ai/qwen-image/text-to-image",
        capability="generate",
        prompt="a cat",
        options={"seed": 2_147_483_648},
    )
    with pytest.raises(InputRejected, match="between 0 and 2147483647 for WaveSpeed"):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())
    assert httpserver.log == []


def test_the_largest_documented_seed_is_sent(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model, capability="generate", prompt="a cat", options={"seed": 2_147_483_647}
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert sent_body(httpserver)["seed"] == 2_147_483_647


def test_bria_increase_resolution_sends_the_factor_as_desired_increase(
    httpserver: HTTPServer,
) -> None:
    model = "bria/increase-resolution"
    serve_prediction(httpserver, model)
    request = ProviderRequest(model=model, capability="upscale", image=KITTY, options={"factor": 2})

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert set(sent_body(httpserver)) == {"image", "desired_increase"}
    assert sent_body(httpserver)["desired_increase"] == 2


def test_face_swap_sends_the_target_as_image_and_the_face_as_face_image(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/image-face-swap-pro"
    serve_prediction(httpserver, model)
    request = ProviderRequest(
        model=model, capability="faceswap", image=KITTY, references={"face": FACE}
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"image", "face_image"}
    assert decode_data_uri(body["image"])[1] == KITTY
    assert decode_data_uri(body["face_image"])[1] == FACE


def test_wan_image_to_video_sends_resolution_and_duration_and_returns_the_video(
    httpserver: HTTPServer,
) -> None:
    model = "alibaba/wan-2.5/image-to-video"
    serve_prediction(httpserver, model, output=MP4_OUTPUT, content_type="video/mp4")
    request = ProviderRequest(
        model=model,
        capability="video",
        prompt="the cat turns its head",
        image=KITTY,
        options={"resolution": "720p", "duration": 10, "aspect_ratio": "16:9"},
    )

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"image", "prompt", "resolution", "duration"}
    assert (body["resolution"], body["duration"]) == ("720p", 10)
    assert output.data == MP4_OUTPUT
    assert output.media_type == "video/mp4"


def test_wan_image_to_video_sends_optional_audio_as_a_data_uri(httpserver: HTTPServer) -> None:
    model = "alibaba/wan-2.5/image-to-video"
    serve_prediction(httpserver, model, output=MP4_OUTPUT, content_type="video/mp4")
    audio = wav_bytes()
    request = ProviderRequest(
        model=model, capability="video", prompt="music", image=KITTY, references={"audio": audio}
    )

    WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert decode_data_uri(sent_body(httpserver)["audio"]) == ("data:audio/wav;base64", audio)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"resolution": "4k"}, "480p or 720p or 1080p"), ({"duration": 7}, "5 or 10 second")],
)
def test_wan_refuses_an_undocumented_resolution_or_duration_before_any_request(
    httpserver: HTTPServer, options: dict, message: str
) -> None:
    request = ProviderRequest(
        model="alibaba/wan-2.5/image-to-video",
        capability="video",
        prompt="go",
        image=KITTY,
        options=options,
    )

    with pytest.raises(InputRejected, match=message):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert httpserver.log == []


def test_infinitetalk_sends_the_portrait_the_audio_reference_and_the_resolution(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/infinitetalk"
    serve_prediction(httpserver, model, output=MP4_OUTPUT, content_type="video/mp4")
    audio = wav_bytes()
    request = ProviderRequest(
        model=model,
        capability="avatar",
        image=FACE,
        references={"audio": audio},
        options={"resolution": "480p"},
    )

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    body = sent_body(httpserver)
    assert set(body) == {"image", "audio", "resolution"}
    assert decode_data_uri(body["audio"]) == ("data:audio/wav;base64", audio)
    assert output.media_type == "video/mp4"


def test_infinitetalk_without_audio_is_refused_before_any_request(
    httpserver: HTTPServer,
) -> None:
    request = ProviderRequest(model="wavespeed-ai/infinitetalk", capability="avatar", image=FACE)

    with pytest.raises(InputRejected, match="audio"):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert httpserver.log == []


# --- polling --------------------------------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the adapter's waits instead of sleeping."""
    import providers.base as base

    recorded: list[float] = []
    monkeypatch.setattr(base.time, "sleep", recorded.append)
    return recorded


@pytest.mark.parametrize(
    ("model", "request_kwargs", "first", "between"),
    [
        # Image tasks: at least 2 s between checks; first after the model's typical 15 s.
        ("wavespeed-ai/image-upscaler", {"capability": "upscale", "image": KITTY}, 15.0, 2.0),
        # Video tasks: at least 5 s between checks (WaveSpeed docs, "How to Get Result").
        (
            "alibaba/wan-2.5/image-to-video",
            {"capability": "video", "image": KITTY, "prompt": "waves"},
            120.0,
            5.0,
        ),
    ],
)
def test_the_first_poll_waits_the_typical_time_and_polls_keep_the_documented_interval(
    httpserver: HTTPServer, sleeps: list[float], model, request_kwargs, first, between
) -> None:
    serve_prediction(httpserver, model, statuses=("processing", "processing", "completed"))
    # The settings default (2000 ms), not configured explicitly.
    config = make_config(httpserver, poll_interval=2.0, poll_interval_explicit=False)

    WaveSpeedAdapter(config).run(ProviderRequest(model=model, **request_kwargs), MemoryCheckpoint())

    assert sleeps == [first, between, between]
    assert len(polls(httpserver)) == 3


def test_a_resumed_prediction_is_polled_after_one_interval_not_the_typical_time(
    httpserver: HTTPServer, sleeps: list[float]
) -> None:
    model = "wavespeed-ai/image-upscaler"
    serve_prediction(httpserver, model)
    config = make_config(httpserver, poll_interval=0.5, poll_interval_explicit=False)
    request = ProviderRequest(model=model, capability="upscale", image=KITTY)

    WaveSpeedAdapter(config).run(request, MemoryCheckpoint(PREDICTION))

    assert sleeps == [2.0]
    assert posts(httpserver) == []


def test_it_polls_through_created_and_processing_until_completed(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(
        httpserver,
        model,
        statuses=("created", "processing", "processing", "completed"),
        timings={"inference": 2500},
        has_nsfw_contents=[False],
        executionTime=2512,
    )
    checkpoint = MemoryCheckpoint()
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, checkpoint)

    assert len(polls(httpserver)) == 4
    assert checkpoint.prediction_id == PREDICTION
    assert output.details == {
        "model": model,
        "status": "completed",
        "timings": {"inference": 2500},
        "has_nsfw_contents": [False],
        "executionTime": 2512,
    }


def test_it_stores_the_prediction_id_before_the_first_poll(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    seen: list[str | None] = []
    checkpoint = MemoryCheckpoint()
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())

    def poll_handler(request: Request) -> Response:
        seen.append(checkpoint.prediction_id)
        body = result("completed", [httpserver.url_for("/cdn/output")])
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_handler(
        poll_handler
    )
    httpserver.expect_request("/cdn/output").respond_with_data(PNG_OUTPUT, content_type="image/png")
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    WaveSpeedAdapter(make_config(httpserver)).run(request, checkpoint)

    assert seen == [PREDICTION]


def test_a_failed_prediction_raises_its_error_message(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("failed", error="prompt too long for this model")
    )
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    with pytest.raises(ProviderError, match="prompt too long for this model") as caught:
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert caught.value.retry_later is False


def test_a_server_error_on_a_poll_is_retried_and_the_run_completes(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_oneshot_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_data(
        "bad gateway", status=502
    )
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("completed", [httpserver.url_for("/cdn/output")])
    )
    httpserver.expect_request("/cdn/output").respond_with_data(PNG_OUTPUT, content_type="image/png")
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert output.data == PNG_OUTPUT
    assert len(polls(httpserver)) == 2
    assert len(posts(httpserver)) == 1


def test_a_submission_is_never_repeated_when_polling_fails_and_the_task_is_retried(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    provider_down = True
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())

    def poll_handler(request: Request) -> Response:
        if provider_down:
            return Response("internal error", status=500)
        body = result("completed", [httpserver.url_for("/cdn/output")])
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_handler(
        poll_handler
    )
    httpserver.expect_request("/cdn/output").respond_with_data(PNG_OUTPUT, content_type="image/png")
    config = make_config(httpserver, retry_attempts=3)
    checkpoint = MemoryCheckpoint()
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    # First attempt: the submission is accepted, every poll answers 500.
    with pytest.raises(PollingFailed) as caught:
        WaveSpeedAdapter(config).run(request, checkpoint)
    assert caught.value.retry_later is True
    assert checkpoint.prediction_id == PREDICTION
    assert len(posts(httpserver)) == 1
    assert len(polls(httpserver)) == 3

    # The task is retried with the same checkpoint once WaveSpeed is back.
    provider_down = False
    output = WaveSpeedAdapter(config).run(request, checkpoint)

    assert output.data == PNG_OUTPUT
    assert output.prediction_id == PREDICTION
    assert len(posts(httpserver)) == 1


def test_a_stored_prediction_is_resumed_without_any_submission(httpserver: HTTPServer) -> None:
    model = "alibaba/wan-2.5/image-to-video"
    serve_prediction(httpserver, model, output=MP4_OUTPUT, content_type="video/mp4")
    request = ProviderRequest(model=model, capability="video", prompt="go", image=KITTY)

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint(PREDICTION))

    assert posts(httpserver) == []
    assert output.data == MP4_OUTPUT


def test_polling_gives_up_with_polling_failed_after_the_poll_timeout(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model, statuses=("processing",))
    checkpoint = MemoryCheckpoint()
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    with pytest.raises(PollingFailed):
        WaveSpeedAdapter(make_config(httpserver, poll_timeout=0.2)).run(request, checkpoint)

    assert checkpoint.prediction_id == PREDICTION
    assert len(posts(httpserver)) == 1


# --- submission errors: never retried -------------------------------------------------------


def submit_with(
    httpserver: HTTPServer,
    respond: Callable[[HTTPServer, str], None],
    **config: object,
) -> MemoryCheckpoint:
    """Run a qwen-image request whose submission is answered by ``respond``; return the checkpoint."""
    model = "wavespeed-ai/qwen-image/text-to-image"
    respond(httpserver, f"/api/v3/{model}")
    checkpoint = MemoryCheckpoint()
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")
    WaveSpeedAdapter(make_config(httpserver, **config)).run(request, checkpoint)
    return checkpoint


def test_a_rate_limited_submission_raises_rate_limited_after_exactly_one_post(
    httpserver: HTTPServer,
) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        server.expect_request(path, method="POST").respond_with_json(
            {"code": 429, "message": "too many requests"}, status=429
        )

    with pytest.raises(RateLimited):
        submit_with(httpserver, respond)

    assert len(posts(httpserver)) == 1
    assert polls(httpserver) == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_on_submit_is_not_retried(httpserver: HTTPServer, status: int) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        server.expect_request(path, method="POST").respond_with_data("oops", status=status)

    with pytest.raises(ProviderUnavailable) as caught:
        submit_with(httpserver, respond)

    assert caught.value.retry_later is False
    assert len(posts(httpserver)) == 1


def test_a_read_timeout_on_submit_raises_provider_unavailable_without_retrying(
    httpserver: HTTPServer,
) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        def slow(request: Request) -> Response:
            time.sleep(0.6)
            return Response(json.dumps(accepted()), content_type="application/json")

        server.expect_request(path, method="POST").respond_with_handler(slow)

    with pytest.raises(ProviderUnavailable, match="did not answer in time") as caught:
        submit_with(httpserver, respond, read_timeout=0.2)

    assert not isinstance(caught.value, PollingFailed)
    time.sleep(0.5)  # let the slow handler finish before counting
    assert len(posts(httpserver)) == 1


def test_a_refused_submission_raises_input_rejected_with_wavespeeds_message(
    httpserver: HTTPServer,
) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        server.expect_request(path, method="POST").respond_with_json(
            {"code": 400, "message": "size must be between 256 and 1536", "data": None},
            status=400,
        )

    with pytest.raises(InputRejected, match="size must be between 256 and 1536"):
        submit_with(httpserver, respond)


def test_an_invalid_key_raises_not_configured(httpserver: HTTPServer) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        server.expect_request(path, method="POST").respond_with_json(
            {"code": 401, "message": "invalid api key"}, status=401
        )

    with pytest.raises(NotConfigured):
        submit_with(httpserver, respond)


def test_an_empty_balance_says_the_provider_account_needs_attention(
    httpserver: HTTPServer,
) -> None:
    def respond(server: HTTPServer, path: str) -> None:
        server.expect_request(path, method="POST").respond_with_json(
            {"code": 402, "message": "Insufficient balance"}, status=402
        )

    with pytest.raises(ProviderUnavailable, match="account needs attention") as caught:
        submit_with(httpserver, respond)

    assert "not been charged" in str(caught.value)


def test_a_missing_key_raises_not_configured_before_any_request(httpserver: HTTPServer) -> None:
    request = ProviderRequest(
        model="wavespeed-ai/qwen-image/text-to-image", capability="generate", prompt="a cat"
    )

    with pytest.raises(NotConfigured):
        WaveSpeedAdapter(make_config(httpserver, api_key="")).run(request, MemoryCheckpoint())

    assert httpserver.log == []


def test_an_unknown_model_path_is_rejected_before_any_request(httpserver: HTTPServer) -> None:
    request = ProviderRequest(model="wavespeed-ai/not-a-model", capability="generate", prompt="x")

    with pytest.raises(InputRejected, match="not one we offer"):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert httpserver.log == []


# --- outputs --------------------------------------------------------------------------------


def test_a_completed_prediction_without_outputs_is_malformed(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("completed", [])
    )
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    with pytest.raises(MalformedOutput):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())


def test_a_base64_data_uri_output_is_decoded(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    uri = "data:image/webp;base64," + base64.b64encode(b"RIFF\x00\x00\x00\x00WEBPVP8 ").decode()
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("completed", [uri])
    )
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert output.data == b"RIFF\x00\x00\x00\x00WEBPVP8 "
    assert output.media_type == "image/webp"


def test_a_data_uri_output_that_is_not_base64_is_malformed(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("completed", ["data:image/png;base64,@@not base64@@"])
    )
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    with pytest.raises(MalformedOutput):
        WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())


def test_an_output_that_cannot_be_downloaded_fails_so_the_task_can_fetch_it_later(
    httpserver: HTTPServer,
) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    httpserver.expect_request(f"/api/v3/{model}", method="POST").respond_with_json(accepted())
    httpserver.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_json(
        result("completed", [httpserver.url_for("/cdn/output")])
    )
    httpserver.expect_request("/cdn/output").respond_with_data("gone", status=503)
    checkpoint = MemoryCheckpoint()
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    with pytest.raises(PollingFailed):
        WaveSpeedAdapter(make_config(httpserver)).run(request, checkpoint)

    assert checkpoint.prediction_id == PREDICTION
    assert len(posts(httpserver)) == 1


def test_the_seed_reported_by_wavespeed_wins_over_the_one_sent(httpserver: HTTPServer) -> None:
    model = "wavespeed-ai/qwen-image/text-to-image"
    serve_prediction(httpserver, model, input={"seed": 987654})
    request = ProviderRequest(model=model, capability="generate", prompt="a cat")

    output = WaveSpeedAdapter(make_config(httpserver)).run(request, MemoryCheckpoint())

    assert output.seed == 987654
