from __future__ import annotations

from django.urls import path

from assets import views

urlpatterns = [
    path("library/", views.library, name="assets-library"),
    path("upload/", views.upload, name="assets-upload"),
    path("assets/bulk/", views.bulk, name="assets-bulk"),
    path("assets/<uuid:code>/", views.detail, name="assets-detail"),
    path("assets/<uuid:code>/download/", views.download, name="assets-download"),
    path("assets/<uuid:code>/thumbnail/", views.thumbnail, name="assets-thumbnail"),
    path("assets/<uuid:code>/check/", views.check, name="assets-check"),
    path("assets/<uuid:code>/delete/", views.delete, name="assets-delete"),
]
