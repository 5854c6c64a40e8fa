"""The hotel's room-service menu as the agent uses it: currency, prices, hours, and matching the
names guests write ("nasgor", "fried rice", "Nasi Goreng") to the items the hotel sells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, get_territory_currencies
from django.utils import timezone
from rapidfuzz import fuzz, process

from agent.models import MenuItem
from agent.text import normalize
from tenancy.models import Tenant

FALLBACK_CURRENCY = "USD"
# A phrase this long may differ from a name by a typo; a shorter one must be the name itself
# ("tea" is not "teh", "water" is not "waiter").
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_SCORE = 88.0


def hotel_currency(tenant: Tenant) -> str:
    """The currency prices are in: the one of the hotel's country (IDR for Indonesia).

    The one place that decides it, so a per-hotel setting can replace it later."""
    try:
        currencies = get_territory_currencies(tenant.country_code or "", timezone.localdate())
    except Exception:  # babel raises bare errors for unknown territories
        currencies = []
    return currencies[0] if currencies else FALLBACK_CURRENCY


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """'Rp 45.000' for Indonesian readers, 'IDR 45,000' for English ones; cents only when there
    are some."""
    locale = "id_ID" if language == "id" else "en_US"
    if amount == amount.to_integral_value():
        return format_currency(
            amount, currency, locale=locale, currency_digits=False, format="¤\xa0#,##0"
        )
    return format_currency(amount, currency, locale=locale)


def hotel_time(tenant: Tenant, now: dt.datetime | None = None) -> dt.time:
    moment = now or timezone.now()
    return moment.astimezone(ZoneInfo(tenant.time_zone)).time()


def active_items(tenant: Tenant) -> list[MenuItem]:
    return list(MenuItem.objects.filter(tenant=tenant, is_active=True).order_by("category", "name"))


def hours_text(item: MenuItem) -> str:
    if item.available_from is None or item.available_until is None:
        return ""
    return f"{item.available_from:%H:%M}–{item.available_until:%H:%M}"


@dataclass(frozen=True)
class Match:
    item: MenuItem
    score: float
    # Which written form matched: the name or one of its aliases.
    matched: str


class MenuMatcher:
    """Names and aliases of a hotel's active items, matched exactly or, for longer phrases,
    within a typo (rapidfuzz's ratio)."""

    def __init__(self, items: list[MenuItem]) -> None:
        self.items = items
        self._forms: list[str] = []
        self._owners: list[MenuItem] = []
        for item in items:
            for form in [item.name, *item.alias_list]:
                key = normalize(form)
                if key and key not in self._forms:
                    self._forms.append(key)
                    self._owners.append(item)
        self.max_words = max((len(form.split()) for form in self._forms), default=1)

    def match(self, phrase: str) -> Match | None:
        key = normalize(phrase)
        if not key or not self._forms:
            return None
        # "beers", "burgers", "sandwiches": an English plural is the item itself.
        for form in (
            key,
            key[:-1] if key.endswith("s") else "",
            key[:-2] if key.endswith("es") else "",
        ):
            if form and form in self._forms:
                index = self._forms.index(form)
                return Match(self._owners[index], 100.0, form)
        if len(key) < FUZZY_MIN_LENGTH:
            return None
        found = process.extractOne(
            key, self._forms, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
        )
        if found is None:
            return None
        form, score, index = found
        # A typo of a short form is too easy to hit by chance ("waiter" → "water").
        if len(form) < FUZZY_MIN_LENGTH:
            return None
        return Match(self._owners[index], float(score), form)
