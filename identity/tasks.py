from __future__ import annotations

from celery import shared_task
from django.conf import settings

from privacyportal.emails import EMAIL_TASK
from requests.models import PrivacyRequest

from . import services


@shared_task(**EMAIL_TASK)
def send_verification_email(privacy_request_id: int, reminder: bool = False) -> None:
    """Create a code and link for the case and email them; the secrets never cross the broker."""
    privacy_request = PrivacyRequest.objects.get(pk=privacy_request_id)
    if privacy_request.status != "new":
        return  # confirmed meanwhile (another tab, the link): nothing to send
    services.send_verification(privacy_request, base_url=settings.PORTAL_BASE_URL, reminder=reminder)


@shared_task(**EMAIL_TASK)
def send_sign_in_code(privacy_request_id: int | None) -> None:
    """Email a status-page sign-in code to the address of this case (the task never sees the address).

    None: the address typed has no cases. The sign-in page publishes this task either way, so how long it
    takes to answer does not say whether an address has requests; here nothing is sent.
    """
    if privacy_request_id is None:
        return
    services.send_sign_in_code(PrivacyRequest.objects.get(pk=privacy_request_id))


@shared_task(**EMAIL_TASK)
def send_subject_confirmation(privacy_request_id: int) -> None:
    """Email the person an agent acts for, asking them to confirm the agent."""
    services.send_subject_confirmation(
        PrivacyRequest.objects.get(pk=privacy_request_id), base_url=settings.PORTAL_BASE_URL
    )


@shared_task(**EMAIL_TASK)
def send_download_code(privacy_request_id: int) -> None:
    """Email a fresh code that opens the download of the case's packet."""
    services.send_download_code(PrivacyRequest.objects.get(pk=privacy_request_id))
