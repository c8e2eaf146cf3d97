"""The queue's "Inbox: N new" link: how many mails wait for staff, for those who may see the inbox."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import inbox_waiting as waiting

register = template.Library()


@register.simple_tag
def inbox_waiting(user: Any) -> int:
    return waiting() if user.has_perm("requests.view_inboxitem") else 0
