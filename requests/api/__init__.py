"""The REST API under /api/v1/ (DESIGN §10): staff endpoints mirroring the case page, and public intake.

Writes go through the same forms and services as the admin and the public pages, so the rules, events and
emails are the same whichever door a change comes in by: each action's request body is described by a
serializer generated from the action's form (for the schema and for types), then validated by the form
itself (for the rules), then carried out by the form's service call.

Authentication: a personal token (`Authorization: Bearer pp_…`, identity/tokens.py) or a staff session
that a second factor has verified. Every error is JSON: `{"detail": "...", "errors": {field: [...]}}`.
"""
