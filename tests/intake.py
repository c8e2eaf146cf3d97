"""Send a request through the question pages as a browser would: each page gets the answers it asks for.

`send(client, kind, answers)` posts the answers to the right's first page, then to every page it is sent on to,
then sends from "check your answers". It returns the first answer that is not a step onwards: the redirect to
"submitted" once sent, or a page that came back with errors (400), or a 429.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from requests.models import PrivacyRequest

CHECK = "/check/"


def _forget(client: Client, kind: str) -> None:
    """This right's answers only: another request prepared in the same browser keeps its own."""
    session = client.session
    answers = dict(session.get("intake", {}))
    if answers.pop(kind, None) is not None:
        session["intake"] = answers
        session.save()


def _posted(answers: dict[str, Any]) -> dict[str, Any]:
    for value in answers.values():
        if hasattr(value, "seek"):
            value.seek(0)  # the same file may be posted to two pages (it is kept from the first)
    return answers


def send(
    client: Client, kind: str, answers: dict[str, Any], *, until: str | None = None, **extra: Any
) -> Any:
    """Walk the pages of `kind` with `answers`, from a fresh start (answers kept from an earlier walk in this
    session are forgotten, a file kept is not); stop before posting to a page whose URL ends with `until`."""
    _forget(client, kind)
    url = f"/requests/new/{kind}/"
    response: Any = client.post(url, _posted(dict(answers)), **extra)
    for _ in range(12):  # more than there are pages: a loop would be a bug
        location = response.get("Location", "") if response.status_code == 302 else ""
        if not location.startswith(f"/requests/new/{kind}/"):
            return response
        if until and location.endswith(until):
            return response
        if location.endswith(CHECK):
            return client.post(location, {}, **extra)
        response = client.post(location, _posted(dict(answers)), **extra)
    raise AssertionError("the question pages went round in a loop")


def pages(client: Client, kind: str, answers: dict[str, Any]) -> str:
    """The HTML of every question page `answers` lead through, as the requester sees each before answering it."""
    _forget(client, kind)
    url = f"/requests/new/{kind}/"
    html = []
    for _ in range(12):
        html.append(client.get(url).content.decode())
        response = client.post(url, _posted(dict(answers)))
        location = response.get("Location", "") if response.status_code == 302 else ""
        if not location.startswith(f"/requests/new/{kind}/") or location.endswith(CHECK):
            return "\n".join(html)
        url = location
    raise AssertionError("the question pages went round in a loop")


def browser_of(case: PrivacyRequest) -> Client:
    """The browser the request was sent from: its session remembers the case."""
    client = Client()
    session = client.session
    session["pending_case"] = case.pk
    session.save()
    return client
