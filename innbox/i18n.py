"""Errors whose text is translated when shown, not when raised."""

from __future__ import annotations

from django.utils.translation import gettext


class TranslatedError(Exception):
    """An error staff read. The message is an English msgid (marked with gettext_noop) and its
    parameters; str() translates it into the active language. So the same refusal reads in the
    person's language on a page, and in English in the worker's job errors and in JSON answers
    (which render it under translation.override("en"))."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text
