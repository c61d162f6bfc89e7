"""Where the shared test corpus lives, for tests that use real images (read-only, by path)."""

from __future__ import annotations

from pathlib import Path

#: ../shared/corpus from the project root; see its SOURCES.md for what each folder holds.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EDGE = CORPUS / "edge"
CAMERA = CORPUS / "camera"
PHOTOS = CORPUS / "photos"
