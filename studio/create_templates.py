"""The Create Studio's 26 platform templates, as data.

Which templates exist and which fields they carry are the seeds of shared/PROVIDERS.md ("Create
Studio data from the seeds": instagram 4, facebook 4, twitter 3, linkedin 4, youtube 2,
pinterest 2, tiktok 1, blog 2, email 2, website 2). Pixel sizes of social formats are that
file's "Social platforms — formats" table, the same values as studio.social.SOCIAL_FORMATS
(named in ``social_format``); blog, email and website sizes are common practice, not a
platform's rule: blog featured 1200×630 (the Open Graph share size), blog in-article 1200×800,
email header 600×200 and email hero 600×400 (the usual 600 px e-mail body width), website hero
1920×1080 (a full-HD viewport), website product 1000×1000.

Models generate only Stability's nine aspect ratios (studio.ai_steps.ASPECT_RATIOS), so each
template names the ratio nearest its pixel size (nearest on a log scale, so 2:1 and 1:2 are
equally far from 1:1) and the Social Optimizer crops to the exact size afterwards. Wide
banners lose the most: X header 3:1, email header 3:1, Facebook cover ≈2.63:1 and LinkedIn
company cover ≈5.9:1 are all generated at 21:9, the widest ratio there is.

``model_key`` is a registry and price key (providers/migrations/0002_seed_registry.py);
quality follows the model's registry tier: draft = budget (sd3.5-flash), standard = balanced
(core, ideogram-v3-turbo), premium = quality (ultra, sd3.5-large). Ideogram, recommended where
the image usually carries words (thumbnails, pins, cards, headers), takes no style preset, so
those templates have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Categories (PROVIDERS.md seeds) -> label shown on the page.
CATEGORIES: Final[dict[str, str]] = {
    "social_media": "Social media",
    "blog_content": "Blog content",
    "ad_creative": "Ad creative",
    "product": "Product",
    "brand_assets": "Brand assets",
    "email_marketing": "Email marketing",
}
#: Platforms in the order the page groups them -> label. ("twitter" is X; its social formats
#: are named "x-...".)
PLATFORMS: Final[dict[str, str]] = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "twitter": "X (Twitter)",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "pinterest": "Pinterest",
    "tiktok": "TikTok",
    "blog": "Blog",
    "email": "Email",
    "website": "Website",
}
QUALITIES: Final = ("draft", "standard", "premium")
SUBJECT: Final = "{subject}"


@dataclass(frozen=True)
class PlatformTemplate:
    """A starting point for one platform format: size, model, style and prompt scaffolding.

    width, height: the platform's exact pixel size; aspect_ratio: the generation ratio nearest
    it (one of studio.ai_steps.ASPECT_RATIOS). prompt_template starts with "{subject}, " and
    holds no other braces; negative_prompt is comma-separated phrases. style_preset is one of
    studio.ai_steps.STYLE_PRESETS or "". social_format names a studio.social.SOCIAL_FORMATS
    entry of the same size, or is "" where the platform has none (blog, email, website).
    """

    id: str
    name: str
    category: str
    platform: str
    aspect_ratio: str
    width: int
    height: int
    description: str
    model_key: str
    style_preset: str
    quality: str
    prompt_template: str
    negative_prompt: str
    use_cases: tuple[str, ...]
    social_format: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""
        return (self.width, self.height)

    @property
    def platform_label(self) -> str:
        """Return the platform as users read it, e.g. "X (Twitter)"."""
        return PLATFORMS[self.platform]

    def prompt_for(self, subject: str) -> str:
        """Return the prompt template with the user's subject in place of "{subject}".

        The subject is inserted as it is (after stripping), braces and all: no str.format.
        """
        return self.prompt_template.replace(SUBJECT, subject.strip())


ULTRA = "generate-stability-ultra"
CORE = "generate-stability-core"
LARGE = "generate-stability-sd3.5-large"
FLASH = "generate-stability-sd3.5-flash"
IDEOGRAM = "generate-wavespeed-ideogram-v3-turbo"

_TEMPLATES: Final = (
    # --- Instagram -------------------------------------------------------------------------
    PlatformTemplate(
        id="instagram-feed-square",
        name="Instagram feed post (square)",
        category="social_media",
        platform="instagram",
        aspect_ratio="1:1",
        width=1080,
        height=1080,
        description="The classic square post: one clear subject that reads at thumbnail size.",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, bold scroll-stopping composition, centred subject, vibrant colours, clean background",
        negative_prompt="cluttered background, cropped subject",
        use_cases=("product showcase", "announcement", "behind the scenes"),
        social_format="instagram-feed-square",
    ),
    PlatformTemplate(
        id="instagram-feed-portrait",
        name="Instagram feed post (portrait)",
        category="social_media",
        platform="instagram",
        aspect_ratio="4:5",
        width=1080,
        height=1350,
        description="The tallest feed post, taking the most screen space in the feed.",
        model_key=ULTRA,
        style_preset="photographic",
        quality="premium",
        prompt_template="{subject}, vertical editorial composition filling the frame, lifestyle photography, soft window light",
        negative_prompt="empty space, cropped subject",
        use_cases=("lifestyle", "fashion", "portrait"),
        social_format="instagram-feed-portrait",
    ),
    PlatformTemplate(
        id="instagram-story",
        name="Instagram story",
        category="social_media",
        platform="instagram",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        description="Full-screen vertical story; the top quarter and bottom sixth sit under the app's controls.",
        model_key=CORE,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, full-screen vertical composition, subject in the middle of the frame, calm space at the top and bottom",
        negative_prompt="subject at the top or bottom edge, cluttered background",
        use_cases=("daily update", "promotion", "poll backdrop"),
        social_format="instagram-story",
    ),
    PlatformTemplate(
        id="instagram-reel-cover",
        name="Instagram reel cover",
        category="social_media",
        platform="instagram",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        description="The cover frame of a reel; it is also shown cropped to a square on the profile grid.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, eye-catching vertical cover, strong central focal point, high contrast, room for a short title in the centre",
        negative_prompt="small unreadable text, busy background",
        use_cases=("reel cover", "tutorial title", "series branding"),
        social_format="instagram-reel-cover",
    ),
    # --- Facebook --------------------------------------------------------------------------
    PlatformTemplate(
        id="facebook-feed",
        name="Facebook feed post",
        category="social_media",
        platform="facebook",
        aspect_ratio="16:9",
        width=1200,
        height=630,
        description="A landscape post or link image (1.91:1), generated at 16:9 and cropped.",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, friendly inviting scene, wide landscape composition, warm natural light",
        negative_prompt="cropped subject, dark underexposed image",
        use_cases=("page post", "event announcement", "link share"),
        social_format="facebook-feed",
    ),
    PlatformTemplate(
        id="facebook-ad-square",
        name="Facebook ad (square)",
        category="ad_creative",
        platform="facebook",
        aspect_ratio="1:1",
        width=1080,
        height=1080,
        description="A square ad for feed placements on Facebook and Instagram.",
        model_key=ULTRA,
        style_preset="photographic",
        quality="premium",
        prompt_template="{subject}, clean commercial advertising photography, product-focused composition, bright even lighting, uncluttered background",
        negative_prompt="clutter, harsh shadows, misleading details",
        use_cases=("product ad", "offer", "retargeting"),
        social_format="facebook-feed-square",
    ),
    PlatformTemplate(
        id="facebook-story",
        name="Facebook story",
        category="social_media",
        platform="facebook",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        description="A quick full-screen story that disappears after a day: a fast, cheap draft.",
        model_key=FLASH,
        style_preset="",
        quality="draft",
        prompt_template="{subject}, full-screen vertical composition, subject in the middle of the frame, bright colours",
        negative_prompt="subject at the top or bottom edge",
        use_cases=("daily update", "flash sale", "event reminder"),
        social_format="facebook-story",
    ),
    PlatformTemplate(
        id="facebook-cover",
        name="Facebook page cover",
        category="brand_assets",
        platform="facebook",
        aspect_ratio="21:9",
        width=820,
        height=312,
        description="The page's banner (≈2.63:1), generated at 21:9; the profile picture covers its lower left on desktop.",
        model_key=LARGE,
        style_preset="digital-art",
        quality="premium",
        prompt_template="{subject}, wide panoramic banner, subject on the right third, calm uncluttered left side, cohesive brand colours",
        negative_prompt="subject in the lower left corner, busy pattern",
        use_cases=("page branding", "seasonal campaign", "event banner"),
        social_format="facebook-cover",
    ),
    # --- X (Twitter) -----------------------------------------------------------------------
    PlatformTemplate(
        id="twitter-post",
        name="X (Twitter) post image",
        category="social_media",
        platform="twitter",
        aspect_ratio="16:9",
        width=1200,
        height=675,
        description="The in-stream image that X shows uncropped.",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, striking landscape composition, clear focal point, crisp detail",
        negative_prompt="cluttered background, cropped subject",
        use_cases=("news", "announcement", "thread opener"),
        social_format="x-post",
    ),
    PlatformTemplate(
        id="twitter-card",
        name="X (Twitter) website card",
        category="ad_creative",
        platform="twitter",
        aspect_ratio="16:9",
        width=1200,
        height=600,
        description="The image of a link or website card (2:1), generated at 16:9 and cropped.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, clean promotional graphic, bold headline area, simple background, strong brand colours",
        negative_prompt="small unreadable text, busy background",
        use_cases=("promoted link", "blog share", "landing page"),
        social_format="x-card",
    ),
    PlatformTemplate(
        id="twitter-header",
        name="X (Twitter) header",
        category="brand_assets",
        platform="twitter",
        aspect_ratio="21:9",
        width=1500,
        height=500,
        description="The profile banner (3:1), generated at 21:9; the profile picture covers its lower left.",
        model_key=LARGE,
        style_preset="digital-art",
        quality="premium",
        prompt_template="{subject}, wide panoramic banner, horizontal composition, subject in the centre band, cohesive colour palette",
        negative_prompt="subject in the lower left corner, text",
        use_cases=("profile branding", "campaign banner"),
        social_format="x-header",
    ),
    # --- LinkedIn --------------------------------------------------------------------------
    PlatformTemplate(
        id="linkedin-feed",
        name="LinkedIn feed post",
        category="social_media",
        platform="linkedin",
        aspect_ratio="16:9",
        width=1200,
        height=628,
        description="A landscape post (1.91:1) for a professional audience, generated at 16:9 and cropped.",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, professional polished look, modern workplace setting, confident natural light, clean composition",
        negative_prompt="casual snapshot look, clutter",
        use_cases=("company news", "hiring", "thought leadership"),
        social_format="linkedin-feed",
    ),
    PlatformTemplate(
        id="linkedin-feed-square",
        name="LinkedIn quote or stat card (square)",
        category="social_media",
        platform="linkedin",
        aspect_ratio="1:1",
        width=1080,
        height=1080,
        description="A square, text-led post: a quote, a number, a key message.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, clean professional graphic, clear typographic hierarchy, generous whitespace, restrained corporate palette",
        negative_prompt="small unreadable text, clip art",
        use_cases=("quote", "statistic", "milestone"),
        social_format="linkedin-feed-square",
    ),
    PlatformTemplate(
        id="linkedin-article-cover",
        name="LinkedIn article cover",
        category="blog_content",
        platform="linkedin",
        aspect_ratio="16:9",
        width=1200,
        height=627,
        description="The cover of a LinkedIn article or newsletter issue (≈1.91:1).",
        model_key=CORE,
        style_preset="digital-art",
        quality="standard",
        prompt_template="{subject}, editorial illustration, conceptual and clean, wide composition, professional colour palette",
        negative_prompt="clutter, text",
        use_cases=("article", "newsletter", "report"),
        social_format="linkedin-article-cover",
    ),
    PlatformTemplate(
        id="linkedin-company-cover",
        name="LinkedIn company page cover",
        category="brand_assets",
        platform="linkedin",
        aspect_ratio="21:9",
        width=1128,
        height=191,
        description="A very wide banner (≈5.9:1): generated at 21:9, then cut to a thin band across the middle.",
        model_key=ULTRA,
        style_preset="",
        quality="premium",
        prompt_template="{subject}, ultra-wide panoramic banner, everything important in a thin horizontal band across the middle, minimal background",
        negative_prompt="tall subject, text",
        use_cases=("company branding", "employer brand"),
        social_format="linkedin-company-cover",
    ),
    # --- YouTube ---------------------------------------------------------------------------
    PlatformTemplate(
        id="youtube-thumbnail",
        name="YouTube thumbnail",
        category="social_media",
        platform="youtube",
        aspect_ratio="16:9",
        width=1280,
        height=720,
        description="A click-worthy thumbnail; it must still read at the size of a phone's list row.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, high-contrast thumbnail, expressive close-up, bold saturated colours, space for a large title",
        negative_prompt="small unreadable text, dull colours, busy background",
        use_cases=("video thumbnail", "tutorial", "review"),
        social_format="youtube-thumbnail",
    ),
    PlatformTemplate(
        id="youtube-channel-art",
        name="YouTube channel art",
        category="brand_assets",
        platform="youtube",
        aspect_ratio="16:9",
        width=2560,
        height=1440,
        description="The channel banner; phones show only a wide strip across the middle.",
        model_key=ULTRA,
        style_preset="cinematic",
        quality="premium",
        prompt_template="{subject}, wide channel banner, subject in the centre band, atmospheric background that extends to the edges",
        negative_prompt="important details near the edges, text",
        use_cases=("channel branding", "season launch"),
        social_format="youtube-channel-art",
    ),
    # --- Pinterest -------------------------------------------------------------------------
    PlatformTemplate(
        id="pinterest-pin",
        name="Pinterest pin",
        category="social_media",
        platform="pinterest",
        aspect_ratio="2:3",
        width=1000,
        height=1500,
        description="The standard tall pin, often with a title over the image.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, tall vertical composition, aspirational styled scene, soft bright light, space for a title at the top",
        negative_prompt="small unreadable text, dark image",
        use_cases=("recipe", "how-to", "product idea"),
        social_format="pinterest-pin",
    ),
    PlatformTemplate(
        id="pinterest-story-pin",
        name="Pinterest story pin",
        category="social_media",
        platform="pinterest",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        description="A full-screen page of a story (idea) pin: a fast, cheap draft.",
        model_key=FLASH,
        style_preset="",
        quality="draft",
        prompt_template="{subject}, full-screen vertical composition, subject in the middle of the frame, inspiring styled scene",
        negative_prompt="subject at the top or bottom edge",
        use_cases=("step-by-step", "inspiration board"),
        social_format="pinterest-story-pin",
    ),
    # --- TikTok ----------------------------------------------------------------------------
    PlatformTemplate(
        id="tiktok-video-cover",
        name="TikTok video cover",
        category="social_media",
        platform="tiktok",
        aspect_ratio="9:16",
        width=1080,
        height=1920,
        description="The cover of a video; the caption and buttons cover the bottom and right.",
        model_key=CORE,
        style_preset="cinematic",
        quality="standard",
        prompt_template="{subject}, energetic vertical composition, subject in the upper middle, bold colours, dynamic lighting",
        negative_prompt="subject at the bottom edge, dull colours",
        use_cases=("video cover", "series cover", "trend"),
        social_format="tiktok-video-cover",
    ),
    # --- Blog ------------------------------------------------------------------------------
    PlatformTemplate(
        id="blog-featured",
        name="Blog featured image",
        category="blog_content",
        platform="blog",
        aspect_ratio="16:9",
        width=1200,
        height=630,
        description="The header of a post, also used when it is shared (Open Graph 1200×630).",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, editorial header image, wide composition, clear focal point, natural colours",
        negative_prompt="text, clutter",
        use_cases=("article header", "social share image"),
    ),
    PlatformTemplate(
        id="blog-inline",
        name="Blog in-article illustration",
        category="blog_content",
        platform="blog",
        aspect_ratio="3:2",
        width=1200,
        height=800,
        description="An illustration that explains a point inside a post.",
        model_key=LARGE,
        style_preset="digital-art",
        quality="premium",
        prompt_template="{subject}, explanatory editorial illustration, simple clear shapes, limited colour palette, white background",
        negative_prompt="clutter, text",
        use_cases=("concept illustration", "section break", "how-to"),
    ),
    # --- Email -----------------------------------------------------------------------------
    PlatformTemplate(
        id="email-header",
        name="Email header banner",
        category="email_marketing",
        platform="email",
        aspect_ratio="21:9",
        width=600,
        height=200,
        description="The banner at the top of a newsletter (3:1, 600 px wide), generated at 21:9, the nearest ratio.",
        model_key=IDEOGRAM,
        style_preset="",
        quality="standard",
        prompt_template="{subject}, wide newsletter banner, simple flat background, bold brand colours, room for a short headline",
        negative_prompt="small unreadable text, fine detail",
        use_cases=("newsletter header", "campaign banner"),
    ),
    PlatformTemplate(
        id="email-hero",
        name="Email hero image",
        category="email_marketing",
        platform="email",
        aspect_ratio="3:2",
        width=600,
        height=400,
        description="The main image of a campaign e-mail (600 px wide); keep it simple so it compresses small.",
        model_key=CORE,
        style_preset="photographic",
        quality="standard",
        prompt_template="{subject}, inviting hero image, simple composition, bright even lighting, uncluttered background",
        negative_prompt="clutter, fine noisy texture",
        use_cases=("promotion", "product launch", "seasonal offer"),
    ),
    # --- Website ---------------------------------------------------------------------------
    PlatformTemplate(
        id="website-hero",
        name="Website hero banner",
        category="brand_assets",
        platform="website",
        aspect_ratio="16:9",
        width=1920,
        height=1080,
        description="A full-width landing-page background; headlines usually sit on its left half.",
        model_key=ULTRA,
        style_preset="cinematic",
        quality="premium",
        prompt_template="{subject}, wide hero image, subject on the right third, soft uncluttered left side, atmospheric lighting",
        negative_prompt="text, busy background",
        use_cases=("landing page", "homepage", "campaign page"),
    ),
    PlatformTemplate(
        id="website-product",
        name="Website product image",
        category="product",
        platform="website",
        aspect_ratio="1:1",
        width=1000,
        height=1000,
        description="A square product shot for a shop or catalogue page.",
        model_key=ULTRA,
        style_preset="photographic",
        quality="premium",
        prompt_template="{subject}, studio product photography, seamless white background, softbox lighting, sharp focus, true-to-life colours",
        negative_prompt="props, clutter, harsh shadows, reflections",
        use_cases=("shop listing", "catalogue", "marketplace"),
    ),
)

#: The 26 templates by id, grouped by platform in PLATFORMS order.
TEMPLATES: Final[dict[str, PlatformTemplate]] = {t.id: t for t in _TEMPLATES}


def by_platform() -> dict[str, list[PlatformTemplate]]:
    """Return platform -> its templates, platforms in PLATFORMS order (for a grouped <select>)."""
    groups: dict[str, list[PlatformTemplate]] = {platform: [] for platform in PLATFORMS}
    for template in TEMPLATES.values():
        groups[template.platform].append(template)
    return {platform: templates for platform, templates in groups.items() if templates}
