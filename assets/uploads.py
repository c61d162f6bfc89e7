"""An upload handler that stops taking a file's bytes at the per-file limit.

Django's handlers (memory, then a temporary file) would otherwise keep every byte of a 60 MB
file before store_upload could refuse it. LimitedUploadHandler goes first in
``request.upload_handlers`` (set by assets.views.upload before the body is read, as in
Django's "Modifying upload handlers on the fly"): the bytes of a file past
STUDIO_MAX_UPLOAD_BYTES are counted and dropped, what the next handlers had kept is
discarded, and the form gets a `TooLargeUpload` carrying the name and the size, so
store_upload refuses it with the same message as any file over the limit.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class TooLargeUpload(UploadedFile):
    """A file dropped at the per-file limit: its name and full size in bytes, no content."""

    def __init__(self, name: str, size: int, content_type: str | None = None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)


class LimitedUploadHandler(FileUploadHandler):
    """Pass a file's chunks on until it passes ``limit`` bytes, then count and drop them.

    limit: bytes per file (settings.STUDIO_MAX_UPLOAD_BYTES). The multipart body is still
    read to its end (the request's size is capped before reading, from Content-Length), but
    nothing past the limit is kept in memory or on disk.
    """

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.over = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received, self.over = 0, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.over:
            return None
        if self.received > self.limit:
            self.over = True
            self._discard_kept()
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.over:
            return None  # the next handler returns the file it kept
        return TooLargeUpload(self.file_name, self.received, self.content_type)

    def _discard_kept(self) -> None:
        """Close what the later handlers kept of this file (a temporary file is deleted)."""
        handlers = getattr(self.request, "upload_handlers", [])
        for handler in handlers[handlers.index(self) + 1 :] if self in handlers else []:
            kept = getattr(handler, "file", None)
            if kept is not None:
                kept.close()
