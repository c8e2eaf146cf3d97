"""Internal notes on the case page: each note in the timeline at the place its `note_added` event holds."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ..models import CaseNote, PrivacyRequest, RequestEvent


def notes_of(privacy_request: PrivacyRequest) -> QuerySet[CaseNote]:
    """The case's notes, oldest first, with their authors."""
    return privacy_request.notes.select_related("author").order_by("created", "id")


def _note_id(event: RequestEvent) -> int | None:
    if event.verb != "note_added" or not isinstance(event.data, dict):
        return None
    note_id = event.data.get("note")
    return note_id if isinstance(note_id, int) else None


def with_notes(events: Iterable[RequestEvent]) -> list[RequestEvent]:
    """The events, each `note_added` one carrying its note as `event.note` (None elsewhere).

    The event names the note by id only (no text in the audit chain), so the texts are read here, in one query.
    """
    rows = list(events)
    notes = CaseNote.objects.in_bulk([i for e in rows if (i := _note_id(e)) is not None])
    for event in rows:
        note_id = _note_id(event)
        event.note = notes.get(note_id) if note_id is not None else None  # type: ignore[attr-defined]
    return rows
