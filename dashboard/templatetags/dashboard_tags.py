"""Two lookups the chart partial needs that Django's template language cannot express."""

from __future__ import annotations

import datetime as dt

from django import template

from dashboard.stats import DailySeries

register = template.Library()


@register.filter
def get_item(mapping: dict[str, str], key: str) -> str:
    return mapping.get(key, key)


@register.simple_tag
def chart_value(data: DailySeries, day: dt.date, series: str) -> int:
    return data.value(day, series)
