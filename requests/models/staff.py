"""What a member of staff chose for themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffPreference(models.Model):
    """How a member of staff wants to hear from the sweeps: language, and single reminders or a daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("One email a day listing reminders, instead of one email each."),
    )

    class Meta:
        verbose_name = _("my notification settings")
        verbose_name_plural = _("my notification settings")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class SavedView(models.Model):
    """A queue a member of staff named for themselves: the filters' query string, never a search term (which may
    be a person's name or address)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")]

    def __str__(self) -> str:
        return self.name
