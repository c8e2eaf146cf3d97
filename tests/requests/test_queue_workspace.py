"""The queue as a workspace (requests/admin/queue.py): its columns, the search that keeps terms out of URLs, saved
views per person, and the bulk actions, each case through its service with its own event."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client

from identity import tokens
from requests import services
from requests.models import PrivacyRequest, RequestEvent, SavedView
from requests.roles import ensure_roles
from requests.selectors import QueueFilters, queue
from tests.factories import in_role, make_case, signed_in

pytestmark = pytest.mark.django_db
QUEUE = "/admin/requests/privacyrequest/"
MON_3_MAR = datetime(2025, 3, 3, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups


@pytest.fixture
def at_monday() -> Any:
    with time_machine.travel(MON_3_MAR, tick=False):
        yield


def opened(**fields: Any) -> PrivacyRequest:
    return services.confirm_email(make_case(kind="rectification", **fields))


def search(client: Any, term: str, **filters: str) -> Any:
    """Search as the search box does: a POST, then the queue the answer redirects to."""
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return client.post(f"{QUEUE}search/", {"term": term, "filters": query}, follow=True)


def rows(page: Any) -> str:
    return page.content.decode()


def test_the_queue_shows_each_column_in_words(at_monday: None, dpo: Any) -> None:
    case = opened(requester_name="Anna Petrova", relationship="agent", subject_name="Ivan Petrov")
    html = rows(signed_in(dpo, "DPO").get(QUEUE))
    for header in ("Reference", "Requester", "Right", "Received", "Days left", "Status", "Assignee", "Flags"):
        assert f">{header}<" in html, header
    assert case.reference in html and "Anna Petrova" in html and "Correct my data" in html
    assert "3 Mar 2025" in html  # the day received, its month in letters
    # Flags in words, not the first word of a choice cut short ("an" for an agent).
    assert "authorised agent" in html and ">an<" not in html
    assert 'name="q"' not in html  # the search box POSTs its term (below)
    # In Russian, the one date format of the staff pages: the month in words, in the genitive.
    russian = rows(signed_in(dpo, "DPO").get(QUEUE, headers={"accept-language": "ru"}))
    assert "3 марта 2025" in russian


def test_a_paused_case_shows_its_clock_stopped_and_why(dpo: Any) -> None:
    with time_machine.travel(MON_3_MAR, tick=False):
        paused = opened(requester_name="Paula Pause")
        services.pause(paused, by=dpo, reason="Which account do you mean?")
        californian = opened(requester_name="Carl Ccpa", country="US", subdivision="CA")
        services.pause(californian, by=dpo, reason="Which account?")
    with time_machine.travel(datetime(2025, 3, 10, 10, tzinfo=UTC), tick=False):
        html = rows(signed_in(dpo, "DPO").get(QUEUE))
    # UK GDPR stops the clock while we wait: the days stand where they were, marked, with the reason.
    paused_row = html[html.index("Paula Pause") :].split("</tr>")[0]
    assert "Paused, 31 left" in paused_row and "Waiting for the requester" in paused_row
    assert "days-ok" not in paused_row and "days-soon" not in paused_row
    # The CCPA's clock runs on: counted down a week later, and said so.
    ccpa_row = html[html.index("Carl Ccpa") :].split("</tr>")[0]
    assert (
        "Paused" not in ccpa_row and "the clock runs" in ccpa_row and "Waiting for the requester" in ccpa_row
    )


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("Anna", "anna"),  # a name, any case
        ("petrova", "anna"),
        ("ANNA.Petrova@Example.ORG", "anna"),  # an address on its normalised form
        ("invoice 2291", "anna"),  # words from what was asked
        ("Ivan Petrov", "agent"),  # the data subject's name on an agent's request
    ],
)
def test_staff_search_by_name_email_reference_and_free_text(dpo: Any, term: str, found: str) -> None:
    cases = {
        "anna": opened(requester_name="Anna Petrova", requester_email="anna.petrova@example.org",
                       details="Please correct invoice 2291."),
        "agent": opened(requester_name="Agency Ltd", relationship="agent", subject_name="Ivan Petrov",
                        requester_email="agency@example.org"),
        "other": opened(requester_name="Boris Other", requester_email="boris@example.org"),
    }  # fmt: skip
    page = search(signed_in(dpo, "DPO"), term)
    html = rows(page)
    assert cases[found].reference in html
    assert all(c.reference not in html for name, c in cases.items() if name != found)
    # The term is nowhere in the address: a token stands for it, and the box still shows it.
    url = page.redirect_chain[-1][0]
    assert "s=" in url and term.split()[0].lower() not in url.lower() and "@" not in url
    assert f'value="{term}"' in html


def test_search_by_reference_keeps_the_filters_and_says_what_can_be_searched(dpo: Any) -> None:
    case = opened()
    client = signed_in(dpo, "DPO")
    html = rows(search(client, case.reference.lower(), who="mine"))
    assert "No case matches" in html and "email address, name, or words" in html  # not mine: the hint
    assert case.reference in rows(search(client, case.reference, who="unassigned"))


def test_an_old_q_link_still_searches_but_leaves_the_url_at_once(dpo: Any) -> None:
    case = opened(requester_name="Anna Petrova")
    response = signed_in(dpo, "DPO").get(QUEUE, {"q": "Anna", "who": "unassigned"}, follow=True)
    url = response.redirect_chain[0][0]
    assert "Anna" not in url and "who=unassigned" in url and case.reference in rows(response)


def test_a_search_token_is_worth_nothing_in_another_session(dpo: Any, handler: Any) -> None:
    case = opened(requester_name="Anna Petrova")
    opened(requester_name="Boris Other")
    url = search(signed_in(dpo, "DPO"), "Anna").redirect_chain[-1][0]
    html = rows(signed_in(handler, "Handler").get(url))
    assert case.reference in html and "Boris Other" in html  # no term in this session: the whole queue


def test_the_api_search_is_the_same_search(dpo: Any) -> None:
    anna = opened(requester_name="Anna Petrova", details="invoice 2291")
    opened(requester_name="Boris Other")
    in_role(dpo, "DPO")
    _token, plaintext = tokens.create_token(dpo, name="t", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    for term in ("anna", "2291"):
        body = json.dumps({"q": term})
        found = api.post("/api/v1/search/cases/", body, content_type="application/json").json()["results"]
        assert [c["reference"] for c in found] == [anna.reference], term


def test_saved_views_belong_to_the_person_who_saved_them(dpo: Any, handler: Any) -> None:
    dpo_client = signed_in(dpo, "DPO")
    dpo_client.post(
        f"{QUEUE}views/save/", {"name": "My late ones", "filters": "who=mine&due=overdue&s=abc&q=Anna"}
    )
    view = SavedView.objects.get()
    assert (view.owner, view.query) == (dpo, "who=mine&due=overdue")  # no search term kept
    html = rows(dpo_client.get(QUEUE))
    assert "My late ones" in html and "?who=mine&amp;due=overdue" in html
    assert "My overdue" in html and "Unassigned California" in html  # built in, for everyone
    handler_client = signed_in(handler, "Handler")
    assert "My late ones" not in rows(handler_client.get(QUEUE))
    handler_client.post(f"{QUEUE}views/{view.pk}/delete/")
    assert SavedView.objects.filter(pk=view.pk).exists()  # not theirs to delete
    dpo_client.post(f"{QUEUE}views/{view.pk}/delete/")
    assert not SavedView.objects.exists()
    assert "My late ones" not in rows(dpo_client.get(QUEUE))


def test_a_second_view_of_the_same_name_is_refused(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    client.post(f"{QUEUE}views/save/", {"name": "Mine", "filters": "who=mine"})
    page = client.post(f"{QUEUE}views/save/", {"name": "Mine", "filters": "due=7"}, follow=True)
    assert "You already have a view called" in rows(page) and SavedView.objects.count() == 1


def act(client: Any, action: str, cases: list[PrivacyRequest], **extra: Any) -> Any:
    return client.post(
        QUEUE, {"action": action, "_selected_action": [c.pk for c in cases], **extra}, follow=True
    )


def events(verb: str) -> list[int]:
    return sorted(RequestEvent.objects.filter(verb=verb).values_list("privacy_request_id", flat=True))


def test_assign_to_asks_whom_then_assigns_each_case_with_an_event(dpo: Any, handler: Any) -> None:
    cases = [opened(), opened(), opened()]
    client = signed_in(dpo, "DPO")
    in_role(handler, "Handler")
    chooser = rows(act(client, "assign_to", cases))
    assert "Assign to" in chooser and "Hal" in chooser and all(c.reference in chooser for c in cases)
    done = act(client, "assign_to", cases, assignee=handler.pk, apply="yes")
    assert "3 cases assigned to" in rows(done)
    assert {c.assignee_id for c in PrivacyRequest.objects.all()} == {handler.pk}
    assert events("assigned") == sorted(c.pk for c in cases)


def test_a_handler_may_only_take_cases_for_themselves(handler: Any, other_handler: Any) -> None:
    case = opened()
    client = signed_in(handler, "Handler")
    in_role(other_handler, "Handler")
    chooser = rows(act(client, "assign_to", [case]))
    assert "other_handler" not in chooser
    act(client, "assign_to", [case], assignee=other_handler.pk, apply="yes")
    case.refresh_from_db()
    assert case.assignee is None and events("assigned") == []
    act(client, "assign_to", [case], assignee=handler.pk, apply="yes")
    case.refresh_from_db()
    assert case.assignee == handler


def test_auditors_are_offered_only_the_export(dpo: Any, auditor: Any) -> None:
    case = opened()
    client = signed_in(auditor, "Auditor")
    html = rows(client.get(QUEUE))
    assert (
        'value="export_csv"' in html
        and 'value="assign_to"' not in html
        and 'value="remind_requester"' not in html
    )
    assert 'value="delete_selected"' not in html
    act(client, "remind_requester", [case])
    assert events("reminded") == []


def test_remind_emails_only_those_we_wait_for_at_most_once_a_day(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    waiting = opened(requester_email="w@example.org", language="ru")
    working = opened(requester_email="o@example.org")
    with time_machine.travel(MON_3_MAR, tick=False):
        services.pause(waiting, by=dpo, reason="Which account?")
    mail.outbox.clear()
    with time_machine.travel(datetime(2025, 3, 5, 9, tzinfo=UTC), tick=False):
        client = signed_in(dpo, "DPO")
        with django_capture_on_commit_callbacks(execute=True):
            page = rows(act(client, "remind_requester", [waiting, working]))
        assert "1 requester reminded" in page and "is not waiting for the requester" in page
        assert [m.to for m in mail.outbox] == [["w@example.org"]]
        # In the requester's language, and without the message itself.
        assert "Мы всё ещё ждём вашего ответа" in str(mail.outbox[0].subject)
        assert "пока вы не ответите на наше последнее сообщение" in str(mail.outbox[0].body)
        assert events("reminded") == [waiting.pk]
        again = rows(act(client, "remind_requester", [waiting]))
        assert "reminded less than a day ago" in again and events("reminded") == [waiting.pk]
    with time_machine.travel(datetime(2025, 3, 6, 10, tzinfo=UTC), tick=False):
        # A day later (signed in again: staff idle for 30 minutes are signed out).
        assert "1 requester reminded" in rows(act(signed_in(dpo, "DPO"), "remind_requester", [waiting]))
    assert events("reminded") == [waiting.pk, waiting.pk]


def test_export_csv_escapes_formulas_and_records_an_event_per_case(dpo: Any) -> None:
    risky = opened(requester_name='=HYPERLINK("http://evil")', requester_email="risky@example.org")
    plain = opened(requester_name="-Minus", requester_email="plain@example.org")
    response = act(signed_in(dpo, "DPO"), "export_csv", [risky, plain])
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:3] == ["Reference", "Requester", "Email"]
    names = {row[0]: row[1] for row in table[1:]}
    assert names == {risky.reference: '\'=HYPERLINK("http://evil")', plain.reference: "'-Minus"}
    assert events("exported") == sorted([risky.pk, plain.pk])


def test_on_postgresql_names_and_free_text_are_searched_through_trigram_indexes(dpo: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the embedded SQLite run searches without indexes")
    opened(requester_name="Anna Petrova")
    sql, params = search_sql(dpo, "Anna")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: ask whether the index *can* serve it
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in ("pr_requester_name_trgm", "pr_subject_name_trgm", "pr_details_trgm"):
        assert index in plan, plan
    assert "Seq Scan on requests_privacyrequest" not in plan


def search_sql(user: Any, term: str) -> tuple[str, Any]:
    ensure_roles()
    in_role(user, "DPO")
    return queue(user, QueueFilters(queue="all", search=term)).query.sql_with_params()


def test_the_embedded_sqlite_portal_finds_a_cyrillic_name_typed_in_lower_case(tmp_path: Any) -> None:
    """`make run`'s SQLite folds only ASCII letters; the search tries the spellings a name is written in."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "privacyportal.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "VAR_DIR": str(tmp_path),
    }
    script = (
        "from requests import services, selectors\n"
        "from requests.models import PrivacyRequest\n"
        "services.submit(services.NewRequest(kind='access', requester_name='Иван Петров',"
        " requester_email='ivan@example.ru', country='RU', language='ru'))\n"
        "cases = PrivacyRequest.objects.all()\n"
        "print([selectors.search(cases, t).count() for t in ('иван', 'ПЕТРОВ', 'Иван', 'ольга')])\n"
    )
    root = Path(__file__).resolve().parents[2]
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", script]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1, 1, 1, 0]"
