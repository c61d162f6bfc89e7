"""The settings module: typed environment helpers and a clean `check --deploy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.env import env_bool, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent


def test_env_helpers_read_types_and_secret_files(monkeypatch, tmp_path):
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_bool("X_BOOL") is True and env_bool("X_MISSING", True) is True
    assert env_int("X_INT", 0) == 42
    assert env_list("X_LIST") == ["a", "b", "c"]
    assert env_secret("X_SECRET") == "s3cr3t"


def test_env_int_names_the_variable_it_cannot_read(monkeypatch):
    monkeypatch.setenv("X_INT", "many")
    with pytest.raises(ValueError, match="X_INT"):
        env_int("X_INT", 0)


def test_check_deploy_is_clean_with_production_variables():
    # Test fixtures may set DJANGO_ALLOW_ASYNC_UNSAFE (Playwright); a deployment never does.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "SITE_ROOT": "https://studio.example.com",
        "ALLOWED_HOSTS": "studio.example.com",
        "SECRET_KEY": "p" * 20 + "r0duct10n-k3y-w1th-3n0ugh-r4nd0mn3ss-XyZ",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_console_mail_backend_prints_links_whole():
    import io

    from django.core.mail import EmailMessage

    from studio.mail import ReadableConsoleBackend

    link = "http://127.0.0.1:8000/accounts/confirm-email/" + "k" * 120 + "/"
    stream = io.StringIO()
    ReadableConsoleBackend(stream=stream).send_messages(
        [EmailMessage("Confirm", f"Go to {link}", "a@example.com", ["b@example.com"])]
    )
    assert link in stream.getvalue()


def test_the_embedded_broker_keeps_every_folder_under_var_dir(tmp_path):
    # Run from an empty working directory: kombu's defaults are relative (`control/`, `data_in/`),
    # so a folder the options forget would appear here rather than under VAR_DIR.
    var_dir = tmp_path / "var"
    script = """
import json
from django.conf import settings
from kombu import Connection
from kombu.transport.filesystem import Channel

with Connection(settings.CELERY_BROKER_URL,
                transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
    queue = conn.SimpleQueue("probe")
    queue.put({"n": 1})
    assert queue.get(timeout=5).payload == {"n": 1}
    channel = conn.default_channel
    folders = {name: str(getattr(channel, name)) for name in dir(Channel) if "_folder" in name}
    queue.close()
print(json.dumps({"var_dir": str(settings.VAR_DIR), "folders": folders}))
"""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "STUDIO_CACHE_URL", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        STUDIO_VAR_DIR=str(var_dir),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(shown["var_dir"]) == var_dir
    assert {"data_folder_in", "data_folder_out", "processed_folder", "control_folder"} <= set(
        shown["folders"]
    )
    for name, folder in shown["folders"].items():
        assert Path(folder).is_absolute() and Path(folder).is_relative_to(var_dir), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var"]
