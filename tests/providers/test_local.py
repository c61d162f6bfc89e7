"""The local provider on encoded files: upscale/lanczos and edit/erase, and what it refuses."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from providers.base import InputRejected, MemoryCheckpoint, ProviderConfig, ProviderRequest
from providers.local import LocalAdapter
from tests.corpus import CAMERA, EDGE, PHOTOS


@pytest.fixture
def adapter() -> LocalAdapter:
    return LocalAdapter(ProviderConfig.from_settings("local"))


def run(adapter: LocalAdapter, model: str, **fields):
    capability = "upscale" if model.startswith("upscale") else "edit"
    request = ProviderRequest(model=model, capability=capability, **fields)
    return adapter.run(request, MemoryCheckpoint())


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def red_excess(pixels: np.ndarray) -> float:
    wide = pixels.astype(np.float64)
    return float(np.mean(wide[..., 0] - (wide[..., 1] + wide[..., 2]) / 2))


def test_the_adapter_is_named_local(adapter):
    assert adapter.name == "local"


def test_upscale_by_two_returns_a_png_of_double_the_size(adapter):
    data = (PHOTOS / "kitty.jpg").read_bytes()  # 640×427
    output = run(adapter, "upscale/lanczos", image=data, options={"factor": 2})
    assert output.media_type == "image/png"
    result = opened(output.data)
    assert result.format == "PNG"
    assert result.size == (1280, 854)
    assert output.details["factor"] == 2
    assert (output.details["width"], output.details["height"]) == (1280, 854)
    # The pixels are the photo's, enlarged: shrunk back they match the decoded source.
    source = Image.open(PHOTOS / "kitty.jpg").convert("RGB")
    back = result.convert("RGB").resize(source.size, Image.Resampling.LANCZOS)
    assert np.abs(np.asarray(back, float) - np.asarray(source, float)).mean() < 3


def test_upscale_defaults_to_a_factor_of_two(adapter):
    output = run(adapter, "upscale/lanczos", image=(PHOTOS / "img.jpg").read_bytes())
    assert opened(output.data).size == (1000, 562)
    assert output.details["factor"] == 2


def test_upscale_writes_the_output_format_asked_for(adapter):
    data = (PHOTOS / "img.jpg").read_bytes()  # 500×281
    output = run(
        adapter, "upscale/lanczos", image=data, options={"factor": 3, "output_format": "jpeg"}
    )
    assert output.media_type == "image/jpeg"
    result = opened(output.data)
    assert (result.format, result.size) == ("JPEG", (1500, 843))


def test_a_transparent_image_stays_a_png_whatever_format_is_asked_for(adapter):
    data = (EDGE / "pil123rgba.png").read_bytes()  # 162×150
    output = run(
        adapter, "upscale/lanczos", image=data, options={"factor": 2, "output_format": "jpeg"}
    )
    result = opened(output.data)
    assert (output.media_type, result.format, result.mode) == ("image/png", "PNG", "RGBA")
    assert result.size == (324, 300)
    assert result.getchannel("A").getextrema() == (0, 255)


def test_upscale_to_a_target_width_keeps_the_aspect_ratio(adapter):
    data = (PHOTOS / "kitty.jpg").read_bytes()  # 640×427
    output = run(adapter, "upscale/lanczos", image=data, options={"width": 1600})
    assert opened(output.data).size == (1600, 1068)
    assert output.details["factor"] == 2.5


def test_upscale_to_a_target_box_fits_inside_it(adapter):
    data = (PHOTOS / "kitty.jpg").read_bytes()  # 640×427
    output = run(adapter, "upscale/lanczos", image=data, options={"width": 2000, "height": 854})
    assert opened(output.data).size == (1280, 854)


def test_upscale_applies_the_exif_orientation_first(adapter):
    data = (EDGE / "hopper_orientation_6.jpg").read_bytes()  # stored sideways, 128×128
    upright = Image.open(EDGE / "hopper_orientation_6.jpg").convert("RGB").rotate(-90)
    result = opened(run(adapter, "upscale/lanczos", image=data).data).convert("RGB")
    back = result.resize((128, 128), Image.Resampling.LANCZOS)
    error_upright = np.abs(np.asarray(back, float) - np.asarray(upright, float)).mean()
    unrotated = Image.open(EDGE / "hopper_orientation_6.jpg").convert("RGB")
    error_unrotated = np.abs(np.asarray(back, float) - np.asarray(unrotated, float)).mean()
    assert error_upright < 5 < error_unrotated


def test_a_camera_photo_comes_back_upright_and_enlarged(adapter):
    data = (CAMERA / "DSCN0010.jpg").read_bytes()  # 640×480
    output = run(adapter, "upscale/lanczos", image=data, options={"factor": 4})
    assert opened(output.data).size == (2560, 1920)


def test_a_result_over_the_pixel_limit_is_refused_with_its_size_and_the_limit(adapter, settings):
    settings.STUDIO_MAX_PIXELS = 5_000_000
    data = (PHOTOS / "65380541.jpg").read_bytes()  # 900×600: 4× is 8.64 MP
    with pytest.raises(InputRejected) as refused:
        run(adapter, "upscale/lanczos", image=data, options={"factor": 4})
    assert str(refused.value) == (
        "The result would be 8.6 megapixels; the limit is 5 megapixels. Choose a smaller factor."
    )
    output = run(adapter, "upscale/lanczos", image=data, options={"factor": 2})  # 2.16 MP fits
    assert opened(output.data).size == (1800, 1200)


def test_a_target_size_over_the_pixel_limit_asks_for_a_smaller_size(adapter, settings):
    settings.STUDIO_MAX_PIXELS = 5_000_000
    data = (PHOTOS / "65380541.jpg").read_bytes()
    with pytest.raises(InputRejected, match=r"would be 9\.0 megapixels.*Choose a smaller size"):
        run(adapter, "upscale/lanczos", image=data, options={"width": 3674})


def test_an_input_over_the_pixel_limit_is_refused(adapter, settings):
    settings.STUDIO_MAX_PIXELS = 500_000
    data = (PHOTOS / "65380541.jpg").read_bytes()  # 0.54 MP
    with pytest.raises(InputRejected, match="too large to process"):
        run(adapter, "upscale/lanczos", image=data)


@pytest.mark.parametrize(
    "name", ["truncated_jpeg.jpg", "broken.png", "broken_data_stream.png", "decompression_bomb.gif"]
)
def test_a_damaged_image_is_refused_with_a_message_for_the_user(adapter, name):
    with pytest.raises(InputRejected) as refused:
        run(adapter, "upscale/lanczos", image=(EDGE / name).read_bytes())
    message = str(refused.value)
    assert "damaged" in message or "too large" in message or "not an image" in message


def test_bytes_that_are_not_an_image_are_refused(adapter):
    with pytest.raises(InputRejected, match="looks like a PDF"):
        run(adapter, "upscale/lanczos", image=b"%PDF-1.7\n" + b"0" * 100)


def test_a_missing_image_is_refused(adapter):
    with pytest.raises(InputRejected, match="Choose an image"):
        run(adapter, "upscale/lanczos")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"factor": 5}, "factor of 2, 3 or 4"),
        ({"factor": 1}, "factor of 2, 3 or 4"),
        ({"factor": "2.5"}, "factor must be a whole number"),
        ({"factor": 2, "output_format": "gif"}, "PNG, JPEG, WebP or AVIF"),
        ({"width": 300}, "already 640×427 pixels"),
        ({"width": 0}, "width must be at least 1"),
    ],
)
def test_bad_upscale_options_are_refused(adapter, options, message):
    data = (PHOTOS / "kitty.jpg").read_bytes()
    with pytest.raises(InputRejected, match=message):
        run(adapter, "upscale/lanczos", image=data, options=options)


def test_an_unknown_model_is_refused(adapter):
    with pytest.raises(InputRejected, match="not available"):
        run(adapter, "upscale/esrgan", image=(PHOTOS / "kitty.jpg").read_bytes())


# --- erase -----------------------------------------------------------------------------------

BOX = (420, 250, 480, 310)  # on the deck and cables of the Golden Gate bridge


def painted_bridge() -> tuple[Image.Image, bytes]:
    """Return the bridge photo with a red square and its JPEG-free (PNG) encoding."""
    image = Image.open(PHOTOS / "64786603.jpg").convert("RGB")
    ImageDraw.Draw(image).rectangle((BOX[0], BOX[1], BOX[2] - 1, BOX[3] - 1), fill=(255, 0, 0))
    return image, png(image)


def test_erase_with_a_png_mask_removes_the_painted_square(adapter):
    painted, data = painted_bridge()
    mask = Image.new("L", painted.size, 0)
    ImageDraw.Draw(mask).rectangle((BOX[0] - 2, BOX[1] - 2, BOX[2] + 1, BOX[3] + 1), fill=255)
    output = run(adapter, "edit/erase", image=data, mask=png(mask))

    assert output.media_type == "image/png"
    result = np.asarray(opened(output.data).convert("RGB"))
    assert result.shape[:2] == (painted.height, painted.width)
    region = (slice(BOX[1], BOX[3]), slice(BOX[0], BOX[2]))
    assert red_excess(np.asarray(painted)[region]) > 100
    assert red_excess(result[region]) < 20
    far = (slice(0, 200), slice(0, 300))  # well outside the grown mask: untouched, PNG exact
    assert np.array_equal(result[far], np.asarray(painted)[far])
    assert output.details["width"] == painted.width
    assert 0 < output.details["mask_coverage"] < 0.01


def test_erase_takes_a_mask_of_another_size_and_writes_jpeg_when_asked(adapter):
    painted, data = painted_bridge()
    small = Image.new("L", (300, 199), 0)  # a third of the image size
    ImageDraw.Draw(small).rectangle((138, 81, 161, 104), fill=255)
    output = run(
        adapter, "edit/erase", image=data, mask=png(small), options={"output_format": "jpeg"}
    )
    assert output.media_type == "image/jpeg"
    result = np.asarray(opened(output.data).convert("RGB"))
    region = (slice(BOX[1], BOX[3]), slice(BOX[0], BOX[2]))
    assert red_excess(result[region]) < 20


def test_erase_refuses_an_empty_mask(adapter):
    painted, data = painted_bridge()
    empty = png(Image.new("L", painted.size, 0))
    with pytest.raises(InputRejected, match="The mask is empty, so there is nothing to erase"):
        run(adapter, "edit/erase", image=data, mask=empty)


def test_erase_refuses_a_mask_over_almost_everything(adapter):
    painted, data = painted_bridge()
    with pytest.raises(InputRejected, match="The mask covers 100% of the image"):
        run(adapter, "edit/erase", image=data, mask=png(Image.new("L", painted.size, 255)))


def test_erase_without_a_mask_asks_for_one(adapter):
    _, data = painted_bridge()
    with pytest.raises(InputRejected, match="Paint over what you want to erase"):
        run(adapter, "edit/erase", image=data)


def test_erase_refuses_a_damaged_mask(adapter):
    _, data = painted_bridge()
    with pytest.raises(InputRejected, match="The mask: This image is damaged"):
        run(adapter, "edit/erase", image=data, mask=(EDGE / "truncated_jpeg.jpg").read_bytes())


def test_erase_keeps_transparency_and_returns_png(adapter):
    painted, _ = painted_bridge()
    rgba = painted.convert("RGBA")
    alpha = Image.linear_gradient("L").resize(rgba.size)
    rgba.putalpha(alpha)
    mask = Image.new("L", rgba.size, 0)
    ImageDraw.Draw(mask).rectangle((BOX[0] - 2, BOX[1] - 2, BOX[2] + 1, BOX[3] + 1), fill=255)
    output = run(
        adapter, "edit/erase", image=png(rgba), mask=png(mask), options={"output_format": "webp"}
    )
    result = opened(output.data)
    assert (output.media_type, result.mode) == ("image/png", "RGBA")
    assert result.getchannel("A").tobytes() == alpha.tobytes()


def test_a_bad_grow_mask_is_refused(adapter):
    painted, data = painted_bridge()
    mask = png(Image.new("L", painted.size, 0))
    with pytest.raises(InputRejected, match="grow mask must be between 0 and 100"):
        run(adapter, "edit/erase", image=data, mask=mask, options={"grow_mask": 500})
