"""One sentence that explains a due date to a person, in their language (DESIGN §5).

"Due Mon 10 Mar 2025: UK GDPR, one month from Sat 8 Feb, moved off the weekend."
The arithmetic is in `deadlines`; this module only words its result.
"""

from __future__ import annotations

from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .deadlines import Adjustment, Clock, Deadlines, RegimeDeadline, Start, Unit

REGIME_NAMES = {
    "policy": lambda: _("our privacy policy"),
    "eu_gdpr": lambda: _("EU GDPR"),
    "uk_gdpr": lambda: _("UK GDPR"),
    "ccpa": lambda: _("CCPA"),
    "us_state": lambda: _("US state privacy law"),
    "lgpd": lambda: _("LGPD"),
    "quebec": lambda: _("Quebec Law 25"),
    "ru_152fz": lambda: _("Federal Law 152-FZ"),
    "pipeda": lambda: _("PIPEDA"),
    "ch_fadp": lambda: _("Swiss FADP"),
    "tr_kvkk": lambda: _("KVKK"),
    "kr_pipa": lambda: _("Korean PIPA"),
}


def regime_name(code: str) -> str:
    return REGIME_NAMES[code]() if code in REGIME_NAMES else code


def _day(value: date, *, year: bool) -> str:
    # Translators: Django date formats; Russian wants the genitive month ("E"): "Пн 10 марта 2025".
    return formats.date_format(
        value, pgettext("date with weekday", "D j M Y") if year else pgettext("date with weekday", "D j M")
    )


def _clock(clock: Clock) -> str:
    n = clock.amount
    if clock.unit is Unit.MONTHS:
        return ngettext("one month", "%(n)d months", n) % {"n": n}
    if clock.unit is Unit.WORKING_DAYS:
        return ngettext("%(n)d working day", "%(n)d working days", n) % {"n": n}
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _adjustments(adj: Adjustment) -> list[str]:
    parts = []
    if adj.restarted_from:
        # The month counts from the restart (the span says from when); the pause is said once, here.
        parts.append(
            ngettext(
                "restarted after %(n)d day waiting for the requester",
                "restarted after %(n)d days waiting for the requester",
                adj.paused_days,
            )
            % {"n": adj.paused_days}
        )
    if adj.last_day_of_month:
        parts.append(_("the last day of that month"))
    if adj.paused_days and not adj.restarted_from:
        parts.append(
            ngettext(
                "plus %(n)d day paused while waiting for the requester",
                "plus %(n)d days paused while waiting for the requester",
                adj.paused_days,
            )
            % {"n": adj.paused_days}
        )
    if adj.moved_because == "the weekend":
        parts.append(_("moved off the weekend"))
    elif adj.moved_because:
        parts.append(_("moved off a public holiday (%(holiday)s)") % {"holiday": adj.moved_because})
    return parts


def explain_regime(result: RegimeDeadline, *, extended: bool) -> str:
    use_extension = extended and result.extended_due is not None
    clock = result.regime.extended if use_extension and result.regime.extended else result.regime.clock
    due = result.effective(extended)
    adjustment = (result.extended_adjustment if use_extension else result.due_adjustment) or Adjustment()
    start = adjustment.restarted_from or result.received
    received = _day(start, year=start.year != due.year)
    if result.regime.start is Start.RECEIPT_IS_DAY_ONE:
        span = _("%(clock)s counting %(received)s as day 1") % {"clock": _clock(clock), "received": received}
    else:
        span = _("%(clock)s from %(received)s") % {"clock": _clock(clock), "received": received}
    if use_extension:
        span = _("extended to %(span)s") % {"span": span}
    name = regime_name(result.regime.code)
    if result.regime.state:  # `us_state` as one state's law: "US state privacy law (VA)"
        name = f"{name} ({result.regime.state})"
    parts = [name + ", " + span, *_adjustments(adjustment)]
    return _("Due %(date)s: %(reasons)s.") % {"date": _day(due, year=True), "reasons": ", ".join(parts)}


def explain(result: Deadlines) -> str:
    """Why the case is due when it is: the governing regime's arithmetic in one sentence."""
    return explain_regime(result.governing_deadline, extended=result.extended)


def for_requester(result: Deadlines) -> str:
    """The same date as a letter tells it to the requester: the law's period in words, and the day.

    "Federal Law 152-FZ, with the extension, gives us 15 working days from the day after we received your request.
    We will answer by 31 March 2025 at the latest." Staff see `explain`'s compact arithmetic; a letter is read by
    someone who never saw "Mon 10 Mar" notation, so it says the same thing in sentences.
    """
    governing = result.governing_deadline
    use_extension = result.extended and governing.extended_due is not None
    clock = (
        governing.regime.extended if use_extension and governing.regime.extended else governing.regime.clock
    )
    adjustment = (
        governing.extended_adjustment if use_extension else governing.due_adjustment
    ) or Adjustment()
    values = {"law": regime_name(governing.regime.code), "clock": _clock(clock)}
    if governing.regime.code == "policy":  # a promise, not a law: never "the law (our privacy policy) gives"
        if use_extension:
            period = _(
                "With the extension, our privacy policy gives us %(clock)s, counting the day we received your "
                "request as the first"
            )
        else:
            period = _(
                "Our privacy policy gives us %(clock)s, counting the day we received your request as the first"
            )
    elif governing.regime.start is Start.RECEIPT_IS_DAY_ONE:
        if use_extension:
            period = _(
                "With the extension, %(law)s gives us %(clock)s, counting the day we received your request as the "
                "first"
            )
        else:
            period = _("%(law)s gives us %(clock)s, counting the day we received your request as the first")
    elif use_extension:
        period = _(
            "With the extension, %(law)s gives us %(clock)s from the day after we received your request"
        )
    else:
        period = _("%(law)s gives us %(clock)s from the day after we received your request")
    sentence = period % values
    if adjustment.paused_days:
        sentence += ngettext(
            ", not counting the %(n)d day we waited for you",
            ", not counting the %(n)d days we waited for you",
            adjustment.paused_days,
        ) % {"n": adjustment.paused_days}
    if adjustment.moved_because:
        sentence += _("; as its last day is not a working day, the period ends on the next working day")
    due = formats.date_format(result.effective, pgettext("date in a sentence", "j F Y"))
    return sentence + ". " + _("We will answer by %(date)s at the latest.") % {"date": due}


def laws_that_apply(established_in: list[tuple[str, str]]) -> list[str]:
    """Why the laws apply to a request, a sentence per basis, for the home page.

    `established_in`: (place name, regime code) for each place the operator is established whose law applies to
    everyone (`deadlines.establishment_regimes`); then the law of where the requester lives.
    """
    sentences = [
        _("Because we are established in %(place)s, %(law)s applies to everyone's requests.")
        % {"place": place, "law": regime_name(code)}
        for place, code in established_in
    ]
    sentences.append(
        _(
            "The data protection law of the place where you live applies as well, and we answer by the earliest "
            "date any of these laws sets."
        )
    )
    return sentences
