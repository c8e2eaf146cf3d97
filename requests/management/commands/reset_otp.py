"""Remove a staff member's two-factor devices (a lost or stolen phone) and print a one-time enrolment link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import enrolment


class Command(BaseCommand):
    help = (
        "Remove a staff member's two-factor devices and backup codes, and print a one-time link with which they "
        "set up a new authenticator app (also the way to enrol the first superuser)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}.")
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{username!r} is not an active member of staff.")
        totp, _ = TOTPDevice.objects.filter(user=user).delete()
        static, _ = StaticDevice.objects.filter(user=user).delete()
        _enrolment, link = enrolment.issue(user)
        self.stdout.write(f"Removed {totp + static} device records of {username}.")
        self.stdout.write(
            f"Give them this link (it works once, for {settings.STAFF_ENROLMENT_LINK_HOURS} hours); "
            "with it and their password they set up an authenticator app:"
        )
        self.stdout.write(f"  {link}")
