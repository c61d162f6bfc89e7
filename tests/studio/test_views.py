"""Studio pages: forms that start jobs, live status, previews, and who may see what."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from accounts.models import personal_workspace
from studio.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner, make_asset):
    source = make_asset("photos/kitty.jpg")
    job = Job.objects.create(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        spec="format-webp|quality-70",
    )
    job.inputs.set([source])
    return job


JOB_URLS = ["studio-job", "studio-job-status", "studio-job-zip"]


@pytest.mark.parametrize("name", JOB_URLS)
def test_the_owner_and_a_teammate_can_open_job_urls(client, owner, teammate, job, name):
    for user in (owner, teammate):
        client.force_login(user)
        response = client.get(reverse(name, args=[job.code]))
        assert response.status_code in (200, 302), (user, response.status_code)


@pytest.mark.parametrize("name", JOB_URLS)
def test_another_user_gets_404_on_job_urls(outsider_client, job, name):
    assert outsider_client.get(reverse(name, args=[job.code])).status_code == 404


@pytest.mark.parametrize("name", JOB_URLS)
def test_anonymous_users_are_sent_to_log_in_from_job_urls(client, job, name):
    response = client.get(reverse(name, args=[job.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", JOB_URLS)
def test_job_urls_refuse_post(owner_client, job, name):
    assert owner_client.post(reverse(name, args=[job.code])).status_code == 405


def test_the_status_partial_polls_while_the_job_runs_and_stops_with_286_when_it_ends(
    owner_client, job
):
    url = reverse("studio-job-status", args=[job.code])
    running = owner_client.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    job.finish(Job.Status.FAILED, "The input was deleted.")
    ended = owner_client.get(url, headers={"HX-Request": "true"})
    assert ended.status_code == 286
    assert "hx-trigger" not in ended.content.decode()
    assert "The input was deleted." in ended.content.decode()


def test_the_social_form_starts_one_job_for_every_ticked_format(
    owner_client, make_asset, django_capture_on_commit_callbacks
):
    a, b = make_asset("photos/kitty.jpg"), make_asset("camera/jolla.jpg")
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(
            reverse("studio-social"),
            {
                "assets": [a.code, b.code],
                "formats": ["instagram-story", "x-post", "youtube-thumbnail"],
                "crop_mode": "smart",
                "pad_color": "#ffffff",
            },
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.operation == "social"
    assert job.specs == ["social-instagram-story", "social-x-post", "social-youtube-thumbnail"]
    assert set(job.inputs.all()) == {a, b}
    assert len(callbacks) == 1, "the job is enqueued once, after commit"


def test_the_social_form_builds_focal_point_and_letterbox_crops(owner_client, make_asset):
    a = make_asset("photos/kitty.jpg")
    owner_client.post(
        reverse("studio-social"),
        {
            "assets": [a.code],
            "formats": ["x-post"],
            "crop_mode": "focal",
            "focal_x": "30",
            "focal_y": "40",
        },
    )
    owner_client.post(
        reverse("studio-social"),
        {"assets": [a.code], "formats": ["x-post"], "crop_mode": "fit-pad", "pad_color": "#112233"},
    )
    specs = sorted(job.spec for job in Job.objects.all())
    assert specs == ["social-x-post|crop-fit-pad-112233", "social-x-post|crop-fp30-40"]


def test_the_social_form_refuses_another_users_asset(owner_client, outsider, make_asset):
    foreign = make_asset("photos/kitty.jpg", user=outsider)
    response = owner_client.post(
        reverse("studio-social"),
        {"assets": [foreign.code], "formats": ["x-post"], "crop_mode": "smart"},
    )
    assert response.status_code == 200
    assert "not in your library" in response.content.decode()
    assert not Job.objects.exists()


def test_the_compress_form_uses_a_preset_or_the_fields(owner_client, make_asset):
    a = make_asset("photos/kitty.jpg")
    owner_client.post(
        reverse("studio-compress"),
        {"assets": [a.code], "preset": "email", "format": "webp", "quality": "80"},
    )
    owner_client.post(
        reverse("studio-compress"),
        {
            "assets": [a.code],
            "format": "jpeg",
            "quality": "72",
            "target_kb": "150",
            "strip": "on",
            "progressive": "on",
        },
    )
    specs = [job.spec for job in Job.objects.order_by("id")]
    assert specs[0].startswith("format-jpeg|quality-70")
    assert "targetkb-200" in specs[0]
    assert specs[1] == "format-jpeg|quality-72|targetkb-150|progressive|strip"


def test_the_compression_estimate_encodes_a_sample_and_reports_savings(owner_client, make_asset):
    a = make_asset("camera/jolla.jpg")
    response = owner_client.get(
        reverse("studio-compress-estimate"),
        {"assets": [a.code], "format": "webp", "quality": "60", "strip": "on"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "jolla.jpg" in body and "%" in body


def test_the_compression_estimate_says_before_running_how_much_an_image_will_be_shrunk(
    owner_client, make_asset
):
    import re

    from studio.imaging.load import decode
    from studio.specs import parse, render

    a = make_asset("camera/jolla.jpg")
    url = reverse("studio-compress-estimate")
    query = {"assets": [a.code], "format": "jpeg", "quality": "80", "target_kb": "40"}
    body = owner_client.get(url, query, headers={"HX-Request": "true"}).content.decode()
    said = re.search(r"will be resized to about (\d+) % of its pixels", body)
    assert said, body
    # The job's own target-size search, on the full image, keeps about that share of pixels.
    with a.file.open("rb") as fp:
        decoded = decode(io.BytesIO(fp.read()), max_pixels=10**9)
    out = render(decoded, parse("format-jpeg|quality-80|targetkb-40"))
    kept = 100 * out.width * out.height / (decoded.info.width * decoded.info.height)
    assert abs(int(said[1]) - kept) <= max(10, kept / 3), (said[1], kept)

    roomy = {**query, "target_kb": "20000"}
    body = owner_client.get(url, roomy, headers={"HX-Request": "true"}).content.decode()
    assert "will be resized" not in body


def test_the_crop_preview_draws_the_crop_box_and_safe_zone(owner_client, make_asset):
    from assets.services import make_thumbnail

    a = make_asset("photos/kitty.jpg")
    make_thumbnail(a)
    response = owner_client.get(
        reverse("studio-social-preview"),
        {"assets": [a.code], "preview_format": "instagram-story", "crop_mode": "smart"},
    )
    body = response.content.decode()
    assert 'class="crop"' in body and 'class="safe"' in body


def test_the_job_zip_holds_every_output(owner_client, job, make_asset):
    from assets.services import store_rendition
    from studio.specs import parse, render_all

    source = job.inputs.get()
    with source.file.open("rb") as fp:
        (rendition,) = render_all(
            io.BytesIO(fp.read()), [parse("format-webp|quality-70")], max_pixels=10**8
        )
    output = store_rendition(
        source=source,
        spec="format-webp|quality-70",
        rendition=rendition,
        module="compress",
        user=None,
    )
    job.outputs.add(output)
    response = owner_client.get(reverse("studio-job-zip", args=[job.code]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [output.filename]
    assert len(archive.read(output.filename)) == output.bytes


def test_studio_pages_need_a_login(client):
    for name in ["studio-social", "studio-compress", "studio-jobs"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("account_login")
        )


def test_healthz_reports_database_broker_and_storage(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}


def test_healthz_says_which_part_is_down(client, settings, monkeypatch):
    from studio import health

    def broken():
        raise ConnectionError("redis down")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "error" and response.json()["database"] == "ok"


def test_the_crop_preview_and_estimate_never_show_another_users_image(
    owner_client, outsider, make_asset
):
    from assets.services import make_thumbnail

    foreign = make_asset("photos/kitty.jpg", user=outsider)
    make_thumbnail(foreign)
    preview = owner_client.get(
        reverse("studio-social-preview"), {"assets": [foreign.code], "preview_format": "x-post"}
    )
    estimate = owner_client.get(
        reverse("studio-compress-estimate"),
        {"assets": [foreign.code], "format": "webp", "quality": "60"},
    )
    for response in (preview, estimate):
        body = response.content.decode()
        assert response.status_code == 200
        assert str(foreign.code) not in body and "kitty" not in body


@pytest.mark.parametrize("name", ["studio-social-preview", "studio-compress-estimate"])
def test_preview_endpoints_need_a_login_and_refuse_post(client, owner_client, name):
    anonymous = client.__class__().get(reverse(name))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(
        reverse("account_login")
    )
    assert owner_client.post(reverse(name)).status_code == 405
