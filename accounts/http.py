"""The typed request of logged-in views, and the workspace it acts in."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import Workspace, personal_workspace


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def current_workspace(request: AuthenticatedHttpRequest) -> Workspace:
    """Return the workspace the request acts in (the user's personal one, until teams exist)."""
    workspace = getattr(request, "_studio_workspace", None)
    if workspace is None:
        workspace = personal_workspace(request.user)
        request._studio_workspace = workspace  # type: ignore[attr-defined]
    return workspace
