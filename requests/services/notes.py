"""Internal notes: what staff tell each other about a case (requests/models/notes.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import record_event
from ..models import CaseNote, PrivacyRequest
from .common import TransitionError, _require_text

ADD_NOTE = "requests.add_casenote"
NOTE_LENGTH = 10_000  # a note, not a document: files go in as evidence


def may_add_note(actor: Any) -> bool:
    """Every case-handling role (DPO, Handler) may write notes; auditors only read them (requests/roles.py)."""
    return bool(actor.has_perm(ADD_NOTE))


@transaction.atomic
def add_note(privacy_request: PrivacyRequest, *, by: Any, text: str) -> CaseNote:
    """Write a staff-only note on the case, in any status; the event holds the note's id, never its text, and
    nothing is sent to anyone."""
    if not may_add_note(by):
        raise PermissionDenied
    text = _require_text(text, "text", _("Write the note."))
    if len(text) > NOTE_LENGTH:
        raise ValidationError({"text": _("Keep a note under %(n)d characters.") % {"n": NOTE_LENGTH}})
    if privacy_request.anonymised_at is not None:
        # Blanked for retention: a new note would keep what the case no longer may.
        raise TransitionError(_("This case has been anonymised; it takes no more notes."))
    note = CaseNote.objects.create(privacy_request=privacy_request, author=by, text=text)
    record_event(privacy_request, "note_added", by=by, data={"note": note.pk})
    return note
