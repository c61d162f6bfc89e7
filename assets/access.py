"""Who may see which asset: the one place views fetch assets by their code."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.http import AuthenticatedHttpRequest
from assets.models import Asset


def get_asset_for_user(request: AuthenticatedHttpRequest, code: UUID) -> Asset:
    """Return the asset if it is in one of the user's workspaces.

    Raises Http404 for unknown codes and for assets of other workspaces alike, so a code
    reveals nothing about whether it exists.
    """
    return get_object_or_404(Asset.objects.for_user(request.user), code=code)


def get_assets_for_user(request: AuthenticatedHttpRequest, codes: Collection[UUID]) -> list[Asset]:
    """Return the assets with these codes, newest first, if the user may see every one.

    Raises Http404 when any code is unknown or belongs to another workspace: a selection is
    acted on whole or not at all.
    """
    assets = list(Asset.objects.for_user(request.user).filter(code__in=codes))
    if len(assets) != len(set(codes)):
        raise Http404("No such assets.")
    return assets
