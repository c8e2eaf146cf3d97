"""Internal notes on the case page: each note in the timeline at the place its `note_added` event holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from django.db.models import QuerySet

from ..models import CaseNote, PrivacyRequest
from .timeline import TimelineEvent


def notes_of(privacy_request: PrivacyRequest) -> QuerySet[CaseNote]:
    """The case's notes, oldest first, with their authors."""
    return privacy_request.notes.select_related("author").order_by("created", "id")


def _note_id(event: TimelineEvent) -> int | None:
    if event.verb != "note_added":
        return None
    note_id = event.data.get("note")
    return note_id if isinstance(note_id, int) else None


def with_notes(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """The timeline, each `note_added` line carrying its note as `event.note` (None elsewhere).

    The event names the note by id only (no text in the audit chain), so the texts are read here, in one query.
    """
    rows = list(events)
    notes = CaseNote.objects.in_bulk([i for e in rows if (i := _note_id(e)) is not None])
    return [replace(e, note=notes.get(i)) if (i := _note_id(e)) is not None else e for e in rows]
