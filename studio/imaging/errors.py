"""The one error the imaging package raises for inputs it refuses."""

from __future__ import annotations

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
