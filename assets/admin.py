"""Staff view of assets: find them by workspace, kind, module and format; file facts read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = [
        "filename",
        "workspace",
        "kind",
        "module",
        "format",
        "pixels",
        "size",
        "created_at",
    ]
    list_filter = ["kind", "module", "format", "has_alpha", "has_gps", "created_at"]
    list_select_related = ["workspace"]
    search_fields = ["filename", "=code", "=sha256", "workspace__name", "created_by__email"]
    date_hierarchy = "created_at"
    # Everything but the display name describes the stored bytes, which never change.
    readonly_fields = [
        "code",
        "workspace",
        "created_by",
        "kind",
        "module",
        "file",
        "thumbnail",
        "format",
        "mime_type",
        "width",
        "height",
        "bytes",
        "sha256",
        "color_mode",
        "has_alpha",
        "orientation",
        "has_gps",
        "frames",
        "derived_from",
        "spec",
        "details",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Refuse adding here: assets come from uploads and studio jobs, which check the file."""
        return False

    @admin.display(description="Pixels", ordering="width")
    def pixels(self, asset: Asset) -> str:
        return f"{asset.width}×{asset.height}"

    @admin.display(description="Size", ordering="bytes")
    def size(self, asset: Asset) -> str:
        return filesizeformat(asset.bytes)
