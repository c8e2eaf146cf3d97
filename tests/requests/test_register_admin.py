"""The register and the company systems in the admin, in English and Russian: a DPO writes each text in both
languages on one page, and the admin says which are missing (requests/admin/register.py, requests/translation.py).

Everything goes through the admin as a DPO would use it: a signed-in client, the page, the form, the list.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from requests.models import CompanySystem, ProcessingActivity
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

ADD = "/admin/requests/processingactivity/add/"
LIST = "/admin/requests/processingactivity/"
SYSTEM_ADD = "/admin/requests/companysystem/add/"

ENGLISH = {
    "name_en": "Newsletter",
    "purposes_en": "Sending our monthly newsletter",
    "data_categories_en": "Email address, which newsletters you opened",
    "sources_en": "You, when you subscribe",
    "retention_en": "Until you unsubscribe",
    "recipients_en": "Mailjet SAS\nAcme Couriers Ltd",
    "transfers_en": "",
    "automated_decisions_en": "",
    "legal_basis": "consent",
}
RUSSIAN = {
    "name_ru": "Информационная рассылка",
    "purposes_ru": "Направление ежемесячной информационной рассылки",
    "data_categories_ru": "Адрес электронной почты, сведения об открытии писем",
    "sources_ru": "Непосредственно от вас при оформлении подписки",
    "retention_ru": "До отказа от подписки",
    "recipients_ru": "Сервис рассылок Mailjet SAS\nКурьерская служба Acme Couriers Ltd",
    "transfers_ru": "",
    "automated_decisions_ru": "",
}


@pytest.fixture
def dpo_client(dpo: Any) -> Client:
    return signed_in(dpo, "DPO")


def messages_on(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_register_page_has_every_text_in_english_and_in_russian(dpo_client: Client) -> None:
    page = dpo_client.get(ADD).content.decode()

    assert 'class="fieldset-heading">English</h2>' in page and 'class="fieldset-heading">Russian</h2>' in page
    for field in ENGLISH.keys() - {"legal_basis"}:
        assert f'name="{field}"' in page and f'name="{field.replace("_en", "_ru")}"' in page
    assert 'name="purposes"' not in page  # one box per language, none for "whichever"
    # Nothing to fetch from elsewhere: the policy allows scripts from this site only (no tabs from a CDN).
    assert "googleapis" not in page and "jquery-ui" not in page

    response = dpo_client.post(ADD, {**ENGLISH, **RUSSIAN, "_continue": "1"}, follow=True)

    assert response.status_code == 200
    assert not [m for m in messages_on(response) if "missing" in m]
    entry = ProcessingActivity.objects.get()
    with translation.override("ru"):
        assert (entry.name, entry.purposes) == (RUSSIAN["name_ru"], RUSSIAN["purposes_ru"])
    with translation.override("en"):
        assert (entry.name, entry.purposes) == (ENGLISH["name_en"], ENGLISH["purposes_en"])
    listing = dpo_client.get(LIST).content.decode()
    assert "Missing translations" in listing and "Russian:" not in listing
    # Searching finds an entry by its text in either language, whatever the page's language.
    assert "Newsletter" in dpo_client.get(LIST, {"q": "рассылки"}).content.decode()


def test_an_entry_saved_without_some_russian_texts_is_flagged_on_its_page_and_in_the_list(
    dpo_client: Client,
) -> None:
    partly = {**RUSSIAN, "retention_ru": "", "recipients_ru": "", "transfers_ru": "США на основании СДУ"}

    response = dpo_client.post(ADD, {**ENGLISH, **partly, "_continue": "1"}, follow=True)

    assert response.request["PATH_INFO"].endswith("/change/")
    (warning,) = [m for m in messages_on(response) if "missing" in m]
    assert warning.startswith(
        "“Newsletter” is missing translations: English: transfers outside the UK/EEA, and safeguards. "
        "Russian: recipients, by name (one per line); how long it is kept."
    )
    assert "Readers in that language get the English text instead" in warning
    listing = dpo_client.get(LIST).content.decode()
    assert "Russian: recipients, by name (one per line); how long it is kept" in listing
    # Filled in, the warning and the column's entry go.
    entry = ProcessingActivity.objects.get()
    complete = {**ENGLISH, **RUSSIAN, "transfers_en": "United States, under the standard contractual clauses",
                "transfers_ru": "США на основании СДУ"}  # fmt: skip
    response = dpo_client.post(f"{LIST}{entry.pk}/change/", {**complete, "_continue": "1"}, follow=True)
    assert not [m for m in messages_on(response) if "missing" in m]
    assert "Russian: recipients" not in dpo_client.get(LIST).content.decode()


def test_staff_reading_the_admin_in_russian_see_what_is_missing_in_russian(dpo_client: Client) -> None:
    dpo_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"

    response = dpo_client.post(
        ADD, {**ENGLISH, "name_ru": "Информационная рассылка", "_continue": "1"}, follow=True
    )

    (warning,) = [m for m in messages_on(response) if "переводов" in m]
    assert warning.startswith(
        "В записи «Информационная рассылка» не хватает переводов: Русский: цели; категории персональных данных; "
        "источник данных; получатели поимённо (по одному на строку); срок хранения."
    )
    listing = dpo_client.get(LIST).content.decode()
    assert "Недостающие переводы" in listing and "Русский: цели; категории персональных данных" in listing


def test_the_russian_recipients_pair_up_with_the_english_ones_line_by_line(dpo_client: Client) -> None:
    one_short = {**RUSSIAN, "recipients_ru": "Сервис рассылок Mailjet SAS"}

    response = dpo_client.post(ADD, {**ENGLISH, **one_short})

    assert response.status_code == 200
    assert (
        "The English list names 2 recipients: give the same ones here, one per line and in the same order."
        in response.content.decode()
    )
    assert not ProcessingActivity.objects.exists()


def test_a_company_systems_description_is_kept_in_both_languages_and_its_name_in_one(
    dpo_client: Client,
) -> None:
    page = dpo_client.get(SYSTEM_ADD).content.decode()
    assert 'name="description_en"' in page and 'name="description_ru"' in page
    assert 'name="name"' in page and 'name="name_ru"' not in page

    response = dpo_client.post(
        SYSTEM_ADD,
        {"name": "Zoho CRM", "description_en": "Contacts, deals, notes of calls", "description_ru": "",
         "active": "on", "connector": "", "_continue": "1"},
        follow=True,
    )  # fmt: skip

    (warning,) = [m for m in messages_on(response) if "missing" in m]
    assert warning.startswith("“Zoho CRM” is missing translations: Russian: what it holds.")
    assert "Russian: what it holds" in dpo_client.get("/admin/requests/companysystem/").content.decode()
    system = CompanySystem.objects.get()
    response = dpo_client.post(
        f"/admin/requests/companysystem/{system.pk}/change/",
        {"name": "Zoho CRM", "description_en": "Contacts, deals, notes of calls",
         "description_ru": "Контакты, сделки, записи телефонных переговоров", "active": "on", "connector": ""},
        follow=True,
    )  # fmt: skip
    assert not [m for m in messages_on(response) if "missing" in m]
    assert "Russian: what it holds" not in dpo_client.get("/admin/requests/companysystem/").content.decode()
    system.refresh_from_db()
    with translation.override("ru"):
        assert system.description == "Контакты, сделки, записи телефонных переговоров"


def test_the_demo_register_and_its_systems_are_written_in_both_languages(
    settings: Any, tmp_path: Path, dpo_client: Client
) -> None:
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())

    for listing in (LIST, "/admin/requests/companysystem/"):
        page = dpo_client.get(listing).content.decode()
        assert "Russian:" not in page and "English:" not in page
    with translation.override("ru"):
        names = sorted(entry.name for entry in ProcessingActivity.objects.all())
        assert names == [
            "Выставление счетов и бухгалтерский учёт",
            "Информационная рассылка",
            "Работа с клиентами",
        ]
        assert CompanySystem.objects.get(name="Xero").description == "Счета и платежи"

    # A demo made before the register had a Russian side gets it on the next run; what a DPO wrote is kept.
    ProcessingActivity.objects.update(purposes_ru=None, retention_ru=None)
    CompanySystem.objects.update(description_ru=None)
    ProcessingActivity.objects.filter(name_en="Newsletter").update(retention_ru="Пока вы подписаны")
    call_command("seed_demo", stdout=io.StringIO())
    newsletter = ProcessingActivity.objects.get(name_en="Newsletter")
    with translation.override("ru"):
        assert newsletter.retention == "Пока вы подписаны"
        assert newsletter.purposes.startswith("Направление информационной рассылки")
    assert "Russian:" not in dpo_client.get("/admin/requests/companysystem/").content.decode()
