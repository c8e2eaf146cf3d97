"""Email addresses as they identify a person: one normalised form, matched exactly.

A database's case folding is not safe for this: PostgreSQL's UPPER() folds the dotless `ı` into `I`, so
`victim@gmaıl.com` (a domain anyone can register) matched `victim@gmail.com`. The normalised form is:
- the domain in IDNA (its ASCII "xn--" form, as DNS resolves it), lower-cased: two spellings of one domain
  become one, two look-alike domains stay two;
- the local part in Unicode NFC (only canonically equal spellings meet, such as a precomposed `é` and `e` with
  a combining accent) with ASCII letters lower-cased and nothing else folded: no compatibility or case mapping
  of other scripts, so no confusable character (`ſ`, the Kelvin sign, fullwidth letters) is merged into a letter
  of someone else's address. (NFKC, which DESIGN §6 names, would merge exactly those.)
The address the person typed is kept for sending; this form is only for matching.
"""

from __future__ import annotations

import contextlib
import re
import string
import unicodedata

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalise_email(address: str) -> str:
    """The form an address is stored and matched on (idempotent: normalising it again changes nothing)."""
    text = unicodedata.normalize("NFC", address.strip())
    local, at, domain = text.rpartition("@")
    if not at:
        return text.translate(_ASCII_LOWER)
    # Not a valid domain name: kept as typed (NFC), so it can only ever match itself. IDNA first, then the
    # trailing dot: IDNA turns the ideographic full stops (。．｡) into dots.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    domain = domain.rstrip(".")
    return f"{_unquoted(local).translate(_ASCII_LOWER)}@{domain.translate(_ASCII_LOWER)}"


def _unquoted(local: str) -> str:
    """`"ada"` and `ada` are one mailbox (RFC 5321 quoted string): the quotes and escapes go, unless what is
    inside needs them (holds a quote itself), so that normalising twice changes nothing."""
    if len(local) >= 2 and local[0] == local[-1] == '"':
        inner = re.sub(r"\\(.)", r"\1", local[1:-1])
        if '"' not in inner and "\\" not in inner:
            return inner
    return local
