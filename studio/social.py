"""Social platform formats and compression presets, as data.

Pixel sizes, safe zones and file-size limits are the seed values of shared/PROVIDERS.md
("Social platforms — formats" and the limits paragraph below its table), which in turn
summarise each platform's help pages. Safe zones are the fractions of the height (top,
bottom) and width (left, right) that the platform's own interface may cover (profile
picture, captions, buttons): keep text and faces out of them.

YouTube publishes 2 MB for thumbnails only; for channel art it publishes 6 MB (YouTube
Help, "Manage your channel's branding"), but PROVIDERS.md seeds the 2 MB figure for the
platform, so channel art uses 2 MB too, the stricter value, until someone confirms 6 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MB: Final = 1024 * 1024

SafeZone = tuple[float, float, float, float]

#: Platform key -> (label shown to users, largest upload in bytes).
PLATFORMS: Final[dict[str, tuple[str, int]]] = {
    "instagram": ("Instagram", 30 * MB),
    "facebook": ("Facebook", 30 * MB),
    "x": ("X (Twitter)", 5 * MB),
    "linkedin": ("LinkedIn", 8 * MB),
    "youtube": ("YouTube", 2 * MB),
    "pinterest": ("Pinterest", 20 * MB),
    "tiktok": ("TikTok", 10 * MB),
}


@dataclass(frozen=True)
class SocialFormat:
    """One platform-exact image format.

    name: "<platform>-<format>", used in specs as ``social-<name>``. width, height: pixels.
    safe_zone: (top, bottom, left, right) fractions of the image the platform may cover.
    max_bytes: the platform's upload limit for images.
    """

    name: str
    platform: str
    platform_label: str
    label: str
    width: int
    height: int
    safe_zone: SafeZone
    max_bytes: int

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""
        return (self.width, self.height)

    @property
    def title(self) -> str:
        """Return e.g. "Instagram feed portrait"."""
        return f"{self.platform_label} {self.label[0].lower()}{self.label[1:]}"


# Safe zones by layout family (PROVIDERS.md uses four).
_POST: Final[SafeZone] = (0.15, 0.15, 0.10, 0.10)
_PORTRAIT: Final[SafeZone] = (0.20, 0.20, 0.10, 0.10)
_VERTICAL: Final[SafeZone] = (0.25, 0.15, 0.10, 0.10)
_BANNER: Final[SafeZone] = (0.20, 0.10, 0.15, 0.15)

_SEEDS: Final[tuple[tuple[str, str, str, int, int, SafeZone], ...]] = (
    ("instagram", "feed-square", "Feed square", 1080, 1080, _POST),
    ("instagram", "feed-portrait", "Feed portrait", 1080, 1350, _PORTRAIT),
    ("instagram", "story", "Story", 1080, 1920, _VERTICAL),
    ("instagram", "reel-cover", "Reel cover", 1080, 1920, _VERTICAL),
    ("facebook", "feed", "Feed", 1200, 630, _POST),
    ("facebook", "feed-square", "Feed square", 1080, 1080, _POST),
    ("facebook", "story", "Story", 1080, 1920, _VERTICAL),
    ("facebook", "cover", "Cover", 820, 312, _BANNER),
    ("x", "post", "Post", 1200, 675, _POST),
    ("x", "card", "Card", 1200, 600, _POST),
    ("x", "header", "Header", 1500, 500, _BANNER),
    ("linkedin", "feed", "Feed", 1200, 628, _POST),
    ("linkedin", "feed-square", "Feed square", 1080, 1080, _POST),
    ("linkedin", "article-cover", "Article cover", 1200, 627, _POST),
    ("linkedin", "company-cover", "Company cover", 1128, 191, _BANNER),
    ("youtube", "thumbnail", "Thumbnail", 1280, 720, _POST),
    ("youtube", "channel-art", "Channel art", 2560, 1440, _BANNER),
    ("pinterest", "pin", "Pin", 1000, 1500, _PORTRAIT),
    ("pinterest", "story-pin", "Story pin", 1080, 1920, _VERTICAL),
    ("tiktok", "video-cover", "Video cover", 1080, 1920, _VERTICAL),
)

#: The 20 formats by name, in PROVIDERS.md order.
SOCIAL_FORMATS: Final[dict[str, SocialFormat]] = {
    f"{platform}-{key}": SocialFormat(
        name=f"{platform}-{key}",
        platform=platform,
        platform_label=PLATFORMS[platform][0],
        label=label,
        width=width,
        height=height,
        safe_zone=safe_zone,
        max_bytes=PLATFORMS[platform][1],
    )
    for platform, key, label, width, height, safe_zone in _SEEDS
}


@dataclass(frozen=True)
class CompressionPreset:
    """A named spec offered on the compression page (PROVIDERS.md, "Compression presets")."""

    name: str
    label: str
    spec: str


COMPRESSION_PRESETS: Final[dict[str, CompressionPreset]] = {
    preset.name: preset
    for preset in (
        CompressionPreset("web", "Web (WebP, quality 80)", "format-webp|quality-80|strip"),
        CompressionPreset(
            "email",
            "Email (JPEG, quality 70, at most 200 KB)",
            "format-jpeg|quality-70|targetkb-200|strip",
        ),
        CompressionPreset("social", "Social (JPEG, quality 85)", "format-jpeg|quality-85|strip"),
        CompressionPreset("high-quality", "High quality (PNG, keeps metadata)", "format-png"),
        CompressionPreset("maximum", "Maximum (WebP, quality 60)", "format-webp|quality-60|strip"),
    )
}
