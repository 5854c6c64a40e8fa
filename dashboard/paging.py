"""What the list pages share: whitelisted sorting, bounded pagination, and page-or-partial.

The lists serve hotels with 100,000 reservations, so nothing here depends on the size of the
table: a count stops at COUNT_CAP rows, a page is one LIMIT/OFFSET query that fetches one row
more than it shows (that row says whether there is a next page), and late pages read only the
primary keys at the offset before loading the rows they show (see `page_of`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # dev-only stubs package: the alias is for mypy
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=Model)

PER_PAGE = 50
# Past this many matches a list says "10,000+": counting the rest would cost a scan of every row
# for a number nobody pages through.
COUNT_CAP = 10_000
# Fifty million rows: far past any hotel, far below a 64-bit OFFSET.
MAX_PAGE = 1_000_000
# Offsets below this load the rows directly; above it the primary keys are read first, so the
# skipped rows are read from an index only and never joined (the guest of a reservation).
DEFERRED_JOIN_OFFSET = 1_000

# The default directions of a sort menu entry (translated when shown).
A_TO_Z = _("A to Z")
Z_TO_A = _("Z to A")


@dataclass(frozen=True)
class Column:
    """A sortable column: its label, its `?sort=` key and the ORDER BY it stands for."""

    key: str
    label: StrOrPromise  # lazily translated, like the directions below
    order_by: tuple[str, ...]
    # Points and dates read best largest/newest first; names A to Z.
    descending_first: bool = False
    # How each direction reads in the sort menu that phones use instead of the headers.
    ascending: StrOrPromise = A_TO_Z
    descending: StrOrPromise = Z_TO_A


def sort_options(columns: Sequence[Column]) -> list[tuple[str, str]]:
    """(value, label) of every whitelisted order, for the phone's "Sort by" menu."""
    options = []
    for column in columns:
        pair = [(column.key, column.ascending), (f"-{column.key}", column.descending)]
        if column.descending_first:
            pair.reverse()
        options += [
            (value, _("%(column)s: %(order)s") % {"column": column.label, "order": words})
            for value, words in pair
        ]
    return options


@dataclass(frozen=True)
class Header:
    """A column header as the template draws it."""

    label: StrOrPromise
    key: str  # "" for a column that does not sort
    aria_sort: str  # "ascending", "descending" or "none"
    next_sort: str  # the ?sort= value a click asks for


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool
    order_by: tuple[str, ...]

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def parse_sort(raw: str, columns: Sequence[Column], default: str) -> Sorting:
    """`?sort=name` or `?sort=-joined`, only from the whitelist; anything else is the default."""
    for candidate in (raw, default):
        key = candidate.removeprefix("-")
        column = next((c for c in columns if c.key == key), None)
        if column is not None:
            return _sorting(column, descending=candidate.startswith("-"))
    return _sorting(columns[0], descending=False)


def _sorting(column: Column, *, descending: bool) -> Sorting:
    order = tuple(_flip(field) if descending else field for field in column.order_by)
    # The primary key last: rows with equal values keep one order, so no row shows on two pages.
    return Sorting(
        key=column.key, descending=descending, order_by=(*order, "-pk" if descending else "pk")
    )


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def headers(
    labels: Sequence[tuple[StrOrPromise, str]], columns: Sequence[Column], sorting: Sorting
) -> list[Header]:
    """Headers for (label, column key or "") pairs; a click on the sorted column reverses it."""
    by_key = {c.key: c for c in columns}
    result = []
    for label, key in labels:
        column = by_key.get(key)
        if column is None:
            result.append(Header(label=label, key="", aria_sort="none", next_sort=""))
        elif key == sorting.key:
            aria = "descending" if sorting.descending else "ascending"
            next_sort = key if sorting.descending else f"-{key}"
            result.append(Header(label=label, key=key, aria_sort=aria, next_sort=next_sort))
        else:
            next_sort = f"-{key}" if column.descending_first else key
            result.append(Header(label=label, key=key, aria_sort="none", next_sort=next_sort))
    return result


@dataclass(frozen=True)
class BoundedPage(Generic[M]):
    """One page of rows with a count that stops at COUNT_CAP (no unbounded COUNT(*))."""

    rows: list[M]
    number: int
    per_page: int
    total: int
    total_is_exact: bool  # False: there are more than `total` (COUNT_CAP) rows
    has_next: bool

    def __iter__(self) -> Iterator[M]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int | None:
        return max(1, -(-self.total // self.per_page)) if self.total_is_exact else None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def capped_count(queryset: QuerySet[M]) -> tuple[int, bool]:
    """(count, exact): SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1) reads at most cap + 1."""
    return capped(queryset.order_by()[: COUNT_CAP + 1].count())


def capped(count: int) -> tuple[int, bool]:
    """(count, exact) of a count already known (a search's ids, at most COUNT_CAP + 1)."""
    return min(count, COUNT_CAP), count <= COUNT_CAP


def page_of(
    queryset: QuerySet[M],
    number: int,
    *,
    total: tuple[int, bool],
    per_page: int = PER_PAGE,
) -> BoundedPage[M]:
    """Rows of page `number` of an ordered queryset; `total` is (count, exact)."""
    count, exact = total
    # Counted: ?page=999 of 3 pages shows page 3. Uncounted: any page may exist, but an absurd
    # one must not overflow the OFFSET.
    last_page = max(1, -(-count // per_page)) if exact else MAX_PAGE
    number = min(number, last_page)
    offset = (number - 1) * per_page
    if offset < DEFERRED_JOIN_OFFSET:
        rows = list(queryset[offset : offset + per_page + 1])
    else:
        # OFFSET 90,000 on the full rows would read and join 90,000 rows to throw them away;
        # the keys alone come from the ordering's index, then only the shown rows are loaded.
        keys = list(queryset.values_list("pk", flat=True)[offset : offset + per_page + 1])
        loaded = {row.pk: row for row in queryset.filter(pk__in=keys)}
        rows = [loaded[key] for key in keys if key in loaded]
    return BoundedPage(
        rows=rows[:per_page],
        number=number,
        per_page=per_page,
        total=count,
        total_is_exact=exact,
        has_next=len(rows) > per_page,
    )


def wants_partial(request: HttpRequest) -> bool:
    """An HTMX swap of the results; a history restore (back button, cache miss) needs the page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
