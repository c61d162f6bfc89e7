"""Completeness of HEIF and AVIF files, read from their ISOBMFF boxes without decoding.

HEIC and AVIF keep their pixels as items (tiles, the primary image, alpha, EXIF) whose bytes
the ``iloc`` box locates in the file. libheif decodes a file cut short anyway and fills the
tiles it cannot read with green, so a truncated upload would pass for a whole image. This
module checks every box and every item extent against the file's length instead.

Box layout from ISO/IEC 14496-12 (ISOBMFF) §4.2 (box header), §8.11.3 (``iloc``, versions
0-2) and §8.11.11 (``idat``); HEIF is ISO/IEC 23008-12, AVIF the AOM AVIF spec, both on it.
"""

from __future__ import annotations

import struct
from typing import IO, Final

from studio.imaging.errors import ImageError

#: Largest metadata box we read into memory. Real ``meta`` boxes are a few KB (a 12 MP
#: iPhone HEIC: 3.7 KB, with 48 tiles); a larger one is refused rather than read.
MAX_META_BYTES: Final = 4 * 1024 * 1024

# construction_method values of an iloc item (§8.11.3.3).
_FILE_OFFSET, _IDAT_OFFSET = 0, 1

TRUNCATED = (
    "This image is incomplete (the file was cut short, e.g. by an interrupted copy or "
    "download), so we can't use it. Upload the whole file again."
)


class _Truncated(Exception):
    """A box or an item extent ends after the end of the file."""


def check_complete(fp: IO[bytes]) -> None:
    """Raise ImageError when a HEIF/AVIF file is shorter than its boxes and items say.

    fp: a seekable binary file object of an ISOBMFF image; its position is restored. Checks
    that each top-level box and each ``meta`` child fits in the file, and that every item
    extent in ``iloc`` (file offsets, or offsets into ``idat``) ends inside the file. Reads
    only the box headers and the ``meta`` box (at most MAX_META_BYTES). A file without a
    ``meta`` box, or one too damaged to parse, is left for the decoder to refuse.
    """
    start = fp.tell()
    try:
        fp.seek(0, 2)
        length = fp.tell()
        fp.seek(0)
        meta = _top_level_meta(fp, length)
        if meta is not None:
            _check_meta(meta, length)
    except _Truncated:
        raise ImageError(TRUNCATED) from None
    except (struct.error, ValueError):
        return
    finally:
        fp.seek(start)


def _boxes(data: bytes, start: int, end: int):
    """Yield (type, payload start, box end) of the boxes in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise ValueError("box size smaller than its header")
        if pos + size > end:
            raise _Truncated
        yield kind, pos + header, pos + size
        pos += size


def _top_level_meta(fp: IO[bytes], length: int) -> bytes | None:
    """Walk the top-level box headers; return the ``meta`` box's bytes (or None)."""
    pos, meta = 0, None
    while pos + 8 <= length:
        fp.seek(pos)
        head = fp.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1:
            (size,) = struct.unpack_from(">Q", head, 8)
        elif size == 0:
            size = length - pos
        if size < 8:
            raise ValueError("box size smaller than its header")
        if pos + size > length:
            raise _Truncated
        if kind == b"meta":
            if size > MAX_META_BYTES:
                raise ValueError("meta box too large to check")
            fp.seek(pos)
            meta = fp.read(size)
        pos += size
    return meta


def _check_meta(meta: bytes, length: int) -> None:
    """Check the children of a ``meta`` box (a FullBox: 4 bytes of version and flags)."""
    (box,) = list(_boxes(meta, 0, len(meta)))
    _, payload, end = box
    children = {kind: (start, stop) for kind, start, stop in _boxes(meta, payload + 4, end)}
    idat = children.get(b"idat")
    idat_size = idat[1] - idat[0] if idat else 0
    if (iloc := children.get(b"iloc")) is not None:
        for method, offset, size in _extents(meta, *iloc):
            limit = length if method == _FILE_OFFSET else idat_size
            if method in (_FILE_OFFSET, _IDAT_OFFSET) and size and offset + size > limit:
                raise _Truncated


def _extents(data: bytes, start: int, end: int):
    """Yield (construction method, offset, length) of every item extent in an ``iloc``."""
    pos = start
    version = data[pos]
    pos += 4
    sizes = data[pos] >> 4, data[pos] & 15, data[pos + 1] >> 4, data[pos + 1] & 15
    offset_size, length_size, base_size, index_size = sizes
    index_size = index_size if version in (1, 2) else 0
    pos += 2
    count, pos = _uint(data, pos, 2 if version < 2 else 4)
    for _ in range(count):
        _, pos = _uint(data, pos, 2 if version < 2 else 4)  # item_ID
        method = 0
        if version in (1, 2):
            method, pos = _uint(data, pos, 2)
            method &= 15
        pos += 2  # data_reference_index
        base, pos = _uint(data, pos, base_size)
        extent_count, pos = _uint(data, pos, 2)
        for _ in range(extent_count):
            pos += index_size
            offset, pos = _uint(data, pos, offset_size)
            size, pos = _uint(data, pos, length_size)
            if pos > end:
                raise ValueError("iloc runs past its box")
            yield method, base + offset, size


def _uint(data: bytes, pos: int, size: int) -> tuple[int, int]:
    """Read a big-endian unsigned integer of 0, 2, 4 or 8 bytes; return (value, new pos)."""
    if size not in (0, 2, 4, 8):
        raise ValueError(f"field size {size}")
    if pos + size > len(data):
        raise ValueError("field runs past the data")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size
