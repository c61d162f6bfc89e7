"""Safe decoding: read headers first, refuse what we cannot handle, then decode to 8-bit sRGB.

Everything an upload can throw at Pillow (wrong type, damaged data, decompression bombs,
CMYK, 16-bit, palettes with transparency, foreign colour profiles, EXIF orientation,
animations) ends here either as a `Decoded` RGB/RGBA image or as an `ImageError` whose
message the user can act on.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Final

import pillow_heif
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from studio.imaging.budget import bits_per_sample, decode_cost, over_budget
from studio.imaging.errors import ACCEPTED_FORMATS_TEXT, ImageError, not_an_image, too_large
from studio.imaging.isobmff import check_complete

if TYPE_CHECKING:
    import numpy as np

pillow_heif.register_heif_opener()
# AVIF is decoded natively by Pillow >= 11.3 (features.check("avif")); nothing to register.

#: Pillow format names we accept, decided from the file's content. HEIC/HEIF via pillow-heif.
ACCEPTED_FORMATS: Final = frozenset({"JPEG", "PNG", "WEBP", "AVIF", "GIF", "TIFF", "BMP", "HEIF"})

EXIF_ORIENTATION: Final = 0x0112  # TIFF/EXIF 2.32 tag 274
EXIF_GPS_IFD: Final = 0x8825  # TIFF/EXIF 2.32 tag 34853, pointer to the GPS IFD

#: EXIF orientation -> the transpose that makes the image upright (EXIF 2.32, section 4.6.4).
_UPRIGHT: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Errors Pillow and its plugins raise on damaged data (struct/EOF from header parsers).
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_ICC: Final[bytes] = _SRGB.tobytes()


@dataclass(frozen=True)
class ImageInfo:
    """What the headers say about an image; sizes are upright (after EXIF orientation)."""

    format: str
    width: int
    height: int
    mode: str
    has_alpha: bool
    orientation: int
    has_gps: bool
    frames: int
    has_icc_profile: bool
    #: Bits per sample as stored in the file (16 for a 16-bit TIFF or PNG, 10 for HDR HEIC).
    bits_per_sample: int = 8
    #: A progressive JPEG (its decoder keeps every DCT coefficient; studio.imaging.budget).
    progressive: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels, upright."""
        return (self.width, self.height)


@dataclass
class Decoded:
    """An upright 8-bit sRGB image ready for geometry, and what to carry into outputs.

    image: mode "RGB" or "RGBA" (RGBA only if some pixel is not opaque); may be smaller
    than ``info.size`` when a shrink-on-load was asked for. icc_profile: sRGB profile bytes
    to embed, or None when the source had none (sRGB is then assumed). exif: the source
    EXIF with orientation reset to 1, or None. notes: remarks for the user.
    """

    image: Image.Image
    info: ImageInfo
    icc_profile: bytes | None = None
    exif: bytes | None = None
    notes: list[str] = field(default_factory=list)


def probe(fp: IO[bytes], *, max_pixels: int) -> ImageInfo:
    """Return what the headers of an image file say, without decoding its pixels.

    fp: a binary file object positioned at the start. max_pixels: the largest
    width x height accepted (the one limit: Pillow's own MAX_IMAGE_PIXELS warning is not
    used). Raises ImageError for non-images, formats outside ACCEPTED_FORMATS, unreadable
    headers, decompression bombs, and HEIF/AVIF files shorter than their item locations say
    (studio.imaging.isobmff). Reads headers only: bounded work whatever the pixel count.
    """
    with _open(fp, max_pixels=max_pixels) as image:
        return _info(image)


def decode(
    fp: IO[bytes],
    *,
    max_pixels: int,
    min_size: tuple[int, int] | None = None,
    max_bytes: int | None = None,
) -> Decoded:
    """Decode the first frame of an image file to an upright 8-bit sRGB RGB/RGBA image.

    min_size: (width, height) upright, the smallest decoded size the caller needs; JPEGs
    are then shrunk by 1/2, 1/4 or 1/8 while decoding (libjpeg DCT scaling) as long as
    both dimensions stay >= min_size. max_bytes: a memory budget; the decode is refused
    before any pixel is read when studio.imaging.budget.decode_cost exceeds it. Raises
    ImageError as `probe` does, for a decode over max_bytes, and for damaged or truncated
    pixel data.
    """
    with _open(fp, max_pixels=max_pixels) as image:
        info = _info(image)
        if max_bytes is not None and (cost := decode_cost(info, min_size=min_size)) > max_bytes:
            raise over_budget(info, cost, max_bytes)
        notes: list[str] = []
        if info.frames > 1:
            notes.append(f"Animated {info.format}: used the first of {info.frames} frames")
            image.seek(0)
        if min_size is not None and info.format == "JPEG":
            _draft(image, min_size, info.orientation)
        icc = image.info.get("icc_profile") or None
        exif = _exif_bytes(image)
        try:
            image.load()
            rgb = _to_8bit_rgb(image, notes)
        except (*_DECODE_ERRORS, Image.DecompressionBombError) as exc:
            raise ImageError(
                "This image is damaged or incomplete, so we can't read it. "
                "Open it in another app and save it again, then upload the new copy."
            ) from exc
    rgb, icc_out = _to_srgb(rgb, icc, notes)
    rgb = _drop_opaque_alpha(rgb)
    if (transpose := _UPRIGHT.get(info.orientation)) is not None:  # FLIP_LEFT_RIGHT == 0
        rgb = rgb.transpose(transpose)
    rgb.info = {}  # metadata travels in Decoded, never implicitly through image.info
    return Decoded(image=rgb, info=info, icc_profile=icc_out, exif=exif, notes=notes)


def _open(fp: IO[bytes], *, max_pixels: int) -> ImageFile.ImageFile:
    """Open lazily (headers only) and apply every check that needs no pixels."""
    head = fp.read(16)
    fp.seek(0)
    if not head:
        raise ImageError("This file is empty. Upload an image file.")
    try:
        with warnings.catch_warnings():
            # The limit is max_pixels, checked below; Pillow's warning (at MAX_IMAGE_PIXELS,
            # 89.5 MP by default) would refuse images under it. Its error (at twice that)
            # still stops bombs; assets.apps raises MAX_IMAGE_PIXELS to STUDIO_MAX_PIXELS.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise too_large() from exc
    except UnidentifiedImageError as exc:
        raise not_an_image(head) from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(
            "This image is damaged, so we can't read it. "
            "Open it in another app and save it again, then upload the new copy."
        ) from exc
    if image.format not in ACCEPTED_FORMATS:
        image.close()
        raise ImageError(
            f"We can't use {image.format} files. Upload a {ACCEPTED_FORMATS_TEXT} file."
        )
    if image.width < 1 or image.height < 1 or image.width * image.height > max_pixels:
        image.close()
        raise too_large(image.size, max_pixels)
    if image.format in ("HEIF", "AVIF"):
        try:
            check_complete(fp)
        except ImageError:
            image.close()
            raise
    return image


def _info(image: ImageFile.ImageFile) -> ImageInfo:
    """Read an ImageInfo from an opened (not decoded) image."""
    exif = _exif(image)
    orientation = exif.get(EXIF_ORIENTATION, 1) if exif is not None else 1
    if orientation not in range(1, 9):
        orientation = 1
    width, height = image.size
    if orientation >= 5:
        width, height = height, width
    try:
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise too_large() from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(
            "This animation is damaged, so we can't read it. Upload a still image instead."
        ) from exc
    return ImageInfo(
        format=str(image.format),
        width=width,
        height=height,
        mode=image.mode,
        has_alpha=image.has_transparency_data,
        orientation=orientation,
        has_gps=exif is not None and EXIF_GPS_IFD in exif,
        frames=frames,
        has_icc_profile=bool(image.info.get("icc_profile")),
        bits_per_sample=bits_per_sample(image),
        progressive=bool(image.info.get("progressive") or image.info.get("progression")),
    )


def _exif(image: Image.Image) -> Image.Exif | None:
    """Return the parsed EXIF, or None when absent or too damaged to parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" is a warning, not our problem
            # PngImageFile.getexif() decodes the pixels to look for an eXIf chunk after the
            # image data; the base method reads only what the headers gave us.
            exif = Image.Image.getexif(image)
    except _DECODE_ERRORS:
        return None
    return exif if len(exif) else None


def _exif_bytes(image: Image.Image) -> bytes | None:
    """Return the EXIF block with orientation reset to 1 (the pixels will be upright)."""
    exif = _exif(image)
    if exif is None:
        return None
    if EXIF_ORIENTATION in exif:
        exif[EXIF_ORIENTATION] = 1
    try:
        return exif.tobytes()
    except _DECODE_ERRORS:
        return None


def _draft(image: ImageFile.ImageFile, min_size: tuple[int, int], orientation: int) -> None:
    """Ask libjpeg for the largest 1/2^n reduction that stays >= min_size (upright)."""
    want_w, want_h = min_size
    if orientation >= 5:  # the file stores the image on its side
        want_w, want_h = want_h, want_w
    # Image.draft picks the largest scale s in (8, 4, 2) with size // s >= the request,
    # and leaves the image alone when even 1/2 would be too small.
    image.draft(image.mode, (max(want_w, 1), max(want_h, 1)))


def _to_8bit_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any decoded mode to 8-bit "RGB", "RGBA" or (colour-managed later) "L"/"LA"/"CMYK".

    Grey and CMYK stay as they are so that an embedded grey or CMYK ICC profile can still be
    applied by `_to_srgb`; everything else becomes RGB or RGBA.
    """
    mode = image.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK") and not (
        mode in ("RGB", "L") and "transparency" in image.info
    ):
        if mode == "CMYK":
            notes.append("Converted from CMYK")
        return image
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        notes.append("Converted from 16-bit")
        return Image.fromarray(_to_uint8(image), "L")
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA", "L", "RGB") and image.has_transparency_data:
        return image.convert("RGBA")
    if mode in ("La", "RGBa", "PA"):
        return image.convert("RGBA")
    return image.convert("RGB")  # P without transparency, YCbCr, LAB, HSV, RGBX


#: Rows converted at a time in `_to_uint8`: the temporaries stay a few MB, not several
#: copies of the image (a 9000×9000 16-bit TIFF took 1.3 GB converted in one go).
_ROWS_PER_CHUNK: Final = 256


def _to_uint8(image: Image.Image) -> np.ndarray:
    """Scale 16-bit (or 32-bit integer holding 16-bit) samples, or float 0..1, to 0..255.

    Converts bands of _ROWS_PER_CHUNK rows (cropped, so numpy never copies the whole image),
    and the only full-size array made is the 8-bit result.
    """
    import numpy as np  # here, not at the top: importing numpy costs ~23 MB of RSS

    width, height = image.size
    out = np.empty((height, width), dtype=np.uint8)

    def bands():
        for top in range(0, height, _ROWS_PER_CHUNK):
            bottom = min(top + _ROWS_PER_CHUNK, height)
            yield top, np.asarray(image.crop((0, top, width, bottom)))

    scale = None
    if image.mode == "F":  # samples 0..1 are scaled up; larger ones are taken as 0..255
        high = max((float(np.nanmax(rows, initial=0.0)) for _, rows in bands()), default=0.0)
        scale = 255.0 if high <= 1.0 else 1.0
    for top, rows in bands():
        if scale is not None:
            out[top : top + len(rows)] = np.clip(np.nan_to_num(rows) * scale + 0.5, 0, 255)
        else:
            wide = np.clip(rows.astype(np.uint32), 0, 65535)
            out[top : top + len(rows)] = (wide * 255 + 32767) // 65535
    return out


def _to_srgb(
    image: Image.Image, icc: bytes | None, notes: list[str]
) -> tuple[Image.Image, bytes | None]:
    """Convert colour to sRGB through the embedded ICC profile; return (RGB/RGBA, icc to embed).

    A damaged profile, or one for another colour space than the pixels (a grey JPEG tagged
    with an RGB profile exists in our corpus), is ignored and the pixels taken as sRGB.
    """
    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    colour = image.convert(image.mode[:-1] or "L") if alpha is not None else image
    profile = _profile(icc, colour.mode, notes)
    if profile is None or _is_srgb(profile):
        out = colour if colour.mode == "RGB" else colour.convert("RGB")
        out_icc = icc if profile is not None else None
    else:
        transform = ImageCms.buildTransform(
            profile,
            _SRGB,
            colour.mode,
            "RGB",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        if colour.mode == "RGB":  # our own decoded pixels: convert in place, no second copy
            ImageCms.applyTransform(colour, transform, inPlace=True)
            out = colour
        else:
            out = ImageCms.applyTransform(colour, transform)
        out_icc = SRGB_ICC
        notes.append(f"Converted colours from {_describe(profile)} to sRGB")
    if alpha is not None:
        out.putalpha(alpha)
    return out, out_icc


_COLOUR_SPACE_FOR_MODE: Final = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}


def _profile(icc: bytes | None, mode: str, notes: list[str]) -> ImageCms.ImageCmsProfile | None:
    """Parse an ICC profile that matches the pixels' colour space, else None (with a note)."""
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError):
        notes.append("Ignored a damaged colour profile; assumed sRGB")
        return None
    if profile.profile.xcolor_space.strip() != _COLOUR_SPACE_FOR_MODE.get(mode):
        notes.append("Ignored a colour profile that does not match the image; assumed sRGB")
        return None
    return profile


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """Return True for sRGB-named RGB profiles, which need no conversion."""
    return "srgb" in _describe(profile).lower() and profile.profile.xcolor_space.strip() == "RGB"


def _describe(profile: ImageCms.ImageCmsProfile) -> str:
    return (profile.profile.profile_description or "the embedded profile").strip()


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """Return RGB when every alpha value is 255, so "has transparency" means what it says."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image
