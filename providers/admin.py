from __future__ import annotations

from django.contrib import admin

from providers.models import AIModel


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "capability",
        "kind",
        "tier",
        "typical_seconds",
        "credits",
        "offered",
    ]
    list_filter = ["capability", "tier", "offered", "price__provider"]
    list_editable = ["tier", "typical_seconds", "offered"]
    search_fields = ["price__key", "price__label", "price__model"]
    list_select_related = ["price"]

    @admin.display(description="Credits", ordering="price__credits")
    def credits(self, obj: AIModel) -> int:
        return obj.credits
