from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from studio import ai_views, quote, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("assets.urls")),
    path("billing/", include("billing.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("studio/quote/", quote.quote_partial, name="studio-quote"),
    path("studio/social/", views.social, name="studio-social"),
    path("studio/social/preview/", views.social_preview, name="studio-social-preview"),
    path("studio/compress/", views.compress, name="studio-compress"),
    path("studio/compress/estimate/", views.compress_estimate, name="studio-compress-estimate"),
    path("studio/create/", ai_views.create, name="studio-create"),
    path("studio/create/enhance/", ai_views.create_enhance, name="studio-create-enhance"),
    path("studio/edit/", ai_views.edit, name="studio-edit"),
    path("studio/upscale/", ai_views.upscale, name="studio-upscale"),
    path("studio/upscale/targets/", ai_views.upscale_targets, name="studio-upscale-targets"),
    path("studio/control/", ai_views.control, name="studio-control"),
    path("studio/models/", ai_views.models, name="studio-models"),
    path("studio/models/picker/", ai_views.picker, name="studio-model-picker"),
    path("jobs/", views.jobs, name="studio-jobs"),
    path("jobs/<uuid:code>/", views.job, name="studio-job"),
    path("jobs/<uuid:code>/status/", views.job_status, name="studio-job-status"),
    path("jobs/<uuid:code>/download.zip", views.job_zip, name="studio-job-zip"),
]
