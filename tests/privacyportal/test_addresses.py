"""Addresses as they identify a person: look-alikes never meet, spellings of one address always do."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from privacyportal.addresses import normalise_email

ASCII_LABEL = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
ADDRESS = st.builds(
    lambda local, name, tld: f"{local}@{name}.{tld}",
    ASCII_LABEL,
    ASCII_LABEL,
    st.sampled_from(["com", "org", "ru"]),
)
# Characters that look like an ASCII letter but are another letter: a domain or mailbox with one of them is a
# different domain or mailbox, which anyone may own.
LOOK_ALIKES = {
    "i": ["ı", "і", "ί"],  # Turkish dotless i (UPPER() folds it into I), Cyrillic і, Greek ί
    "I": ["İ", "І"],
    "a": ["а", "ɑ", "α"],  # Cyrillic а, Latin alpha, Greek alpha
    "e": ["е", "ė"],
    "o": ["о", "ο", "օ"],
    "c": ["с", "ϲ"],
    "p": ["р", "ρ"],
    "s": ["ѕ"],
    "x": ["х"],
    "y": ["у"],
}
# In a mailbox name only: a domain name maps these onto ASCII itself (IDNA), so there they are the same domain.
# (Not the Kelvin sign: Unicode makes it canonically equal to K, so NFC rightly writes it as K.)
LOCAL_ONLY_LOOK_ALIKES = {"s": ["ſ"], "a": ["ａ"], "m": ["ｍ"], "f": ["ｆ"]}


@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing(address: str) -> None:
    once = normalise_email(address)
    assert normalise_email(once) == once


@given(ADDRESS)
def test_one_address_in_any_ascii_case_is_one_person(address: str) -> None:
    assert normalise_email(address.upper()) == normalise_email(address.swapcase()) == normalise_email(address)


@given(ADDRESS, st.data())
def test_a_look_alike_character_anywhere_is_someone_else(address: str, data: st.DataObject) -> None:
    local, _, domain = address.partition("@")
    for part, table in (("local", {**LOOK_ALIKES, **LOCAL_ONLY_LOOK_ALIKES}), ("domain", LOOK_ALIKES)):
        text = local if part == "local" else domain
        spots = [i for i, char in enumerate(text) if char in table]
        if not spots:
            continue
        i = data.draw(st.sampled_from(spots))
        fake = text[:i] + data.draw(st.sampled_from(table[text[i]])) + text[i + 1 :]
        look_alike = f"{fake}@{domain}" if part == "local" else f"{local}@{fake}"
        assert normalise_email(look_alike) != normalise_email(address), look_alike


def test_the_reported_look_alike_and_real_spellings_of_one_domain() -> None:
    assert normalise_email("victim@gmaıl.com") != normalise_email("victim@gmail.com")
    assert normalise_email("victim@gmaıl.com") == "victim@xn--gmal-nza.com"
    assert normalise_email(" Victim@GMAIL.com ") == "victim@gmail.com"
    assert normalise_email("anna@BÜCHER.de.") == normalise_email("anna@bücher.de") == "anna@xn--bcher-kva.de"
    # A precomposed é and e + combining acute are one spelling (NFC); an accented letter is not its base letter.
    assert normalise_email("ren\u00e9@example.org") == normalise_email("rene\u0301@example.org")
    assert normalise_email("rené@example.org") != normalise_email("rene@example.org")


def test_spellings_of_one_mailbox_meet_so_no_limit_can_be_dodged() -> None:
    # A quoted local part and a domain ending in an ideographic full stop are the same mailbox: each variant was
    # a fresh key (a way round the per-recipient limits) or, for the full stop, not idempotent (an empty status page).
    key = normalise_email("ada@example.org")
    for variant in (
        '"ada"@example.org',
        '"\\a\\d\\a"@example.org',
        "ada@example.org。",
        "ada@example.org．",
        "ADA@Example.Org.",
    ):
        assert normalise_email(variant) == key, variant
        assert normalise_email(normalise_email(variant)) == key
    assert normalise_email('"a\\"b"@example.org') == normalise_email(normalise_email('"a\\"b"@example.org'))
