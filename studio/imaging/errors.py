"""The one error the imaging package raises for inputs it refuses, and its common refusals."""

from __future__ import annotations

from typing import Final

ACCEPTED_FORMATS_TEXT = "JPEG, PNG, WebP, AVIF, GIF, TIFF, BMP or HEIC"


class ImageError(ValueError):
    """An image was refused or could not be processed; str() tells the user what to do.

    The message is written for the person who uploaded the file, not for a developer:
    it says what is wrong in plain words and, where there is one, what to do instead.
    Technical detail belongs in the exception chain (``raise ImageError(...) from exc``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


#: Leading bytes of common files that are not images, to name them in the refusal.
NOT_IMAGE_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"<svg", "an SVG drawing"),
    (b"<?xml", "an XML or SVG file"),
    (b"<!DOCTYPE", "a web page"),
    (b"<html", "a web page"),
    (b"\xff\x0a", "a JPEG XL image"),
    (b"\x00\x00\x00\x0cJXL ", "a JPEG XL image"),
    (b"ID3", "an audio file"),
    (b"\x1a\x45\xdf\xa3", "a video file"),
)


def too_large(size: tuple[int, int] | None = None, max_pixels: int | None = None) -> ImageError:
    """Return the refusal of an image over the pixel limit (size and limit when known)."""
    if size is None or max_pixels is None:
        detail = "it claims to be far larger than any real photo"
    else:
        detail = (
            f"it is {size[0]}×{size[1]} pixels "
            f"({size[0] * size[1] / 1e6:.0f} MP; the limit is {max_pixels / 1e6:.0f} MP)"
        )
    return ImageError(
        f"This image is too large to process ({detail}). Resize it and upload it again."
    )


def not_an_image(head: bytes) -> ImageError:
    """Return the refusal of a file that is no image we read, naming what it looks like."""
    stripped = head.lstrip()
    for signature, what in NOT_IMAGE_SIGNATURES:
        if stripped[: len(signature)].lower() == signature.lower():
            return ImageError(
                f"This file is not an image we can read (it looks like {what}). "
                f"Upload a {ACCEPTED_FORMATS_TEXT} file."
            )
    return ImageError(
        f"This file is not an image we can read. Upload a {ACCEPTED_FORMATS_TEXT} file."
    )
