"""Workspaces: the unit that owns assets and jobs (personal for now; teams come later)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user) -> WorkspaceQuerySet:
        """Return the workspaces the user is a member of."""
        return self.filter(memberships__user=user)


class Workspace(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="owned_workspaces"
    )
    personal = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(personal=True), name="one_personal_workspace"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


def personal_workspace(user) -> Workspace:
    """Return the user's personal workspace, creating it on first use."""
    workspace, created = Workspace.objects.get_or_create(
        owner=user, personal=True, defaults={"name": user.email or user.get_username()}
    )
    if created:
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.OWNER)
    return workspace
