from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("assets.urls")),
    path("billing/", include("billing.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("studio/social/", views.social, name="studio-social"),
    path("studio/social/preview/", views.social_preview, name="studio-social-preview"),
    path("studio/compress/", views.compress, name="studio-compress"),
    path("studio/compress/estimate/", views.compress_estimate, name="studio-compress-estimate"),
    path("jobs/", views.jobs, name="studio-jobs"),
    path("jobs/<uuid:code>/", views.job, name="studio-job"),
    path("jobs/<uuid:code>/status/", views.job_status, name="studio-job-status"),
    path("jobs/<uuid:code>/download.zip", views.job_zip, name="studio-job-zip"),
]
