"""The Stability adapter against a loopback server that speaks Stability's v2beta API."""

from __future__ import annotations

import io
import json
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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
    PollingFailed,
    ProviderConfig,
    ProviderRequest,
    ProviderUnavailable,
    RateLimited,
)
from providers.stability import StabilityAdapter
from tests.corpus import PHOTOS

KEY = "sk-test-stability"


@dataclass
class Seen:
    """One request the fake Stability received."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


class FakeStability:
    """Records requests and answers them from a queue of responses per path."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.seen: list[Seen] = []

    def on(self, path: str, method: str, *responses: Response | Callable[[], Response]) -> None:
        queue: Iterator[Response | Callable[[], Response]] = iter(responses)

        def handler(request: Request) -> Response:
            self.seen.append(
                Seen(
                    method=request.method,
                    path=request.path,
                    headers=dict(request.headers),
                    form=request.form.to_dict(),
                    files={
                        name: (item.filename or "", item.mimetype, item.read())
                        for name, item in request.files.items()
                    },
                )
            )
            answer = next(queue)
            return answer if isinstance(answer, Response) else answer()

        self.server.expect_request(path, method=method).respond_with_handler(handler)

    def posts(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == "POST"]


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeStability:
    return FakeStability(httpserver)


def make_config(server: HTTPServer, **overrides: float) -> ProviderConfig:
    """Return a config polling every 10 ms, explicitly (as the tests' settings override does)."""
    values = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "poll_timeout": 5.0,
        "poll_interval": 0.01,
        "retry_initial": 0.01,
        "retry_attempts": 3,
    }
    values.update(overrides)
    return ProviderConfig(
        name="stability",
        api_key=KEY,
        base_url=server.url_for("/").rstrip("/"),
        max_output_bytes=10 * 1024 * 1024,
        poll_interval_explicit=bool(values.pop("poll_interval_explicit", True)),
        **values,
    )


@pytest.fixture
def adapter(httpserver: HTTPServer) -> StabilityAdapter:
    return StabilityAdapter(make_config(httpserver))


@pytest.fixture(scope="module")
def kitty() -> bytes:
    return (PHOTOS / "kitty.jpg").read_bytes()


@pytest.fixture(scope="module")
def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def mask() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("L", (64, 48), 0)
    image.paste(255, (16, 12, 48, 36))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def image_response(
    data: bytes, *, seed: str = "343940597", finish_reason: str = "SUCCESS"
) -> Response:
    return Response(
        data,
        status=200,
        content_type="image/png",
        headers={"seed": seed, "finish-reason": finish_reason},
    )


def json_response(body: dict, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def error_response(status: int, name: str, message: str) -> Response:
    return json_response({"id": "e1", "name": name, "errors": [message]}, status)


def glb_bytes() -> bytes:
    chunk = b'{"asset":{"version":"2.0"}}  '  # JSON chunks are padded to 4 bytes with spaces
    body = struct.pack("<II", len(chunk), 0x4E4F534A) + chunk
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


# --- synchronous endpoints ---------------------------------------------------------------------


def test_it_generates_with_core_and_records_the_seed_and_finish_reason(fake, adapter, png):
    fake.on("/v2beta/stable-image/generate/core", "POST", image_response(png, seed="1234"))

    output = adapter.run(
        ProviderRequest(
            model="generate/core",
            capability="generate",
            prompt="a lighthouse at dusk",
            negative_prompt="blurry",
            options={"aspect_ratio": "16:9", "seed": 42, "style_preset": "photographic"},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    assert seen.headers["Accept"] == "image/*"
    assert seen.headers["Content-Type"].startswith("multipart/form-data")
    assert seen.form == {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "aspect_ratio": "16:9",
        "seed": "42",
        "style_preset": "photographic",
    }
    assert output.data == png
    assert output.media_type == "image/png"
    assert output.seed == 1234
    assert output.finish_reason == "SUCCESS"


def test_it_sends_an_sd35_model_id_to_the_sd3_endpoint(fake, adapter, png):
    fake.on("/v2beta/stable-image/generate/sd3", "POST", image_response(png))

    adapter.run(
        ProviderRequest(
            model="generate/sd3.5-large-turbo",
            capability="generate",
            prompt="a fox",
            options={"output_format": "jpeg"},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.form == {"model": "sd3.5-large-turbo", "prompt": "a fox", "output_format": "jpeg"}


def test_it_sends_the_image_and_mask_files_for_inpaint(fake, adapter, kitty, mask, png):
    fake.on("/v2beta/stable-image/edit/inpaint", "POST", image_response(png))

    adapter.run(
        ProviderRequest(
            model="edit/inpaint",
            capability="edit",
            prompt="a red bow tie",
            image=kitty,
            mask=mask,
            options={"grow_mask": 8, "seed": 7, "aspect_ratio": "1:1"},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.files["image"] == ("image.jpg", "image/jpeg", kitty)
    assert seen.files["mask"] == ("mask.png", "image/png", mask)
    # inpaint documents no aspect_ratio, so it is not sent
    assert seen.form == {"prompt": "a red bow tie", "grow_mask": "8", "seed": "7"}


def test_it_sends_the_outpaint_directions_without_a_negative_prompt(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/edit/outpaint", "POST", image_response(png))

    adapter.run(
        ProviderRequest(
            model="edit/outpaint",
            capability="edit",
            prompt="more garden",
            negative_prompt="people",
            image=kitty,
            options={"left": 200, "right": 0, "up": 64, "creativity": 0.4},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.form == {
        "prompt": "more garden",
        "left": "200",
        "right": "0",
        "up": "64",
        "creativity": "0.4",
    }
    assert seen.files["image"][2] == kitty


def test_it_upscales_fast_with_only_the_image_and_output_format(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/upscale/fast", "POST", image_response(png, seed="0"))

    output = adapter.run(
        ProviderRequest(
            model="upscale/fast",
            capability="upscale",
            prompt="ignored by fast upscale",
            image=kitty,
            options={"output_format": "png", "seed": 9, "factor": 4},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.form == {"output_format": "png"}
    assert list(seen.files) == ["image"]
    assert output.data == png
    assert output.seed == 0


def test_it_sends_the_sketch_with_its_control_strength(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/control/sketch", "POST", image_response(png))

    adapter.run(
        ProviderRequest(
            model="control/sketch",
            capability="control",
            prompt="a watercolour cat",
            image=kitty,
            options={"control_strength": 0.7, "style_preset": "anime"},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    # control/sketch accepts style_preset without applying it, so it is left out
    assert seen.form == {"prompt": "a watercolour cat", "control_strength": "0.7"}
    assert seen.files["image"][2] == kitty


def test_it_sends_the_init_and_style_images_for_style_transfer(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/control/style-transfer", "POST", image_response(png))

    adapter.run(
        ProviderRequest(
            model="control/style-transfer",
            capability="control",
            image=kitty,
            references={"style": png},
            options={"style_strength": 0.8, "composition_fidelity": 0.9, "change_strength": 0.5},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.files["init_image"] == ("init_image.jpg", "image/jpeg", kitty)
    assert seen.files["style_image"] == ("style_image.png", "image/png", png)
    assert "image" not in seen.files
    assert seen.form == {
        "style_strength": "0.8",
        "composition_fidelity": "0.9",
        "change_strength": "0.5",
    }


def test_it_returns_a_glb_from_stable_fast_3d(fake, adapter, kitty):
    glb = glb_bytes()
    fake.on(
        "/v2beta/3d/stable-fast-3d",
        "POST",
        Response(glb, status=200, content_type="model/gltf-binary"),
    )

    output = adapter.run(
        ProviderRequest(
            model="3d/stable-fast-3d",
            capability="3d",
            image=kitty,
            options={"texture_resolution": 1024, "remesh": "none"},
        ),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert seen.form == {"texture_resolution": "1024", "remesh": "none"}
    assert seen.headers["Accept"] != "image/*"
    assert output.data == glb
    assert output.media_type == "model/gltf-binary"


# --- asynchronous endpoints --------------------------------------------------------------------


class RecordingCheckpoint(MemoryCheckpoint):
    def __init__(self, prediction_id: str | None = None) -> None:
        super().__init__(prediction_id)
        self.saves: list[str] = []

    def save(self, prediction_id: str) -> None:
        self.saves.append(prediction_id)
        super().save(prediction_id)


def test_it_polls_a_creative_upscale_until_the_image_is_ready(fake, adapter, kitty, png):
    checkpoint = RecordingCheckpoint()
    stored_at_first_poll: list[str | None] = []

    def in_progress() -> Response:
        if not stored_at_first_poll:
            stored_at_first_poll.append(checkpoint.prediction_id)
        return json_response({"id": "gen-1", "status": "in-progress"}, 202)

    fake.on(
        "/v2beta/stable-image/upscale/creative",
        "POST",
        json_response({"id": "gen-1"}, 200),
    )
    fake.on(
        "/v2beta/results/gen-1",
        "GET",
        in_progress,
        in_progress,
        image_response(png, seed="55"),
    )

    output = adapter.run(
        ProviderRequest(
            model="upscale/creative",
            capability="upscale",
            prompt="a sharp photo of a cat",
            image=kitty,
            options={"creativity": 0.3, "style_preset": "photographic"},
        ),
        checkpoint,
    )

    post, *polls = fake.seen
    assert post.headers["Accept"] == "application/json"
    assert post.form == {
        "prompt": "a sharp photo of a cat",
        "creativity": "0.3",
        "style_preset": "photographic",
    }
    assert [poll.method for poll in polls] == ["GET", "GET", "GET"]
    assert all(poll.headers["Accept"] == "image/*" for poll in polls)
    assert checkpoint.saves == ["gen-1"]
    assert stored_at_first_poll == ["gen-1"]
    assert output.data == png
    assert output.seed == 55
    assert output.prediction_id == "gen-1"


def test_a_resumed_run_polls_the_stored_id_and_never_posts(fake, adapter, kitty, png):
    fake.on("/v2beta/results/gen-stored", "GET", image_response(png))

    output = adapter.run(
        ProviderRequest(
            model="upscale/creative", capability="upscale", prompt="a cat", image=kitty
        ),
        MemoryCheckpoint("gen-stored"),
    )

    assert fake.posts() == []
    assert [seen.path for seen in fake.seen] == ["/v2beta/results/gen-stored"]
    assert output.data == png
    assert output.prediction_id == "gen-stored"


def test_it_relights_with_the_subject_image_and_background_prompt(fake, adapter, kitty, png):
    fake.on(
        "/v2beta/stable-image/edit/replace-background-and-relight",
        "POST",
        json_response({"id": "relight-1"}, 200),
    )
    fake.on("/v2beta/results/relight-1", "GET", image_response(png))
    checkpoint = MemoryCheckpoint()

    adapter.run(
        ProviderRequest(
            model="edit/replace-background-and-relight",
            capability="edit",
            prompt="a sunlit beach",
            image=kitty,
            references={"light_reference": png},
            options={"light_source_direction": "above"},
        ),
        checkpoint,
    )

    post = fake.posts()[0]
    assert post.form == {"background_prompt": "a sunlit beach", "light_source_direction": "above"}
    assert post.files["subject_image"][2] == kitty
    assert post.files["light_reference"][2] == png
    assert checkpoint.prediction_id == "relight-1"


def test_a_server_error_on_a_poll_is_retried(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/upscale/creative", "POST", json_response({"id": "g2"}, 200))
    fake.on(
        "/v2beta/results/g2",
        "GET",
        json_response({"id": "g2", "status": "in-progress"}, 202),
        error_response(503, "service_unavailable", "try again"),
        image_response(png),
    )

    output = adapter.run(
        ProviderRequest(model="upscale/creative", capability="upscale", prompt="cat", image=kitty),
        MemoryCheckpoint(),
    )

    assert output.data == png
    assert len(fake.posts()) == 1
    assert [seen.method for seen in fake.seen] == ["POST", "GET", "GET", "GET"]


def test_polls_that_keep_failing_raise_polling_failed_with_the_id_kept(fake, adapter, kitty):
    fake.on("/v2beta/stable-image/upscale/creative", "POST", json_response({"id": "g3"}, 200))
    fake.on("/v2beta/results/g3", "GET", *[error_response(502, "bad_gateway", "down")] * 3)
    checkpoint = MemoryCheckpoint()

    with pytest.raises(PollingFailed) as caught:
        adapter.run(
            ProviderRequest(
                model="upscale/creative", capability="upscale", prompt="cat", image=kitty
            ),
            checkpoint,
        )

    assert caught.value.retry_later is True
    assert "HTTP 502" in str(caught.value)
    assert checkpoint.prediction_id == "g3"
    assert len(fake.posts()) == 1


# --- errors ------------------------------------------------------------------------------------


def generate_core() -> ProviderRequest:
    return ProviderRequest(model="generate/core", capability="generate", prompt="a cat")


def test_a_moderation_refusal_is_moderated_and_says_nothing_was_charged(fake, adapter):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        error_response(403, "content_moderation", "flagged"),
    )

    with pytest.raises(Moderated) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    message = str(caught.value)
    assert "content moderation" in message
    assert "reword the prompt" in message
    assert "nothing was charged" in message


def test_a_too_large_upload_is_rejected_with_the_limit(fake, adapter, kitty):
    fake.on(
        "/v2beta/stable-image/upscale/fast",
        "POST",
        error_response(413, "payload_too_large", "body too large"),
    )

    with pytest.raises(InputRejected) as caught:
        adapter.run(
            ProviderRequest(model="upscale/fast", capability="upscale", image=kitty),
            MemoryCheckpoint(),
        )

    assert "10 MiB" in str(caught.value)


def test_an_unprocessable_request_quotes_stabilitys_first_error(fake, adapter):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        json_response(
            {
                "id": "e2",
                "name": "invalid_prompt",
                "errors": ["prompt: contains unsupported language", "second"],
            },
            422,
        ),
    )

    with pytest.raises(InputRejected) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "prompt: contains unsupported language" in str(caught.value)
    assert "second" not in str(caught.value)


def test_a_rate_limited_submission_is_not_retried(fake, adapter):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        error_response(429, "rate_limit_exceeded", "slow down"),
        image_response(b"never sent"),
    )

    with pytest.raises(RateLimited) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "try again in a minute" in str(caught.value)
    assert len(fake.posts()) == 1


def test_an_invalid_key_is_reported_as_not_configured(fake, adapter):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        error_response(401, "unauthorized", "bad key"),
    )

    with pytest.raises(NotConfigured) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "API key" in str(caught.value)


def test_a_server_error_on_the_submission_is_not_retried(fake, adapter, png):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        error_response(500, "internal_error", "boom"),
        image_response(png),
    )

    with pytest.raises(ProviderUnavailable) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert not isinstance(caught.value, PollingFailed)
    assert "HTTP 500" in str(caught.value)
    assert len(fake.posts()) == 1


def test_a_submission_that_does_not_answer_in_time_is_unavailable(fake, httpserver, png):
    adapter = StabilityAdapter(make_config(httpserver, read_timeout=0.2))

    def slow() -> Response:
        time.sleep(0.6)
        return image_response(png)

    fake.on("/v2beta/stable-image/generate/core", "POST", slow, slow)

    with pytest.raises(ProviderUnavailable) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "did not answer in time" in str(caught.value)
    time.sleep(0.5)  # let the slow handler finish before counting
    assert len(fake.posts()) == 1


def test_a_200_that_is_not_an_image_is_malformed(fake, adapter):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        Response("<html>maintenance</html>", status=200, content_type="text/html"),
    )

    with pytest.raises(MalformedOutput) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "text/html" in str(caught.value)


def test_a_content_filtered_result_is_moderated(fake, adapter, png):
    fake.on(
        "/v2beta/stable-image/generate/core",
        "POST",
        image_response(png, finish_reason="CONTENT_FILTERED"),
    )

    with pytest.raises(Moderated) as caught:
        adapter.run(generate_core(), MemoryCheckpoint())

    assert "change the prompt" in str(caught.value).lower()


# --- input checks before any request -----------------------------------------------------------


def test_inpaint_without_a_mask_is_rejected_before_any_request(adapter, httpserver, kitty):
    with pytest.raises(InputRejected) as caught:
        adapter.run(
            ProviderRequest(model="edit/inpaint", capability="edit", prompt="a hat", image=kitty),
            MemoryCheckpoint(),
        )

    assert "mask" in str(caught.value)
    assert httpserver.log == []


def test_generate_without_a_prompt_is_rejected_before_any_request(adapter, httpserver):
    with pytest.raises(InputRejected) as caught:
        adapter.run(
            ProviderRequest(model="generate/ultra", capability="generate", prompt="  "),
            MemoryCheckpoint(),
        )

    assert "prompt" in str(caught.value)
    assert httpserver.log == []


def test_outpaint_without_any_direction_is_rejected_before_any_request(adapter, httpserver, kitty):
    with pytest.raises(InputRejected):
        adapter.run(
            ProviderRequest(
                model="edit/outpaint", capability="edit", image=kitty, options={"left": 0}
            ),
            MemoryCheckpoint(),
        )

    assert httpserver.log == []


def test_a_missing_key_is_not_configured_before_any_request(httpserver):
    config = make_config(httpserver)
    adapter = StabilityAdapter(
        ProviderConfig(**{**config.__dict__, "api_key": ""}),
    )

    with pytest.raises(NotConfigured):
        adapter.run(generate_core(), MemoryCheckpoint())

    assert httpserver.log == []


# --- documented limits: polling every 10 s, ranges checked before any request -----------------


def test_polls_are_never_closer_than_ten_seconds_unless_configured_explicitly(
    fake, httpserver, kitty, png, monkeypatch
):
    """Stability: "errors may occur if you poll more than once every 10 seconds"."""
    import providers.base as base

    sleeps: list[float] = []
    monkeypatch.setattr(base.time, "sleep", sleeps.append)
    fake.on("/v2beta/stable-image/upscale/creative", "POST", json_response({"id": "gen-10s"}, 200))
    fake.on(
        "/v2beta/results/gen-10s",
        "GET",
        json_response({"id": "gen-10s", "status": "in-progress"}, 202),
        image_response(png),
    )
    # The settings default (2 s), not configured explicitly: Stability's floor applies.
    adapter = StabilityAdapter(make_config(httpserver, poll_interval=2.0, poll_interval_explicit=0))

    adapter.run(
        ProviderRequest(
            model="upscale/creative", capability="upscale", prompt="a cat", image=kitty
        ),
        MemoryCheckpoint(),
    )

    assert sleeps == [10.0, 10.0]  # before the first poll, then between the two polls


def test_an_explicitly_configured_interval_may_poll_faster_than_the_floor(httpserver, settings):
    settings.STUDIO_PROVIDER_POLL_INTERVAL_MS = 10
    config = ProviderConfig.from_settings("stability")
    assert config.poll_interval_explicit
    assert config.poll_interval_for(10.0) == 0.01


def test_the_default_interval_is_raised_to_the_documented_minimum(monkeypatch):
    from importlib import import_module

    from django.conf import settings

    monkeypatch.delenv("STUDIO_PROVIDER_POLL_INTERVAL_MS", raising=False)
    default = import_module(settings.SETTINGS_MODULE).STUDIO_PROVIDER_POLL_INTERVAL_MS
    monkeypatch.setattr(settings, "STUDIO_PROVIDER_POLL_INTERVAL_MS", default)
    config = ProviderConfig.from_settings("stability")
    assert not config.poll_interval_explicit
    assert config.poll_interval_for(10.0) == max(10.0, default / 1000)


OUT_OF_RANGE = [
    # (model, options, words the message must contain)
    ("upscale/creative", {"creativity": 0.6}, ["Creativity", "0.1 and 0.5", "Creative Upscale"]),
    ("upscale/creative", {"creativity": 0.05}, ["Creativity", "0.1 and 0.5", "Creative Upscale"]),
    ("upscale/conservative", {"creativity": 0.1}, ["0.2 and 0.5", "Conservative Upscale"]),
    ("edit/erase", {"grow_mask": 21}, ["Grow mask", "0 and 20", "Stability Erase"]),
    ("edit/search-and-replace", {"grow_mask": 30, "search_prompt": "cat"}, ["0 and 20"]),
    ("edit/search-and-recolor", {"grow_mask": 30, "select_prompt": "cat"}, ["0 and 20"]),
    ("edit/inpaint", {"grow_mask": 101}, ["0 and 100", "Stability Inpaint"]),
    ("generate/sd3.5-large", {"output_format": "webp"}, ["SD3.5 Large", "JPEG or PNG"]),
    ("generate/sd3.5-flash", {"output_format": "webp"}, ["SD3.5 Flash", "JPEG or PNG"]),
]


@pytest.mark.parametrize(("model", "options", "words"), OUT_OF_RANGE)
def test_a_value_outside_the_documented_range_is_refused_before_any_request(
    adapter, httpserver, kitty, mask, model, options, words
):
    request = ProviderRequest(
        model=model,
        capability=model.split("/")[0],
        prompt="a cat",
        image=kitty if not model.startswith("generate") else None,
        mask=mask,
        options=options,
    )
    with pytest.raises(InputRejected) as refused:
        adapter.run(request, MemoryCheckpoint())
    for word in words:
        assert word in str(refused.value)
    assert httpserver.log == []


def test_the_documented_edges_of_a_range_are_sent(fake, adapter, kitty, png):
    fake.on("/v2beta/stable-image/edit/erase", "POST", image_response(png))
    adapter.run(
        ProviderRequest(
            model="edit/erase",
            capability="edit",
            image=_with_alpha(kitty),
            options={"grow_mask": 20},
        ),
        MemoryCheckpoint(),
    )
    assert fake.seen[0].form["grow_mask"] == "20"


def _with_alpha(data: bytes) -> bytes:
    """Return ``data`` as an RGBA PNG whose middle is transparent (the area to change)."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA").resize((128, 96))
    rgba.paste((0, 0, 0, 0), (32, 24, 96, 72))
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    return buffer.getvalue()


def test_inpaint_without_a_mask_sends_an_image_with_alpha_and_no_mask(fake, adapter, kitty, png):
    """Stability derives the mask from the alpha channel when none is sent (API reference)."""
    fake.on("/v2beta/stable-image/edit/inpaint", "POST", image_response(png))
    source = _with_alpha(kitty)

    adapter.run(
        ProviderRequest(model="edit/inpaint", capability="edit", prompt="a bow", image=source),
        MemoryCheckpoint(),
    )

    (seen,) = fake.seen
    assert set(seen.files) == {"image"}
    assert seen.files["image"] == ("image.png", "image/png", source)


def test_erase_without_a_mask_on_an_opaque_image_is_refused_before_any_request(
    adapter, httpserver, kitty
):
    with pytest.raises(InputRejected, match="Stability Erase needs a mask"):
        adapter.run(
            ProviderRequest(model="edit/erase", capability="edit", image=kitty),
            MemoryCheckpoint(),
        )
    assert httpserver.log == []
