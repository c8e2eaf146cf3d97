"""The error pages a visitor may meet: the portal's look, their language, a way on; drawn without the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from privacyportal import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings: Any) -> None:
    settings.DEBUG = False


def test_a_missing_page_is_branded_and_leads_on(client: Client, production: None) -> None:
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in page and "Page not found" in page and "Example Consulting Ltd" in page
    assert 'href="/status/"' in page and "Follow a request you have made" in page
    assert "Not Found" not in page  # Django's bare page


def test_a_missing_page_speaks_the_visitors_language(client: Client, production: None) -> None:
    client.cookies["django_language"] = "ru"
    page = client.get("/no-such-page/").content.decode()
    assert '<html lang="ru">' in page and "Страница не найдена" in page


def test_a_server_error_page_needs_no_database_and_speaks_russian(django_assert_num_queries: Any) -> None:
    request = RequestFactory().get("/requests/new/access/", HTTP_ACCEPT_LANGUAGE="ru")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500 and '<html lang="ru">' in page
    assert "Извините, в работе сервиса произошёл сбой" in page and "Example Consulting Ltd" in page


def test_the_api_still_answers_errors_in_json(client: Client, production: None) -> None:
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "No such API endpoint."}
