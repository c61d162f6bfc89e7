"""Erasing without a model: fill a masked area from its surroundings with OpenCV's Telea inpaint.

The mask is an image where white marks what to remove; it may be any size (it is stretched to
the image) and any mode (a transparent area of an RGBA mask counts as black, so a brush
stroke on a transparent layer works). Sizes are (width, height) and boxes (left, top, right,
bottom) in image pixels.

Method: cv2.inpaint with INPAINT_TELEA (A. Telea, "An image inpainting technique based on the
fast marching method", J. Graphics Tools 9(1), 2004), which propagates the colours of the
mask's border inwards. We compared it with OpenCV-contrib's xphoto.inpaint FSR_FAST (frequency
selective reconstruction, Genser et al. 2018) and Navier-Stokes on corpus/photos: inside a
25-pixel-radius hole FSR came out 1 % closer to the true pixels than Telea (RMS 26.5 against
26.6 levels at radius 9) but took 15 s against 0.23 s for a 5 % mask on a 2 MP image, so
Telea it is.

Speed is bounded: only the mask's bounding box plus a margin is processed, and when that
region is larger than `DEFAULT_WORKING_PIXELS`, or the mask fills more than
`DEFAULT_WORKING_MASKED_PIXELS` of it, it is reduced until both fit, inpainted, enlarged again
and pasted back through the full-resolution mask. Pixels outside the grown mask are
never changed, to the bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from PIL import Image, ImageChops

from studio.imaging.errors import ImageError

if TYPE_CHECKING:
    import numpy as np

Size = tuple[int, int]
Box = tuple[int, int, int, int]

#: Telea's neighbourhood radius in working pixels. On 16 corpus/photos at 450×300 with a
#: 25-pixel-radius disc erased, the RMS error inside the disc against the true pixels was
#: 33.3 levels at radius 5, 32.9 at 9 and 32.8 at 15 (1 % apart), while the time grows with
#: the radius squared: 0.84 s at 5 against 2.8 s at 9 for a 0.47 MP hole. So 5.
DEFAULT_RADIUS: Final = 5
#: How far the mask is grown (dilated) before filling, in image pixels, so the soft edge of a
#: brush stroke, anti-aliasing and JPEG ringing around the object go too. 5 is the default of
#: the grow_mask parameter of Stability AI's Erase API (v2beta/stable-image/edit/erase), which
#: our "edit/erase" models share an option name with.
DEFAULT_GROW: Final = 5
#: The largest region inpainted at full resolution: 2 MP, where Telea with a 5 % mask took
#: 0.23 s on one core; larger regions are reduced to this size.
DEFAULT_WORKING_PIXELS: Final = 2_000_000
#: The most masked (filled) pixels inpainted at full resolution. Telea's time is about
#: linear in the filled area (0.84 s for 0.47 MP at radius 5, 0.34 s at radius 3), so 0.25 MP
#: keeps one erase near half a second (0.53 s of Telea, 0.76 s in all, for a 5 % mask on a
#: 12 MP photo: benchmarks/local_ops.py); a larger hole is filled at reduced resolution,
#: which costs little because a Telea fill is smooth (it carries no texture) anyway.
DEFAULT_WORKING_MASKED_PIXELS: Final = 250_000
#: Refuse a mask covering more than this fraction of the image (before growing): with less
#: than a tenth of the picture left to fill from, Telea smears the border colours across the
#: whole image. That is a job for an AI edit, and the message says so.
MAX_MASK_COVERAGE: Final = 0.9
#: A mask pixel at or above this grey level (of 255) marks the area to remove: 50 %.
_MASK_THRESHOLD: Final = 128
#: Context kept around the mask's bounding box, in working pixels: Telea reads only pixels
#: within its radius of the border; three radii leave room for the enlarged mask's edge.
_MARGIN_RADII: Final = 3


@dataclass(frozen=True)
class EraseResult:
    """What `erase_region` did.

    image: the result, same size and mode as the input. box: the region that was processed,
    (left, top, right, bottom) in image pixels. working_size: (width, height) the region was
    inpainted at, equal to the box's size unless it was reduced. coverage: the fraction of the
    image the mask covered before growing (0..1).
    """

    image: Image.Image
    box: Box
    working_size: Size
    coverage: float

    @property
    def working_scale(self) -> float:
        """Return working width / region width (1.0 when inpainted at full resolution)."""
        return self.working_size[0] / (self.box[2] - self.box[0])


def prepare_mask(mask: Image.Image, size: Size, *, grow: int = DEFAULT_GROW) -> Image.Image:
    """Return the mask as an "L" image of size holding 0 (keep) and 255 (erase), grown by grow px.

    The mask is flattened over black (transparent = keep), converted to grey, stretched to size
    with bilinear interpolation, binarised at 50 % and dilated by a disc of radius grow pixels
    (0 = not grown). Raises ValueError for a negative grow.
    """
    if grow < 0:
        raise ValueError(f"grow must be >= 0 pixels, got {grow}")
    return _grown(_binarised(mask, size), grow)


def _grown(binary: Image.Image, grow: int) -> Image.Image:
    """Dilate a 0/255 "L" mask by a disc of radius grow pixels."""
    if grow == 0 or binary.getbbox() is None:
        return binary
    import cv2
    import numpy as np

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return Image.fromarray(cv2.dilate(np.asarray(binary), kernel))


def erase(
    image: Image.Image,
    mask: Image.Image,
    *,
    radius: int = DEFAULT_RADIUS,
    grow: int = DEFAULT_GROW,
    working_pixels: int = DEFAULT_WORKING_PIXELS,
    working_masked_pixels: int = DEFAULT_WORKING_MASKED_PIXELS,
) -> Image.Image:
    """Return image with the white area of mask filled in from its surroundings.

    See `erase_region`, which this calls, for arguments, shapes and errors.
    """
    return erase_region(
        image,
        mask,
        radius=radius,
        grow=grow,
        working_pixels=working_pixels,
        working_masked_pixels=working_masked_pixels,
    ).image


def erase_region(
    image: Image.Image,
    mask: Image.Image,
    *,
    radius: int = DEFAULT_RADIUS,
    grow: int = DEFAULT_GROW,
    working_pixels: int = DEFAULT_WORKING_PIXELS,
    working_masked_pixels: int = DEFAULT_WORKING_MASKED_PIXELS,
) -> EraseResult:
    """Fill the white area of mask from its surroundings; return the image and what was done.

    image: "L", "LA", "RGB" or "RGBA" are kept as they are; other modes are converted to RGB,
    or RGBA when they carry transparency (so "P" comes back as RGB/RGBA). Alpha is kept
    unchanged: erasing changes colours, never transparency.
    mask: any mode and size, white = erase (see `prepare_mask`). radius: Telea's neighbourhood
    in working pixels (>= 1). grow: pixels the mask is dilated by. working_pixels: the largest
    region (width × height) inpainted without first reducing it; working_masked_pixels: the
    most grown-mask pixels filled without first reducing the region.

    Raises ImageError when the mask is empty or covers more than MAX_MASK_COVERAGE of the image;
    ValueError for radius < 1, grow < 0 or a working size < 1.
    """
    if grow < 0:
        raise ValueError(f"grow must be >= 0 pixels, got {grow}")
    if radius < 1:
        raise ValueError(f"radius must be >= 1 pixel, got {radius}")
    if working_pixels < 1 or working_masked_pixels < 1:
        raise ValueError("working_pixels and working_masked_pixels must be >= 1")
    image = _supported_mode(image)
    painted = _binarised(mask, image.size)
    coverage = _coverage(painted)
    if coverage == 0:
        raise ImageError(
            "The mask is empty, so there is nothing to erase. "
            "Paint over the object you want to remove (in white), then try again."
        )
    if coverage > MAX_MASK_COVERAGE:
        raise ImageError(
            f"The mask covers {coverage:.0%} of the image, which leaves too little to fill it "
            "from. Paint over just the object you want to remove, or use an AI edit "
            "(inpaint) to replace most of the picture."
        )
    grown = _grown(painted, grow)
    box, working_size = _plan(
        grown,
        image.size,
        radius=radius,
        working_pixels=working_pixels,
        working_masked_pixels=working_masked_pixels,
    )
    region = image.crop(box)
    region_mask = grown.crop(box)
    filled = _inpaint(region, region_mask, working_size, radius)
    out = image.copy()
    if image.mode in ("RGBA", "LA"):
        filled.putalpha(region.getchannel("A"))  # erasing never changes transparency
    out.paste(filled, box[:2], mask=region_mask)
    return EraseResult(image=out, box=box, working_size=working_size, coverage=coverage)


def _supported_mode(image: Image.Image) -> Image.Image:
    """Return image in "L", "LA", "RGB" or "RGBA" (8 bits per sample)."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in image.info:
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return _sixteen_to_l(image)
    if mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _sixteen_to_l(image: Image.Image) -> Image.Image:
    """Scale 16-bit samples ("I;16*", or "I" holding 16-bit values) to 8 bits, as load.decode does."""
    import numpy as np

    wide = np.asarray(image, dtype=np.uint32)
    return Image.fromarray(((np.clip(wide, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8))


def _binarised(mask: Image.Image, size: Size) -> Image.Image:
    """Flatten over black, convert to grey, stretch to size, threshold at _MASK_THRESHOLD."""
    if mask.mode in ("RGBA", "LA", "PA", "RGBa", "La") or mask.has_transparency_data:
        rgba = mask.convert("RGBA")
        grey = ImageChops.multiply(rgba.convert("L"), rgba.getchannel("A"))
    elif mask.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = _sixteen_to_l(mask)
    else:
        grey = mask.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.BILINEAR)
    return grey.point(lambda value: 255 if value >= _MASK_THRESHOLD else 0)


def _coverage(mask: Image.Image) -> float:
    """Return the fraction of a 0/255 "L" mask that is 255."""
    histogram = mask.histogram()
    return histogram[255] / (mask.width * mask.height)


def _plan(
    mask: Image.Image,
    size: Size,
    *,
    radius: int,
    working_pixels: int,
    working_masked_pixels: int,
) -> tuple[Box, Size]:
    """Return the region to process (mask bbox + margin, in the image) and its working size.

    The working scale is the largest (<= 1) that keeps the region within working_pixels and
    the masked pixels within working_masked_pixels.
    """
    bbox = mask.getbbox()
    assert bbox is not None  # an empty mask was refused before
    left, top, right, bottom = bbox
    masked = mask.histogram()[255]
    mask_scale = math.sqrt(working_masked_pixels / masked)
    # The margin is counted in working pixels, so estimate the reduction from the bbox first.
    bbox_pixels = (right - left) * (bottom - top)
    scale = min(1.0, mask_scale, math.sqrt(working_pixels / bbox_pixels))
    margin = math.ceil(_MARGIN_RADII * radius / scale)
    box = (
        max(0, left - margin),
        max(0, top - margin),
        min(size[0], right + margin),
        min(size[1], bottom + margin),
    )
    width, height = box[2] - box[0], box[3] - box[1]
    scale = min(1.0, mask_scale, math.sqrt(working_pixels / (width * height)))
    return box, (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))


def _inpaint(
    region: Image.Image, mask: Image.Image, working_size: Size, radius: int
) -> Image.Image:
    """Inpaint region (L/LA/RGB/RGBA) where mask is 255, at working_size; return region's size.

    A reduced working copy is made with BOX (area) averaging for both image and mask, and a
    working pixel counts as masked if any of its area is, so no colour of the object leaks
    into the pixels Telea fills from (plus one pixel against BOX rounding slivers to 0). The fill is enlarged back with bicubic interpolation;
    the caller pastes it through the full-resolution mask.
    """
    import cv2
    import numpy as np

    colour_mode = "L" if region.mode in ("L", "LA") else "RGB"
    colour = region.convert(colour_mode) if region.mode != colour_mode else region
    reduced = working_size != region.size
    if reduced:
        colour = colour.resize(working_size, Image.Resampling.BOX)
        mask = mask.resize(working_size, Image.Resampling.BOX).point(
            lambda value: 255 if value else 0
        )
    working_mask = np.asarray(mask)
    if reduced:  # a sliver of overlap can round to 0 in BOX averaging: one more pixel
        working_mask = cv2.dilate(working_mask, np.ones((3, 3), np.uint8))
    pixels: np.ndarray = np.asarray(colour)
    if colour_mode == "RGB":
        pixels = pixels[:, :, ::-1]  # OpenCV expects BGR; Telea treats channels alike anyway
    result = cv2.inpaint(np.ascontiguousarray(pixels), working_mask, radius, cv2.INPAINT_TELEA)
    if colour_mode == "RGB":
        result = np.ascontiguousarray(result[:, :, ::-1])
    filled = Image.fromarray(result)
    if reduced:
        filled = filled.resize(region.size, Image.Resampling.BICUBIC)
    return filled
