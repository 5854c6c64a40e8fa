from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, field: str, fallback: str) -> HttpResponseRedirect:
    """Redirect to the page named in a form field, if it is a path on this site; else to
    `fallback` (a URL name). Only absolute paths count: "guests" or "logout" would otherwise be
    taken for URL names by redirect()."""
    target = request.POST.get(field, "")
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)
