from __future__ import annotations

from django.contrib import admin

from studio.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "operation",
        "workspace",
        "user",
        "status",
        "progress",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "operation"]
    search_fields = ["code", "user__email", "workspace__name"]
    readonly_fields = [
        "code",
        "created_at",
        "started_at",
        "finished_at",
        "published_at",
        "lease",
        "lease_until",
    ]
    raw_id_fields = ["workspace", "user", "inputs", "outputs"]
    actions = ["fail_selected"]

    @admin.action(description="Mark selected unfinished jobs as failed")
    def fail_selected(self, request, queryset) -> None:
        count = sum(job.finish(Job.Status.FAILED, "Stopped by staff.") for job in queryset)
        self.message_user(request, f"{count} job(s) marked as failed.")
