"""A company system's connector in the admin: the form, the encrypted credentials, the connection test, the demo.

Everything goes through the admin as a DPO would use it (a signed-in client, GET the page, POST the form). The
company database is the sample shop (requests/connectors/sample.py) in an SQLite file under tmp_path; the
PostgreSQL cases use the suite's server on 127.0.0.1:5432.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from privacyportal.files import fernet
from requests import services
from requests.connectors import ConnectorError, sample
from requests.management.commands.seed_demo import DEMO_CASES, DEMO_SHOP, DEMO_SHOP_FILE, make_demo_shop
from requests.models import CompanySystem
from requests.roles import ensure_roles
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

ADD = "/admin/requests/companysystem/add/"
SECRET = "s3cret/p@ss-Zebra"  # a / and an @, as real passwords have


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite3"
    make_demo_shop(path, [("Olivia Bennett", "olivia@example.org")])
    return path


@pytest.fixture
def dpo_client(dpo: Any) -> Client:
    return signed_in(dpo, "DPO")


def change_url(system: CompanySystem) -> str:
    return f"/admin/requests/companysystem/{system.pk}/change/"


def test_url(system: CompanySystem) -> str:
    return f"/admin/requests/companysystem/{system.pk}/test-connection/"


test_url.__test__ = False  # type: ignore[attr-defined]


def form_data(**fields: Any) -> dict[str, Any]:
    """The form as a DPO fills it in for an SQL system; `fields` override."""
    data: dict[str, Any] = {
        "name": "Shop",
        "description_en": "The web shop's database",
        "owner": "",
        "owner_email": "shop-owner@example.com",
        "active": "on",
        "connector": "sql",
        "dialect": "sqlite",
        "host": "",
        "port": "",
        "database": "",
        "schema": "",
        "dataset": sample.DATASET,
        "username": "",
        "password": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def postgres_system(**credentials: str) -> CompanySystem:
    system = CompanySystem.objects.create(
        name="Shop on PostgreSQL",
        connector="sql",
        connector_settings={
            "dialect": "postgresql",
            "host": "127.0.0.1",
            "port": 5432,
            "database": "postgres",
            "dataset": sample.DATASET,
            "connect_timeout": 5,
        },
    )
    services.set_credentials(system, credentials)
    return system


def stored_credentials_column(system: CompanySystem) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM requests_companysystem WHERE id = %s", [system.pk])
        return str(cursor.fetchone()[0])


def admin_log_text() -> str:
    return json.dumps(list(LogEntry.objects.values("object_repr", "change_message")))


def test_message(response: Any) -> str:
    """The connection test's message on the page it redirects to (the save before it left one of its own)."""
    [message] = [str(m) for m in response.context["messages"] if "connection" in str(m)]
    return message


test_message.__test__ = False  # type: ignore[attr-defined]


# --- the form ----------------------------------------------------------------------------------------------


def test_a_dpo_adds_an_sql_system_and_its_settings_are_what_the_connector_reads(
    dpo_client: Client, shop_file: Path
) -> None:
    page = dpo_client.get(ADD)
    assert page.status_code == 200
    assert 'name="dataset"' in page.content.decode()

    response = dpo_client.post(ADD, form_data(database=str(shop_file)))

    assert response.status_code == 302, response.content.decode()[:3000]
    system = CompanySystem.objects.get(name="Shop")
    assert system.connector == "sql"
    assert system.owner_email == "shop-owner@example.com"
    assert system.connector_settings == {
        "dialect": "sqlite",
        "database": str(shop_file),
        "dataset": sample.DATASET,
    }
    assert services.credentials_of(system) == {}
    check = services.test_connection(system)
    assert check.can_write


def test_the_change_page_shows_the_settings_and_the_user_name_but_never_the_password(
    dpo_client: Client,
) -> None:
    system = postgres_system(username="portal_reader", password=SECRET)

    page = dpo_client.get(change_url(system)).content.decode()

    assert 'value="portal_reader"' in page and 'value="127.0.0.1"' in page and 'value="5432"' in page
    assert "erase: anonymise" in page  # the dataset description, in its textarea
    assert SECRET not in page and "p@ss" not in page
    assert "Test connection" in page


def test_a_bad_dataset_description_is_refused_with_every_problem_and_nothing_is_saved(
    dpo_client: Client, shop_file: Path
) -> None:
    bad = """\
tables:
  customers:
    identify: {email: email}
    erase: shred
  orders:
    parent: carts via cart_id
    colour: blue
"""
    response = dpo_client.post(
        ADD, form_data(database=str(shop_file), dataset=bad, username="u", password=SECRET)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["dataset"]
    assert len(errors) >= 3
    page = response.content.decode()
    for problem in errors:
        assert str(problem).replace("'", "&#x27;") in page
    assert "shred" in " ".join(errors) and "carts" in " ".join(errors) and "colour" in " ".join(errors)
    # What was typed is still there, except the password, which is never sent back.
    assert "colour: blue" in page and 'value="u"' in page
    assert SECRET not in page
    assert not CompanySystem.objects.filter(name="Shop").exists()


def test_invalid_yaml_and_a_missing_database_are_field_errors(dpo_client: Client) -> None:
    response = dpo_client.post(ADD, form_data(dataset="tables: [unclosed"))

    form = response.context["adminform"].form
    assert response.status_code == 200
    assert "not valid YAML" in " ".join(form.errors["dataset"])
    assert form.errors["database"] == ["Give the SQLite file's path."]
    assert not CompanySystem.objects.exists()


def test_a_manual_system_needs_no_settings_and_keeps_no_credentials(dpo_client: Client) -> None:
    system = postgres_system(username="portal_reader", password=SECRET)
    data = form_data(name=system.name, connector="", dialect="", dataset="")

    response = dpo_client.post(change_url(system), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    system.refresh_from_db()
    assert system.connector == "" and system.connector_settings == {} and system.credentials == ""


# --- credentials -------------------------------------------------------------------------------------------


def test_the_password_is_encrypted_at_rest_and_a_blank_one_keeps_it(
    dpo_client: Client, shop_file: Path
) -> None:
    data = form_data(dialect="postgresql", host="db.internal", port="5432", database="shop")
    response = dpo_client.post(ADD, {**data, "username": "portal_writer", "password": SECRET})
    assert response.status_code == 302, response.content.decode()[:3000]
    system = CompanySystem.objects.get(name="Shop")
    assert system.connector_settings["port"] == 5432

    column = stored_credentials_column(system)
    assert SECRET not in column and "portal_writer" not in column and "p@ss" not in column
    assert json.loads(fernet().decrypt(column.encode())) == {"username": "portal_writer", "password": SECRET}

    # Saved again with the password left blank (as the page always shows it): the stored one stays.
    response = dpo_client.post(change_url(system), {**data, "username": "portal_reader", "password": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    system.refresh_from_db()
    assert services.credentials_of(system) == {"username": "portal_reader", "password": SECRET}

    # And a new password replaces it.
    dpo_client.post(change_url(system), {**data, "username": "portal_reader", "password": "another one"})
    system.refresh_from_db()
    assert services.credentials_of(system)["password"] == "another one"

    # The admin's history names the fields that changed, never their values.
    log = admin_log_text()
    assert "password" in log.lower()
    assert SECRET not in log and "another one" not in log and "portal_writer" not in log


def test_credentials_no_key_can_open_are_a_plain_error(settings: Any, dpo_client: Client) -> None:
    system = postgres_system(username="portal_reader", password=SECRET)
    settings.ENCRYPTION_KEYS = ["dGhlLW90aGVyLWtleS1ub2JvZHktaGFzLTAwMDAwMDA="]

    with pytest.raises(ConnectorError, match="cannot be read with the current encryption keys"):
        services.credentials_of(system)
    # The page still opens, says so, and asks for the password again rather than losing it silently.
    page = dpo_client.get(change_url(system))
    assert page.status_code == 200 and "cannot be read" in page.content.decode()
    response = dpo_client.post(
        change_url(system),
        form_data(name=system.name, dialect="postgresql", database="postgres", username="portal_reader"),
    )
    assert response.status_code == 200
    assert "cannot be read" in " ".join(response.context["adminform"].form.errors["password"])


# --- the connection test -----------------------------------------------------------------------------------


def test_testing_a_good_sqlite_database_says_the_account_can_write(
    dpo_client: Client, shop_file: Path
) -> None:
    dpo_client.post(ADD, form_data(database=str(shop_file)))
    system = CompanySystem.objects.get(name="Shop")

    response = dpo_client.post(test_url(system), follow=True)

    assert response.redirect_chain[-1][0] == change_url(system)
    message = test_message(response)
    assert "The connection works" in message
    assert "can read and write: access, erasure and correction will work" in message


def test_a_read_only_sqlite_file_can_read_only(dpo_client: Client, shop_file: Path) -> None:
    dpo_client.post(ADD, form_data(database=str(shop_file), read_only="on"))
    system = CompanySystem.objects.get(name="Shop")
    assert system.connector_settings["read_only"] is True

    message = test_message(dpo_client.post(test_url(system), follow=True))

    assert "can read only: access works; erasure and correction will refuse" in message


def test_a_missing_sqlite_file_is_a_plain_error(dpo_client: Client, tmp_path: Path) -> None:
    missing = tmp_path / "gone.sqlite3"
    dpo_client.post(ADD, form_data(database=str(missing)))
    system = CompanySystem.objects.get(name="Shop")

    message = test_message(dpo_client.post(test_url(system), follow=True))

    assert message.startswith("The connection test failed: Could not open the SQLite file")
    assert "check the path" in message
    assert not missing.exists()  # the test never creates an empty database in its place


def test_a_wrong_postgresql_login_is_a_plain_error_without_the_password(dpo_client: Client) -> None:
    # The suite's server trusts local connections, so an unknown user stands in for a wrong password.
    system = postgres_system(username="no_such_portal_user", password=SECRET)

    response = dpo_client.post(test_url(system), follow=True)

    message = test_message(response)
    assert "The database refused the password for user 'no_such_portal_user'" in message
    page = response.content.decode()
    assert SECRET not in page and SECRET not in message


def test_the_connection_test_is_a_csrf_protected_post(dpo: Any, shop_file: Path) -> None:
    system = CompanySystem.objects.create(
        name="Shop",
        connector="sql",
        connector_settings={"dialect": "sqlite", "database": str(shop_file), "dataset": sample.DATASET},
    )
    client = signed_in(dpo, "DPO")
    assert client.get(test_url(system)).status_code == 405
    client.handler.enforce_csrf_checks = True
    assert client.post(test_url(system)).status_code == 403


def test_a_handler_may_not_run_the_connection_test(handler: Any, shop_file: Path) -> None:
    system = CompanySystem.objects.create(
        name="Shop",
        connector="sql",
        connector_settings={"dialect": "sqlite", "database": str(shop_file), "dataset": sample.DATASET},
    )
    client = signed_in(handler, "Handler")

    assert client.post(test_url(system)).status_code == 403
    assert "Test connection" not in client.get(change_url(system)).content.decode()


def test_the_list_shows_connector_and_owner(dpo_client: Client) -> None:
    CompanySystem.objects.create(name="Support mailbox", owner_email="support-owner@example.com")

    page = dpo_client.get("/admin/requests/companysystem/").content.decode()

    assert "Support mailbox" in page and "support-owner@example.com" in page


# --- the demo ----------------------------------------------------------------------------------------------


def test_seed_demo_makes_the_demo_shop_and_its_system_once(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())

    path = tmp_path / DEMO_SHOP_FILE
    system = CompanySystem.objects.get(name=DEMO_SHOP)
    assert system.connector == "sql"
    assert system.connector_settings == {
        "dialect": "sqlite",
        "database": str(path),
        "dataset": sample.DATASET,
    }
    assert services.credentials_of(system) == {}
    assert system.activities.exists()
    assert services.test_connection(system).can_write
    manual = CompanySystem.objects.get(name="Support mailbox")
    assert manual.connector == "" and manual.owner_email == "support-owner@example.com"

    engine = sa.create_engine(sa.URL.create("sqlite", database=str(path)))
    try:
        with engine.begin() as conn:
            emails: set[str] = set(conn.execute(sa.text("SELECT email FROM customers")).scalars())
            assert {case["requester_email"] for case in DEMO_CASES} <= emails
            # What happens to the file afterwards (an erasure) survives the next run.
            conn.execute(sa.text("DELETE FROM newsletter_subscribers WHERE email = 'olivia@example.org'"))

        systems = CompanySystem.objects.count()
        call_command("seed_demo", stdout=io.StringIO())
        assert CompanySystem.objects.count() == systems
        with engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT count(*) FROM newsletter_subscribers WHERE email LIKE 'olivia%'")
            )
            assert left.scalar() == 0
    finally:
        engine.dispose()

    # A missing file is made again.
    path.unlink()
    call_command("seed_demo", stdout=io.StringIO())
    assert path.exists() and not path.with_name(path.name + ".partial").exists()
    assert services.test_connection(CompanySystem.objects.get(name=DEMO_SHOP)).can_write


# --- Zoho CRM ----------------------------------------------------------------------------------------------


def zoho_form(**fields: Any) -> dict[str, Any]:
    from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    values: dict[str, Any] = {
        "name": "Zoho CRM", "connector": "zoho", "dialect": "", "dataset": "", "data_centre": "eu",
        "zoho_modules": "Leads, Contacts", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }  # fmt: skip
    return form_data(**{**values, **fields})


def test_a_dpo_connects_zoho_and_its_secrets_are_kept_encrypted_and_never_shown(dpo_client: Client) -> None:
    from tests.fakes.zoho import CLIENT_SECRET, REFRESH_TOKEN, ZohoSim

    response = dpo_client.post(ADD, zoho_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    system = CompanySystem.objects.get(name="Zoho CRM")
    assert system.connector_settings == {"data_centre": "eu", "modules": ["Leads", "Contacts"]}
    column = stored_credentials_column(system)
    assert CLIENT_SECRET not in column and REFRESH_TOKEN not in column
    page = dpo_client.get(change_url(system)).content.decode()
    assert CLIENT_SECRET not in page and REFRESH_TOKEN not in page and "Test connection" in page
    assert CLIENT_SECRET not in admin_log_text() and REFRESH_TOKEN not in admin_log_text()

    # Saved again with the secrets left blank: they are kept.
    assert (
        dpo_client.post(change_url(system), zoho_form(client_secret="", refresh_token="")).status_code == 302
    )
    assert services.credentials_of(system)["refresh_token"] == REFRESH_TOKEN

    with ZohoSim() as sim:
        # The simulator stands in for accounts.zoho.eu (a setting the form keeps but never shows).
        CompanySystem.objects.filter(pk=system.pk).update(
            connector_settings={**system.connector_settings, "accounts_url": sim.url}
        )
        message = test_message(dpo_client.post(test_url(system), follow=True))
    assert "Sim Ltd" in message and "data centre .eu" in message, message


def test_a_zoho_system_without_its_secrets_is_refused_with_every_missing_field(dpo_client: Client) -> None:
    response = dpo_client.post(
        ADD, zoho_form(data_centre="", client_id="", client_secret="", refresh_token="")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"data_centre", "client_id", "client_secret", "refresh_token"} <= set(errors)
    assert not CompanySystem.objects.filter(name="Zoho CRM").exists()


def test_the_zoho_settings_beyond_the_connection_are_form_fields_and_round_trip(dpo_client: Client) -> None:
    from requests.connectors import build
    from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    advanced = {
        "zoho_modules": "Leads, Contacts, Deals",
        "zoho_rectify": "Leads.Last_Name\r\nContacts.Last_Name\r\n\r\n  Contacts.Phone  \r\nLeads.Last_Name",
        "zoho_keep": "Deals: tax law, invoices kept 10 years",
        "zoho_compliance": "on",
        "zoho_opt_out": "Contacts",
        "zoho_accounts_url": "http://127.0.0.1:8765/",
    }
    response = dpo_client.post(ADD, zoho_form(**advanced))
    assert response.status_code == 302, response.content.decode()[:3000]
    system = CompanySystem.objects.get(name="Zoho CRM")
    expected = {
        "data_centre": "eu",
        "modules": ["Leads", "Contacts", "Deals"],
        "rectify": {"Leads": ["Last_Name"], "Contacts": ["Last_Name", "Phone"]},
        "keep": {"Deals": "tax law, invoices kept 10 years"},
        "compliance": True,
        "opt_out": ["Contacts"],
        "accounts_url": "http://127.0.0.1:8765",
    }
    assert system.connector_settings == expected
    connector = build("zoho", system.connector_settings, services.credentials_of(system))
    assert {"rectify", "restrict", "opt_out"} <= connector.capabilities

    # The page shows them as typed (tidied), and saving it again as shown changes nothing.
    form = dpo_client.get(change_url(system)).context["adminform"].form
    shown = {name: form[name].value() for name in advanced}
    assert shown == {
        "zoho_modules": "Leads, Contacts, Deals",
        "zoho_rectify": "Leads.Last_Name\nContacts.Last_Name\nContacts.Phone",
        "zoho_keep": "Deals: tax law, invoices kept 10 years",
        "zoho_compliance": True,
        "zoho_opt_out": "Contacts",
        "zoho_accounts_url": "http://127.0.0.1:8765",
    }
    again = {**shown, "zoho_compliance": "on", "client_secret": "", "refresh_token": ""}
    assert dpo_client.post(change_url(system), zoho_form(**again)).status_code == 302
    system.refresh_from_db()
    assert system.connector_settings == expected
    assert services.credentials_of(system) == {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN
    }  # fmt: skip

    # Emptied (the box unticked): the keys go, and the connector's defaults apply; keys with no field stay.
    CompanySystem.objects.filter(pk=system.pk).update(
        connector_settings={**expected, "restrict_field": "Processing_Basis__c", "max_wait": 30}
    )
    cleared = {name: "" for name in advanced if name != "zoho_compliance"}
    assert (
        dpo_client.post(
            change_url(system), zoho_form(**cleared, client_secret="", refresh_token="")
        ).status_code
        == 302
    )
    system.refresh_from_db()
    assert system.connector_settings == {
        "data_centre": "eu",
        "restrict_field": "Processing_Basis__c",
        "max_wait": 30,
    }


def test_bad_zoho_settings_are_refused_field_by_field_and_line_by_line(dpo_client: Client) -> None:
    response = dpo_client.post(
        ADD,
        zoho_form(
            zoho_modules="Leads, Contacts, Bad Name",
            zoho_rectify="Leads.Last_Name\nLast_Name\nAccounts.Phone",
            zoho_keep="Deals\nLeads: \nContacts: consent records\nContacts: twice",
            zoho_opt_out="Leads, Vendors",
            zoho_accounts_url="http://crm.example.com",
        ),
    )
    assert response.status_code == 200
    errors = {
        name: " ".join(problems) for name, problems in response.context["adminform"].form.errors.items()
    }
    assert "“Bad Name” is not a module's API name" in errors["zoho_modules"]
    assert "Line 2: write Module.Field, e.g. Leads.Last_Name." in errors["zoho_rectify"]
    assert "Line 3: Accounts is not among the modules searched (Leads, Contacts)" in errors["zoho_rectify"]
    assert "Line 1" not in errors["zoho_rectify"]
    assert "Line 1: write Module: legal ground" in errors["zoho_keep"]
    assert "Line 2: write Module: legal ground" in errors["zoho_keep"]
    assert "Line 4: Contacts has a ground already" in errors["zoho_keep"]
    assert "Vendors is not among the modules searched" in errors["zoho_opt_out"]
    assert "https://" in errors["zoho_accounts_url"]
    page = response.content.decode()
    assert "Accounts.Phone" in page and "Contacts: twice" in page  # what was typed is still there
    assert not CompanySystem.objects.filter(name="Zoho CRM").exists()


def test_the_zoho_accounts_server_must_be_https_or_this_machine() -> None:
    from requests.connectors import build
    from requests.connectors.zoho import insecure_url
    from tests.fakes.zoho import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
    for url in (
        "http://127.0.0.1:8765",
        "http://localhost:8765",
        "https://accounts.zoho.eu",
        "http://[::1]:1",
    ):
        assert not insecure_url(url), url
        build("zoho", {"accounts_url": url}, credentials)
    for url in (
        "http://accounts.zoho.eu",
        "http://127.0.0.1.example.com",
        "ftp://127.0.0.1",
        "127.0.0.1:8765",
    ):
        assert insecure_url(url), url
        with pytest.raises(ConnectorError, match="must begin with https://"):
            build("zoho", {"accounts_url": url}, credentials)


def test_seed_demo_wires_the_demo_zoho_crm_to_the_simulator_once(settings: Any, tmp_path: Path) -> None:
    from requests.management.commands.seed_demo import DEMO_ZOHO_CREDENTIALS
    from tests.fakes import zoho as simulator

    settings.VAR_DIR = tmp_path
    assert DEMO_ZOHO_CREDENTIALS == {"client_id": simulator.CLIENT_ID, "client_secret": simulator.CLIENT_SECRET,
                                     "refresh_token": simulator.REFRESH_TOKEN}  # fmt: skip
    call_command("seed_demo", stdout=io.StringIO())
    zoho = CompanySystem.objects.get(name="Zoho CRM")
    assert (
        zoho.connector == "" and zoho.activities.exists()
    )  # without the simulator's address: a manual system

    with simulator.ZohoSim() as sim:
        sim.seed_demo()
        out = io.StringIO()
        call_command("seed_demo", zoho_url=sim.url + "/", stdout=out)  # the system exists without a connector
        assert f"uses the Zoho CRM simulator at {sim.url}" in out.getvalue()
        zoho.refresh_from_db()
        assert zoho.connector == "zoho" and zoho.connector_settings["accounts_url"] == sim.url
        assert services.credentials_of(zoho) == DEMO_ZOHO_CREDENTIALS
        check = services.test_connection(zoho)
        assert check.can_write and "Sim Ltd" in check.message

        systems = CompanySystem.objects.count()
        call_command("seed_demo", zoho_url=sim.url, stdout=io.StringIO())
        assert CompanySystem.objects.count() == systems

    # Another port: the address follows, what a DPO changed on the demo system stays.
    CompanySystem.objects.filter(pk=zoho.pk).update(
        connector_settings={**zoho.connector_settings, "keep": {}, "compliance": True}
    )
    call_command("seed_demo", zoho_url="http://localhost:8766", stdout=io.StringIO())
    zoho.refresh_from_db()
    assert zoho.connector_settings["accounts_url"] == "http://localhost:8766"
    assert zoho.connector_settings["compliance"] is True and zoho.connector_settings["keep"] == {}

    # A DPO who connected the real account: the demo never points it back at a simulator.
    real = {"data_centre": "eu", "modules": ["Contacts"]}
    CompanySystem.objects.filter(pk=zoho.pk).update(connector_settings=real)
    call_command("seed_demo", zoho_url="http://127.0.0.1:8765", stdout=io.StringIO())
    zoho.refresh_from_db()
    assert zoho.connector_settings == real

    with pytest.raises(CommandError, match="simulator on this machine"):
        call_command("seed_demo", zoho_url="https://accounts.zoho.eu", stdout=io.StringIO())


def test_seed_demo_makes_the_demo_zoho_crm_if_the_register_had_none(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    CompanySystem.objects.filter(name="Zoho CRM").delete()
    call_command("seed_demo", zoho_url="http://127.0.0.1:8765", stdout=io.StringIO())
    zoho = CompanySystem.objects.get(name="Zoho CRM")
    assert zoho.connector == "zoho" and zoho.owner is not None
    assert [a.name for a in zoho.activities.all()] == ["Client relationship"]
