"""Create the demo DPO (printing its credentials once), a handful of demo cases, and a demo shop database (SQLite,
under VAR_DIR) wired to the SQL connector; with --zoho-url, the demo's "Zoho CRM" system is wired to the Zoho CRM
simulator (tests/fakes/zoho.py) that `make run` starts there. Safe to re-run: nothing is duplicated, and the shop's
file is made only when it is missing (changes an erasure made to it stay)."""

from __future__ import annotations

import io
import mailbox
import os
import secrets
import urllib.parse
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import segno
import sqlalchemy as sa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests import services
from requests.connectors import sample
from requests.connectors.zoho import LOCAL_HOSTS, insecure_url
from requests.models import CompanySystem, ConnectorKind, PrivacyRequest, ProcessingActivity, ThirdParty
from requests.roles import ensure_roles

# The reference operator (a small Zoho consultancy): what it processes, and where the data lives. Each text in
# English and in Russian: a Russian-speaking requester's letters print the Russian (requests/translation.py).
DEMO_REGISTER: list[dict[str, Any]] = [
    {
        "name_en": "Client relationship",
        "name_ru": "Работа с клиентами",
        "purposes_en": "Answering enquiries, running projects for our clients and keeping in touch with them.",
        "purposes_ru": "Рассмотрение обращений, исполнение проектов по договорам с клиентами и поддержание связи "
        "с ними.",
        "data_categories_en": "Name, work email, phone, company, job title, notes of calls and meetings.",
        "data_categories_ru": "Фамилия, имя; рабочий адрес электронной почты; номер телефона; наименование "
        "организации; должность; записи о телефонных переговорах и встречах.",
        "legal_basis": "contract",
        "sources_en": "You, when you contact us or sign a contract; your employer.",
        "sources_ru": "Непосредственно от вас — при обращении к нам или заключении договора; от вашего "
        "работодателя.",
        "recipients_en": "Zoho Corporation B.V. (CRM hosting)\nGoogle Ireland Ltd (email)",
        "recipients_ru": "Zoho Corporation B.V. (размещение CRM-системы)\nGoogle Ireland Ltd (электронная почта)",
        "retention_en": "The contract plus 6 years (limitation period).",
        "retention_ru": "В течение срока действия договора и 6 лет после его прекращения (срок исковой давности).",
        "transfers_en": "Zoho may process data in India under the EU standard contractual clauses.",
        "transfers_ru": "Трансграничная передача: Zoho может обрабатывать данные в Индии на основании "
        "стандартных договорных условий, утверждённых Европейской комиссией.",
    },
    {
        "name_en": "Billing and accounting",
        "name_ru": "Выставление счетов и бухгалтерский учёт",
        "purposes_en": "Invoicing, collecting payment and keeping the accounts the law requires.",
        "purposes_ru": "Выставление счетов, получение оплаты и ведение бухгалтерского учёта в соответствии с "
        "требованиями законодательства.",
        "data_categories_en": "Name, billing address, VAT number, invoices, payments.",
        "data_categories_ru": "Фамилия, имя; адрес для выставления счетов; номер плательщика НДС; счета; сведения "
        "о платежах.",
        "legal_basis": "legal_obligation",
        "sources_en": "You or your employer.",
        "sources_ru": "Непосредственно от вас или от вашего работодателя.",
        "recipients_en": "Xero Ltd (accounting)\nStripe Payments Europe Ltd (card payments)\n"
        "Our accountants, Smith & Co LLP",
        "recipients_ru": "Xero Ltd (бухгалтерский учёт)\nStripe Payments Europe Ltd (приём платежей по банковским "
        "картам)\nНаши бухгалтеры, Smith & Co LLP",
        "retention_en": "6 years after the end of the financial year (HMRC).",
        "retention_ru": "6 лет после окончания финансового года (требование налоговой службы Великобритании, "
        "HMRC).",
        "transfers_en": "Xero and Stripe may process data in the US under the UK IDTA.",
        "transfers_ru": "Трансграничная передача: Xero и Stripe могут обрабатывать данные в США на основании "
        "Соглашения о международной передаче данных Великобритании (UK IDTA).",
    },
    {
        "name_en": "Newsletter",
        "name_ru": "Информационная рассылка",
        "purposes_en": "Sending our newsletter and event invitations to people who asked for them.",
        "purposes_ru": "Направление информационной рассылки и приглашений на мероприятия лицам, которые на них "
        "подписались.",
        "data_categories_en": "Name, email, which emails were opened.",
        "data_categories_ru": "Имя; адрес электронной почты; сведения об открытии писем.",
        "legal_basis": "consent",
        "sources_en": "You, when you subscribe.",
        "sources_ru": "Непосредственно от вас — при оформлении подписки.",
        "recipients_en": "Zoho Corporation B.V. (Zoho Campaigns)",
        "recipients_ru": "Zoho Corporation B.V. (сервис Zoho Campaigns)",
        "retention_en": "Until you unsubscribe, then a suppression entry so we never email you again.",
        "retention_ru": "До отзыва согласия (отказа от подписки); после этого адрес хранится только в стоп-листе, "
        "чтобы исключить повторную отправку вам писем.",
    },
]
DEMO_SYSTEMS: list[tuple[str, list[str]]] = [
    ("Zoho CRM", ["Client relationship"]),
    ("Google Workspace mail", ["Client relationship"]),
    ("Xero", ["Billing and accounting"]),
    ("Zoho Campaigns", ["Newsletter"]),
]

# The demo company's own database, reached by the SQL connector: the sample shop plus the demo requesters.
DEMO_SHOP_FILE = "demo-shop.sqlite3"
DEMO_SHOP = "Shop database (demo)"
DEMO_SHOP_SERVES = ["Client relationship", "Billing and accounting", "Newsletter"]
# A system no connector reaches: its owner is emailed a task.
DEMO_MANUAL = ("Support mailbox", "support-owner@example.com")
# What each demo system holds (a system's name is the same in every language: requests/translation.py).
DEMO_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Zoho CRM": {
        "description_en": "Contacts, deals, notes of calls",
        "description_ru": "Контакты, сделки, записи телефонных переговоров",
    },
    "Google Workspace mail": {
        "description_en": "Email with clients and prospects",
        "description_ru": "Переписка с клиентами и потенциальными клиентами",
    },
    "Xero": {"description_en": "Invoices and payments", "description_ru": "Счета и платежи"},
    "Zoho Campaigns": {
        "description_en": "Newsletter subscribers and opens",
        "description_ru": "Подписчики рассылки и сведения об открытии писем",
    },
    DEMO_SHOP: {
        "description_en": "Customers, orders, invoices, newsletter, support tickets (SQLite)",
        "description_ru": "Покупатели, заказы, счета, рассылка, обращения в службу поддержки (SQLite)",
    },
    "Support mailbox": {
        "description_en": "Support emails from customers",
        "description_ru": "Письма покупателей в службу поддержки",
    },
}
# The demo's Zoho CRM account: the simulator's fixed client and refresh token (tests/fakes/zoho.py prints them;
# a test checks they are the same). They open nothing but that simulator on this machine.
DEMO_ZOHO = "Zoho CRM"
DEMO_ZOHO_CREDENTIALS = {
    "client_id": "1000.SIMCLIENTID0000000000000000000",
    "client_secret": "sim-client-secret-0000000000000000000000",
    "refresh_token": "1000.simrefresh0000000000000000.simrefresh0000000000000000",
}
DEMO_ZOHO_SETTINGS: dict[str, Any] = {
    "data_centre": "eu",
    "rectify": {"Leads": ["Last_Name", "Phone"], "Contacts": ["Last_Name", "Phone", "Mailing_City"]},
    "keep": {"Deals": "accounting records: kept 6 years after the financial year (HMRC)"},
}

# A third party told of every opt-out (the demo's worker prints the notice in its console).
DEMO_THIRD_PARTIES: list[dict[str, Any]] = [
    {
        "name": "Northwind Ads (retargeting partner)",
        "email": "privacy@northwind-ads.example",
        "shared_with": True,
    },
]

DEMO_CASES: list[dict[str, Any]] = [
    {
        "kind": "access",
        "requester_name": "Olivia Bennett",
        "requester_email": "olivia@example.org",
        "country": "GB",
        "days_ago": 20,
    },
    {
        "kind": "erasure",
        "requester_name": "Lukas Schmidt",
        "requester_email": "lukas@example.de",
        "country": "DE",
        "language": "en",
        "days_ago": 9,
    },
    {
        "kind": "access",
        "requester_name": "Maria Gonzalez",
        "requester_email": "maria@example.com",
        "country": "US",
        "subdivision": "CA",
        "days_ago": 3,
    },
    {
        "kind": "rectification",
        "requester_name": "Иван Петров",
        "requester_email": "ivan@example.ru",
        "country": "RU",
        "language": "ru",
        "rectification_current": "Адрес: ул. Ленина, 1",
        "rectification_wanted": "Адрес: ул. Пушкина, 10",
        "days_ago": 6,
    },
    {
        "kind": "portability",
        "requester_name": "Ana Souza",
        "requester_email": "ana@example.com.br",
        "country": "BR",
        "days_ago": 2,
    },
    {
        "kind": "opt_out",
        "requester_name": "Sam Carter",
        "requester_email": "sam@example.com",
        "country": "US",
        "subdivision": "CA",
        "days_ago": 1,
    },
]


class Command(BaseCommand):
    help = "Create a demo DPO with TOTP and backup codes, and demo cases (only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="dpo")
        parser.add_argument(
            "--zoho-url",
            default="",
            help="The Zoho CRM simulator's address (http://127.0.0.1:PORT), to wire the demo's Zoho CRM to it.",
        )

    @transaction.atomic
    def handle(self, *args: Any, username: str, zoho_url: str = "", **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo DPO '{username}' exists already; its credentials were printed when created."
            )
        else:
            self._create_dpo(username)
        if not ProcessingActivity.objects.exists():
            self._create_register(user_model.objects.get(username=username))
        # The systems first: verifying a demo case below starts the shop's connector on it.
        self._create_demo_systems(user_model.objects.get(username=username))
        if zoho_url:
            self._connect_demo_zoho(user_model.objects.get(username=username), zoho_url)
        self._complete_translations()
        if not PrivacyRequest.objects.exists():
            self._create_cases(user_model.objects.get(username=username))
        base = settings.PORTAL_BASE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS(f"Privacy Portal: {base}/  (staff: {base}/admin/)"))

    def _create_dpo(self, username: str) -> None:
        password = secrets.token_urlsafe(12)
        user = get_user_model().objects.create_superuser(username, f"{username}@example.com", password)
        ensure_roles()
        user.groups.add(Group.objects.get(name="DPO"))
        totp = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
        backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(10)]
        for code in codes:
            backup.token_set.create(token=code)
        qr = segno.make(totp.config_url, micro=False)
        self.stdout.write(self.style.WARNING("Demo DPO created. These credentials are shown only now:"))
        self.stdout.write(
            f"  URL:       {settings.PORTAL_BASE_URL.rstrip('/')}/admin/\n"
            f"  username:  {username}\n  password:  {password}"
        )
        self.stdout.write(f"  TOTP URI:  {totp.config_url}")
        self.stdout.write("  Scan this with an authenticator app, or sign in with a backup code:")
        drawing = io.StringIO()
        qr.terminal(out=drawing, compact=True)
        self.stdout.write(drawing.getvalue(), ending="")
        self.stdout.write("  Backup codes (single use): " + " ".join(codes))

    def _create_register(self, dpo: Any) -> None:
        activities = {spec["name_en"]: ProcessingActivity.objects.create(**spec) for spec in DEMO_REGISTER}
        for name, serves in DEMO_SYSTEMS:
            system = CompanySystem.objects.create(name=name, owner=dpo, **DEMO_DESCRIPTIONS[name])
            system.activities.set([activities[a] for a in serves])
        self.stdout.write(
            f"Created {len(activities)} register entries and {len(DEMO_SYSTEMS)} company systems."
        )

    def _complete_translations(self) -> None:
        """A demo made before the register had a Russian side gets the demo's Russian texts where it has none;
        what a DPO wrote is kept."""
        for spec in DEMO_REGISTER:
            fill_missing(ProcessingActivity.objects.filter(name_en=spec["name_en"]).first(), spec)
        for name, texts in DEMO_DESCRIPTIONS.items():
            fill_missing(CompanySystem.objects.filter(name=name).first(), texts)

    def _create_cases(self, dpo: Any) -> None:
        now = timezone.now()
        cases = []
        for spec in DEMO_CASES:
            fields = {k: v for k, v in spec.items() if k != "days_ago"}
            received = now - timedelta(days=spec["days_ago"])
            cases.append(services.submit(services.NewRequest(**fields, received_at=received)))
        olivia, lukas, maria, ivan, _ana, _sam = cases
        # The confirmed email is all a UK access or a German erasure needs: each opens, and the shop's connector
        # starts (the erasure's dry run waits on the case page for the DPO's approval).
        services.confirm_email(olivia)
        services.assign(olivia, to=dpo, by=dpo)
        services.confirm_email(lukas)
        # A Californian's request to know waits for staff to match two details (CCPA regulations §7062(b)).
        services.confirm_email(maria)
        services.confirm_email(ivan)
        self.stdout.write(f"Created {len(cases)} demo cases.")
        if settings.MAILBOX_MAILDIR:
            self._fill_demo_mailbox(olivia)

    def _fill_demo_mailbox(self, olivia: PrivacyRequest) -> None:
        """Two emails to the demo's privacy mailbox (a Maildir): a new request in Russian, which waits in the
        inbox, and Olivia's reply naming her case, which joins its messages when the worker's sweep runs."""
        box = mailbox.Maildir(settings.MAILBOX_MAILDIR, create=True)
        for sender, subject, text in (
            ("Анна Кузнецова <anna.kuznetsova@example.ru>", "Удалите мои данные",
             "Здравствуйте! Прошу удалить все мои персональные данные из вашей базы клиентов.\nАнна Кузнецова"),
            (f"{olivia.requester_name} <{olivia.requester_email}>", f"Re: {olivia.reference}",
             "Thank you. Please include the orders from my old account too.\n\nOlivia"),
        ):  # fmt: skip
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = sender, "privacy@example.com", subject
            message["Message-ID"] = make_msgid(domain="demo.example")
            message.set_content(text)
            box.add(message.as_bytes())
        self.stdout.write(f"Put 2 emails in the demo's privacy mailbox {settings.MAILBOX_MAILDIR}.")

    def _create_demo_systems(self, dpo: Any) -> None:
        """The demo shop's SQLite file (made only when missing) and its system; a manual system beside it."""
        path = Path(settings.VAR_DIR) / DEMO_SHOP_FILE
        if not path.exists():
            make_demo_shop(path, [(c["requester_name"], c["requester_email"]) for c in DEMO_CASES])
            self.stdout.write(f"Created the demo shop database {path}.")
        system, created = CompanySystem.objects.get_or_create(
            name=DEMO_SHOP,
            defaults={
                **DEMO_DESCRIPTIONS[DEMO_SHOP],
                "owner": dpo,
                "connector": ConnectorKind.SQL,
                "connector_settings": {"dialect": "sqlite", "database": str(path), "dataset": sample.DATASET},
            },
        )
        if created:
            services.set_credentials(system, {})  # SQLite needs none: an empty object, encrypted as any other
            system.activities.set(ProcessingActivity.objects.filter(name_en__in=DEMO_SHOP_SERVES))
            self.stdout.write(f"Created the company system '{DEMO_SHOP}' (SQL connector).")
        name, owner_email = DEMO_MANUAL
        # Support email is never used for marketing: an opt-out sends its owner no task, so the demo's opt-out
        # completes by itself once the connectors have run and the third party has been told.
        CompanySystem.objects.get_or_create(
            name=name,
            defaults={**DEMO_DESCRIPTIONS[name], "owner_email": owner_email, "takes_opt_outs": False},
        )
        for third_party in DEMO_THIRD_PARTIES:
            ThirdParty.objects.get_or_create(name=third_party["name"], defaults=third_party)

    def _connect_demo_zoho(self, dpo: Any, url: str) -> None:
        """The demo's "Zoho CRM" system as a Zoho connector on the simulator at `url`. A system left without a
        connector, or already on a simulator on this machine, is (re)configured; one a DPO pointed elsewhere (a
        real account) or gave another connector is left alone."""
        url = url.strip().rstrip("/")
        host = urllib.parse.urlsplit(url).hostname
        if insecure_url(url) or host not in LOCAL_HOSTS:
            raise CommandError(
                f"--zoho-url must be the simulator on this machine (http://127.0.0.1:PORT), not {url}"
            )
        system, created = CompanySystem.objects.get_or_create(
            name=DEMO_ZOHO, defaults={**DEMO_DESCRIPTIONS[DEMO_ZOHO], "owner": dpo}
        )
        if created:
            system.activities.set(ProcessingActivity.objects.filter(name_en="Client relationship"))
        stored = system.connector_settings or {}
        on_simulator = system.connector == ConnectorKind.ZOHO and (
            urllib.parse.urlsplit(str(stored.get("accounts_url", ""))).hostname in LOCAL_HOSTS
        )
        if system.connector and not on_simulator:
            self.stdout.write(f"The company system '{DEMO_ZOHO}' has a connector of its own: left as it is.")
            return
        if on_simulator and stored.get("accounts_url") == url:
            return
        system.connector = ConnectorKind.ZOHO
        system.connector_settings = {
            **DEMO_ZOHO_SETTINGS,
            **(stored if on_simulator else {}),
            "accounts_url": url,
        }
        system.save(update_fields=["connector", "connector_settings"])
        services.set_credentials(system, DEMO_ZOHO_CREDENTIALS)
        self.stdout.write(f"The company system '{DEMO_ZOHO}' uses the Zoho CRM simulator at {url}.")


def fill_missing(entry: ProcessingActivity | CompanySystem | None, texts: dict[str, Any]) -> None:
    """Give `entry` the Russian ones of `texts` it has none of yet."""
    if entry is None:
        return
    missing = {
        field: text for field, text in texts.items() if field.endswith("_ru") and not getattr(entry, field)
    }
    if missing:
        type(entry).objects.filter(pk=entry.pk).update(**missing)


def make_demo_shop(path: Path, people: list[tuple[str, str]]) -> None:
    """The sample shop (requests/connectors/sample.py) with `people` as customers, in a new SQLite file.

    Written beside `path` and renamed into place, so a half-made file never looks like the demo database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    engine = sa.create_engine(sa.URL.create("sqlite", database=str(partial)))
    try:
        meta = sample.metadata()
        with engine.begin() as conn:
            meta.create_all(conn)
            sample.populate_example(conn, meta)
            # Dated six weeks ago: inside the period an access request covers (the 12 months before it).
            recent = (timezone.localtime() - timedelta(weeks=6)).replace(tzinfo=None, microsecond=0)
            sample.populate_people(conn, meta, people, on=recent)
    finally:
        engine.dispose()
    os.replace(partial, path)
