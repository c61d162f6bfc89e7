"""The apply_spec management command: one output per spec and input, JSON lines, exit codes."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from studio.social import SOCIAL_FORMATS
from tests.corpus import CAMERA, EDGE, PHOTOS


def run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("apply_spec", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_writes_one_output_per_spec_and_input(tmp_path):
    lines = run(
        "social-x-post,fill-200x200-center|format-webp",
        str(CAMERA / "jolla.jpg"),
        str(PHOTOS / "kitty.jpg"),
        "--output",
        str(tmp_path),
    )
    assert [(Image.open(line["output"]).size, line["format"]) for line in lines] == [
        ((1200, 675), "jpeg"),
        ((200, 200), "webp"),
        ((1200, 675), "jpeg"),
        ((200, 200), "webp"),
    ]
    assert lines[1] == {
        "input": str(CAMERA / "jolla.jpg"),
        "output": str(tmp_path / "jolla.fill-200x200-center_format-webp.webp"),
        "width": 200,
        "height": 200,
        "format": "webp",
        "bytes": (tmp_path / "jolla.fill-200x200-center_format-webp.webp").stat().st_size,
        "spec": "fill-200x200-center|format-webp",
    }


def test_it_reports_a_refused_input_and_exits_with_1(tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 inputs were refused") as error:
        call_command(
            "apply_spec",
            "width-50",
            str(EDGE / "truncated_jpeg.jpg"),
            str(EDGE / "hopper.png"),
            "--output",
            str(tmp_path),
            stdout=out,
        )
    assert error.value.returncode == 1
    refused, made = (json.loads(line) for line in out.getvalue().splitlines())
    assert refused["input"] == str(EDGE / "truncated_jpeg.jpg")
    assert "damaged or incomplete" in refused["error"]
    assert made["output"].endswith("hopper.width-50.png")


def test_it_refuses_a_bad_spec_before_reading_any_file(tmp_path):
    with pytest.raises(CommandError, match="Bad spec: 'fill-10x10' is not a valid fill step"):
        run("width-50,fill-10x10", str(tmp_path / "missing.jpg"), "--output", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_it_needs_a_spec_files_and_an_output(tmp_path):
    with pytest.raises(CommandError, match="--output DIR"):
        run("width-50", str(EDGE / "hopper.png"))


def test_it_lists_the_social_formats():
    lines = run("--list-formats")
    assert len(lines) == 20
    assert lines[0] == {
        "name": "instagram-feed-square",
        "platform": "instagram",
        "width": 1080,
        "height": 1080,
        "max_bytes": 30 * 1024 * 1024,
    }
    assert [line["name"] for line in lines] == list(SOCIAL_FORMATS)


@pytest.mark.django_db
def test_it_runs_an_ai_spec_through_the_provider_it_names(tmp_path):
    (line,) = run(
        "upscale-local-lanczos|factor-2", str(PHOTOS / "kitty.jpg"), "--output", str(tmp_path)
    )
    source = Image.open(PHOTOS / "kitty.jpg")
    assert Image.open(line["output"]).size == (source.width * 2, source.height * 2)
    assert (line["provider"], line["model"], line["spec"]) == (
        "local",
        "upscale/lanczos",
        "upscale-local-lanczos|factor-2",
    )


@pytest.mark.django_db
def test_it_generates_from_a_prompt_given_by_option(tmp_path, settings, httpserver):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "sk",
            "base_url": httpserver.url_for("").rstrip("/"),
            "env": ["X"],
        },
    }
    image = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(image, "PNG")
    httpserver.expect_request(
        "/v2beta/stable-image/generate/core", method="POST"
    ).respond_with_data(image.getvalue(), content_type="image/png", headers={"seed": "42"})
    (line,) = run(
        "generate-stability-core|seed-42", "--prompt", "a red square", "--output", str(tmp_path)
    )
    assert line["seed"] == 42 and Image.open(line["output"]).size == (64, 64)
    assert b"a red square" in httpserver.log[0][0].get_data()


@pytest.mark.django_db
def test_it_reports_a_provider_without_a_key_and_exits_with_status_1(tmp_path, settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "",
            "base_url": "http://127.0.0.1:9",
            "env": ["STABILITY_API_KEY"],
        },
    }
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 AI calls failed"):
        call_command(
            "apply_spec",
            "generate-stability-core",
            "--prompt",
            "x",
            "--output",
            str(tmp_path),
            stdout=out,
        )
    assert "STABILITY_API_KEY" in json.loads(out.getvalue())["error"]


def test_studio_spec_renders_image_specs_without_django(tmp_path):
    """The console script: same JSON lines as apply_spec, with no Django in the process."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "studio-spec"
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, no database
    result = subprocess.run(
        [str(script), "social-x-post", str(CAMERA / "jolla.jpg"), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stdout.splitlines()]
    assert (line["width"], line["height"], line["format"]) == (1200, 675, "jpeg")
    assert Image.open(line["output"]).size == (1200, 675)
    formats = subprocess.run(
        [str(script), "--list-formats"], capture_output=True, text=True, env=env
    )
    assert len(formats.stdout.splitlines()) == len(SOCIAL_FORMATS)
    refused = subprocess.run(
        [str(script), "social-x-post", str(EDGE / "truncated_jpeg.jpg"), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert refused.returncode == 1 and "error" in json.loads(refused.stdout.splitlines()[0])
