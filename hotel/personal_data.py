"""Where Innbox holds personal data about guests: one registry every app fills.

Each app that stores something about a guest registers, in its AppConfig.ready, a `Holding` per
table: how a row leads to its guest, which fields a data subject's export shows, and what each
personal field becomes when the guest is anonymised. The compliance app walks the registry for
exports, erasures and the retention purge; it knows no table by name. A test enumerates every
model of the project that points at a guest or a stay, or has a field that looks personal, and
fails on one that no holding covers, so a new table cannot be forgotten.

The registry sits in `hotel` (not in compliance) because the apps that register are below
compliance or beside it: they must not import it (architecture.md's layers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet

from hotel.models import Guest

# What a field becomes once anonymised: a value, or a function of the row (for JSON that keeps
# its counts, an id that must stay unique).
Replacement = Any
Finder = Callable[[QuerySet[Any], Guest], QuerySet[Any]]


@dataclass(frozen=True)
class Holding:
    """One table's personal data about guests.

    - `guest`: the lookup from a row to its guest ("guest", "reservation__guest"); "" for the
      guest table itself; None for a table that names guests without a foreign key.
    - `erase`: field -> what it becomes when the guest is anonymised.
    - `export`: the fields a data subject's export shows, in order.
    - `keep`: fields that look personal (free text, JSON) but stay, each with the reason.
    - `where`: only rows matching it hold anything (a reservation's feedback).
    - `mentions`: for rows no foreign key ties to a guest (an unmatched message, a webhook's
      raw payload): the rows that name this guest, searched on erasure and export.
    - `unlinked_age`: the timestamp field by which rows tied to no guest are anonymised once
      older than the hotel's retention period.
    - `done`: matches a row anonymised already, when the fixed values of `erase` cannot say
      (a replacement computed per row).
    """

    model: type[Model]
    name: str
    guest: str | None
    export: Sequence[str]
    erase: Mapping[str, Replacement] = field(default_factory=dict)
    keep: Mapping[str, str] = field(default_factory=dict)
    where: Q | None = None
    mentions: Finder | None = None
    unlinked_age: str | None = None
    done: Q | None = None

    def __post_init__(self) -> None:
        names = {f.name for f in self.model._meta.get_fields()}
        named = {*self.export, *self.erase, *self.keep}
        if self.unlinked_age:
            named.add(self.unlinked_age)
        unknown = sorted(named - names)
        if unknown:
            raise ValueError(f"{self.model._meta.label} has no field {', '.join(unknown)}")

    def _base(self, tenant_id: Any) -> QuerySet[Any]:
        rows = self.model._default_manager.filter(tenant_id=tenant_id)
        return rows.filter(self.where) if self.where is not None else rows

    def rows_of(self, tenant_id: Any, guests: QuerySet[Guest] | Sequence[int]) -> QuerySet[Any]:
        """This table's rows about the given guests (ids or a queryset of guests)."""
        if self.guest is None:
            return self.model._default_manager.none()
        lookup = "pk__in" if self.guest == "" else f"{self.guest}__in"
        return self._base(tenant_id).filter(**{lookup: guests})

    def rows_naming(self, tenant_id: Any, guest: Guest) -> QuerySet[Any]:
        """Rows tied to no guest that name this one (empty when the table has no finder)."""
        if self.mentions is None:
            return self.model._default_manager.none()
        return self.mentions(self._base(tenant_id), guest)

    def unlinked_before(self, tenant_id: Any, moment: Any) -> QuerySet[Any]:
        """Rows tied to no guest, older than `moment`: anonymised by age."""
        if self.unlinked_age is None:
            return self.model._default_manager.none()
        rows = self._base(tenant_id).filter(**{f"{self.unlinked_age}__lt": moment})
        if self.guest:
            rows = rows.filter(**{f"{self.guest}__isnull": True})
        return rows

    def still_personal(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """The rows not anonymised yet (a row anonymised twice would count twice): by `done`,
        else by the fixed replacements when every replacement is fixed."""
        if self.done is not None:
            return rows.exclude(self.done)
        if not self.erase or any(callable(value) for value in self.erase.values()):
            return rows
        return rows.exclude(**self.erase)


HOLDINGS: dict[str, Holding] = {}


def register(holding: Holding) -> None:
    """Add a table; its name is its key in the export, one per table and purpose."""
    known = HOLDINGS.get(holding.name)
    if known is not None and known.model is not holding.model:
        raise ValueError(f"{holding.name} is registered for {known.model._meta.label} already")
    HOLDINGS[holding.name] = holding


def holdings() -> list[Holding]:
    return list(HOLDINGS.values())


def holdings_of(model: type[Model]) -> list[Holding]:
    return [holding for holding in HOLDINGS.values() if holding.model is model]
