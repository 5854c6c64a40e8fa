"""The inbox: the list of conversations, a thread, staff's actions on it, saved replies.

Thin views over conversations.services. Every page works without JavaScript (forms post and
come back); with HTMX the list and the thread poll small fragments that answer 204 when nothing
changed, and actions answer with the fragment they changed. Another hotel's conversation,
guest or saved reply is a 404; bad input is a 4xx naming the problem, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Model, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from conversations import services
from conversations.forms import NewGuestForm, SavedReplyForm
from conversations.models import Conversation, SavedReply
from conversations.permissions import USE_INBOX
from conversations.templatetags.inbox import conversation_name
from hotel.models import Guest
from innbox.search import search_text
from messaging import formatting, renderer, send_input
from messaging import services as messaging
from messaging.models import Trigger
from tenancy.access import MemberRequest, get_for_member, tenant_queryset
from tenancy.models import Membership, Tenant
from tenancy.permissions import requires

LIST_PAGE = 50
GUEST_MATCHES = 8
NOTE_MAX_LENGTH = 4096
DRAFT_FIELDS = ("mode", "text", "trigger")


# --- the list ----------------------------------------------------------------------------------


def _tab(request: MemberRequest) -> str:
    tab = request.GET.get("tab", "")
    return tab if tab in services.TABS else "all"


def _list_context(
    request: MemberRequest, open_id: str = "", *, version: str = ""
) -> dict[str, Any]:
    """The list pane: one tab, searched, newest activity first, and each tab's count."""
    tab, query = _tab(request), search_text(request.GET)
    try:
        shown = max(LIST_PAGE, min(int(request.GET.get("shown", LIST_PAGE)), 1000))
    except ValueError:
        shown = LIST_PAGE
    rows = list(services.inbox(request.tenant, request.user, tab, query)[: shown + 1])
    state: dict[str, str] = {"tab": tab, "q": query} if query else {"tab": tab}
    return {
        "tab": tab,
        "query": query,
        "tabs": _tabs(request, tab, query),
        "conversations": rows[:shown],
        "more_url": f"{reverse('inbox')}?{urlencode({**state, 'shown': str(shown + LIST_PAGE)})}"
        if len(rows) > shown
        else "",
        "list_state": urlencode(state),
        "shown": shown,
        "open_id": open_id,
        "list_version": version or services.list_version(request.tenant),
    }


def _tabs(request: MemberRequest, current: str, query: str) -> list[dict[str, Any]]:
    counts = services.counts(request.tenant, request.user)
    labels = {
        "unread": _("Unread"),
        "escalated": _("Escalated"),
        "mine": _("Mine"),
        "all": _("All"),
        "closed": _("Closed"),
    }
    return [
        {
            "key": key,
            "label": labels[key],
            "title": _("Conversations assigned to me") if key == "mine" else "",
            "count": counts[key],
            "url": f"{reverse('inbox')}?{urlencode({'tab': key, 'q': query} if query else {'tab': key})}",
            "current": key == current,
        }
        for key in services.TABS
    ]


@requires(USE_INBOX)
@require_GET
def inbox(request: MemberRequest) -> HttpResponse:
    return render(request, "conversations/inbox.html", _list_context(request))


@requires(USE_INBOX)
@require_GET
def inbox_rows(request: MemberRequest) -> HttpResponse:
    """The list pane's poll: 204 while nothing of the hotel's conversations changed."""
    version = services.list_version(request.tenant)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    open_id = request.GET.get("open", "")[:36]
    # The rows, and the tabs' counts out of band.
    return render(
        request,
        "conversations/partials/rows_poll.html",
        _list_context(request, open_id, version=version),
    )


# --- one conversation ---------------------------------------------------------------------------


View = Callable[..., HttpResponse]


def _read_only(model: type[Model]) -> Callable[[View], View]:
    """GET only; but a record of another hotel is a 404 whatever the method (the lookup comes
    first), as the permission matrix expects of every page about one record."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: MemberRequest, public_id: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                get_for_member(request, model, public_id=public_id)
                return HttpResponseNotAllowed(["GET", "HEAD"])
            return view(request, public_id)

        return wrapper

    return decorate


def _conversation(request: MemberRequest, public_id: Any) -> Conversation:
    return get_for_member(
        request,
        Conversation.objects.select_related("guest", "reservation", "held_by", "assignee"),
        public_id=public_id,
    )


def _thread_context(request: MemberRequest, conversation: Conversation) -> dict[str, Any]:
    items = services.thread(conversation)
    return {
        "conversation": conversation,
        "items": items,
        "older_hidden": len(items) >= services.THREAD_PAGE,
        "thread_version": services.thread_version(conversation),
        "members": services.members(request.tenant),
        "guest": conversation.guest,
        "reservation": conversation.reservation,
        "language": (conversation.guest.language if conversation.guest else "")
        or request.tenant.default_language,
    }


@requires(USE_INBOX)
@_read_only(Conversation)
def thread(request: MemberRequest, public_id: Any) -> HttpResponse:
    conversation = _conversation(request, public_id)
    with transaction.atomic():
        services.mark_read(conversation)  # opening it is reading it
    return _thread_page(request, conversation)


def _thread_page(
    request: MemberRequest,
    conversation: Conversation,
    *,
    draft: dict[str, str] | None = None,
    guest_form: NewGuestForm | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **(extra or {}),
        **_list_context(request, str(conversation.public_id)),
        **_thread_context(request, conversation),
        "saved_replies": SavedReply.objects.filter(tenant=request.tenant).order_by("name"),
        "triggers": Trigger.choices,
        "guest_form": guest_form or NewGuestForm(tenant=request.tenant),
        # What staff typed before a refusal: given back, not lost.
        "draft": draft or {},
    }
    return render(request, "conversations/inbox.html", context, status=status)


@requires(USE_INBOX)
@_read_only(Conversation)
def thread_live(request: MemberRequest, public_id: Any) -> HttpResponse:
    """The open thread's poll: 204 while nothing changed; else the thread, its header and its
    side panel. A thread on screen (the page says so) is read as its messages arrive."""
    conversation = _conversation(request, public_id)
    if request.GET.get("v") == services.thread_version(conversation):
        return HttpResponse(status=204)
    if request.GET.get("seen") == "1" and conversation.unread_count:
        with transaction.atomic():
            services.mark_read(conversation)
    return _live(request, conversation)


def _live(request: MemberRequest, conversation: Conversation, status: int = 200) -> HttpResponse:
    return render(
        request,
        "conversations/partials/live.html",
        _thread_context(request, conversation),
        status=status,
    )


def _done(request: MemberRequest, conversation: Conversation, notice: str = "") -> HttpResponse:
    """After an action: HTMX gets the changed thread (the reply box keeps its place); a plain
    form post goes back to the thread."""
    if request.htmx:  # type: ignore[attr-defined]
        fresh = _conversation(request, conversation.public_id)
        return _live(request, fresh)
    if notice:
        messages.success(request, notice)
    return redirect("inbox_thread", public_id=conversation.public_id)


def _refused(request: MemberRequest, conversation: Conversation, problem: str) -> HttpResponse:
    """Bad input: a 400 that names the problem. HTMX shows it above the reply box (innbox.js
    swaps it in); a plain form post gets the thread page with the notice."""
    if request.htmx:  # type: ignore[attr-defined]
        response = render(
            request, "conversations/partials/problem.html", {"problem": problem}, status=400
        )
        response["HX-Retarget"] = "#inbox-problem"
        response["HX-Reswap"] = "innerHTML"
        return response
    messages.error(request, problem)
    draft = {name: request.POST.get(name, "").replace("\x00", "") for name in DRAFT_FIELDS}
    return _thread_page(request, conversation, draft=draft, status=400)


@requires(USE_INBOX)
@require_POST
def reply(request: MemberRequest, public_id: Any) -> HttpResponse:
    """Staff answer the guest (their own words or a template), or write an internal note."""
    conversation = _conversation(request, public_id)
    mode = request.POST.get("mode", "reply")
    text = request.POST.get("text", "")
    trigger = request.POST.get("trigger", "")
    if "\x00" in text or "\x00" in trigger:
        return _refused(
            request, conversation, _("The text contains a character that cannot be sent.")
        )
    if mode == "note":
        if not text.strip():
            return _refused(request, conversation, _("Write the note first."))
        if len(text) > NOTE_MAX_LENGTH:
            return _refused(request, conversation, _("The note is too long."))
        services.add_note(request.tenant, conversation, request.user, text.strip())
        return _done(request, conversation, _("Note added."))
    if mode != "reply":
        return _refused(request, conversation, _("Choose a reply or an internal note."))
    if trigger and trigger not in Trigger.values:
        return _refused(request, conversation, _("Choose one of the templates."))
    if len(text) > send_input.MAX_TEXT_LENGTH:
        return _refused(
            request,
            conversation,
            _("The message is longer than %(count)d characters.")
            % {"count": send_input.MAX_TEXT_LENGTH},
        )
    try:
        with transaction.atomic():
            services.reply(
                request.tenant,
                conversation,
                request.user,
                free_text="" if trigger else text,
                trigger=trigger,
            )
    except (messaging.NothingToSend, renderer.TemplateError) as problem:
        return _refused(request, conversation, str(problem))
    return _done(request, conversation, _("Message queued: it goes out in a moment."))


@requires(USE_INBOX)
@require_POST
def preview(request: MemberRequest, public_id: Any) -> HttpResponse:
    """What the guest will receive, as WhatsApp will show it (the send dialog's preview)."""
    conversation = _conversation(request, public_id)
    trigger = request.POST.get("trigger", "")
    text = request.POST.get("text", "")
    if request.POST.get("mode") == "note" or not (trigger or text.strip()):
        return HttpResponse("")  # nothing to show: the preview area folds away
    if trigger and trigger not in Trigger.values:
        problem = _("Choose one of the templates.")
        return render(request, "messaging/partials/preview.html", {"error": problem})
    if "\x00" in text:
        problem = _("The text contains a character that cannot be sent.")
        return render(request, "messaging/partials/preview.html", {"error": problem})
    try:
        composed = messaging.compose(
            request.tenant,
            reservation=conversation.reservation,
            guest=conversation.guest,
            trigger=trigger,
            free_text="" if trigger else text[: send_input.MAX_TEXT_LENGTH],
        )
    except (messaging.NothingToSend, renderer.TemplateError) as problem:
        return render(request, "messaging/partials/preview.html", {"error": str(problem)})
    return render(
        request,
        "messaging/partials/preview.html",
        {
            "text": composed.text,
            "html": formatting.to_html(composed.text),
            "language": composed.language,
        },
    )


Change = Callable[[Tenant, Conversation, Any], Conversation]


def _action(change: Change, notice: Callable[[], str]) -> Callable[..., HttpResponse]:
    """A button on the thread: take over, hand back, close, reopen."""

    @requires(USE_INBOX)
    @require_POST
    def view(request: MemberRequest, public_id: Any) -> HttpResponse:
        conversation = _conversation(request, public_id)
        with transaction.atomic():
            change(request.tenant, conversation, request.user)
        return _done(request, conversation, notice())

    return view


take_over = _action(services.take_over, lambda: _("You hold the conversation now."))
hand_back = _action(services.hand_back, lambda: _("The concierge answers again."))
close = _action(services.close, lambda: _("Conversation closed."))
reopen = _action(services.reopen, lambda: _("Conversation reopened."))


@requires(USE_INBOX)
@require_POST
def assign(request: MemberRequest, public_id: Any) -> HttpResponse:
    conversation = _conversation(request, public_id)
    chosen = request.POST.get("assignee", "")
    assignee = None
    if chosen:
        membership = None
        if _is_uuid(chosen):
            membership = (
                Membership.objects.filter(tenant=request.tenant, public_id=chosen)
                .select_related("user")
                .first()
            )
        if membership is None:
            return _refused(request, conversation, _("Choose someone of your hotel."))
        assignee = membership.user
    with transaction.atomic():
        services.assign(request.tenant, conversation, request.user, assignee)
    return _done(request, conversation, _("Assignment saved."))


# --- who an unknown number is -------------------------------------------------------------------


@requires(USE_INBOX)
@_read_only(Conversation)
def guest_matches(request: MemberRequest, public_id: Any) -> HttpResponse:
    """Guests whose name, phone or booking code matches, to link the conversation to."""
    conversation = _conversation(request, public_id)
    query = search_text(request.GET)
    found: list[Guest] = []
    if len(query) >= 2:
        guests = tenant_queryset(request, Guest)
        for word in query.split()[:5]:
            digits = "".join(ch for ch in word if ch.isdigit())
            match = (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(reservations__booking_code__iexact=word)
            )
            if len(digits) >= 4:
                match |= Q(phone_e164__contains=digits)
            guests = guests.filter(match)
        found = list(guests.distinct().order_by("first_name", "last_name", "pk")[:GUEST_MATCHES])
    if not request.htmx:  # type: ignore[attr-defined]
        # Without JavaScript the search form loads the thread with the matches under it.
        return _thread_page(request, conversation, extra={"found": found, "guest_query": query})
    return render(
        request,
        "conversations/partials/guest_matches.html",
        {"conversation": conversation, "found": found, "query": query},
    )


@requires(USE_INBOX)
@require_POST
def link_guest(request: MemberRequest, public_id: Any) -> HttpResponse:
    conversation = _conversation(request, public_id)
    chosen = request.POST.get("guest", "")
    try:
        guest = get_for_member(request, Guest, public_id=chosen)
    except Http404:
        return _refused(request, conversation, _("Choose a guest of your hotel."))
    with transaction.atomic():
        services.link_guest(request.tenant, conversation, guest, request.user)
    return _done(request, conversation, _("Linked to %(name)s.") % {"name": guest.full_name})


@requires(USE_INBOX)
@require_POST
def create_guest(request: MemberRequest, public_id: Any) -> HttpResponse:
    conversation = _conversation(request, public_id)
    if conversation.guest_id is not None:
        return _refused(request, conversation, _("This conversation has a guest already."))
    form = NewGuestForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        problem = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return _refused(request, conversation, problem)
    with transaction.atomic():
        guest = services.create_guest(
            request.tenant,
            conversation,
            request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=form.cleaned_data["language"],
        )
    return _done(request, conversation, _("Added the guest %(name)s.") % {"name": guest.full_name})


@requires(USE_INBOX)
@_read_only(Guest)
def guest_conversation(request: MemberRequest, public_id: Any) -> HttpResponse:
    """The reservation and guest pages' link: the guest's conversation, made on first use."""
    guest = get_for_member(request, Guest, public_id=public_id)
    with transaction.atomic():
        conversation = services.of_guest(request.tenant, guest, create=True)
    if conversation is None:
        messages.error(
            request,
            _("%(name)s has no WhatsApp number yet, so there is no conversation to open.")
            % {"name": guest.full_name or _("This guest")},
        )
        return redirect("dashboard:guest", public_id=guest.public_id)
    return redirect("inbox_thread", public_id=conversation.public_id)


# --- the sidebar's badge ------------------------------------------------------------------------


def _stamp(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def _parse(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value[:40]) if value else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _newer(now: dt.datetime | None, seen: str | None) -> bool:
    """Whether there is news since the stamp the page showed: none when the page has no stamp
    yet (its first poll sets one), all of it when nothing had happened at all ("")."""
    if now is None or seen is None:
        return False
    if seen == "":
        return True
    before = _parse(seen)
    return before is not None and now > before


@requires(USE_INBOX)
@require_GET
def badge(request: MemberRequest) -> HttpResponse:
    """Every page polls this: the unread count, and what a browser notification should say when
    a conversation was escalated or a guest wrote since the page last asked (`e`, `m`)."""
    activity = services.activity(request.tenant)
    stamps = {"m": _stamp(activity.latest_message), "e": _stamp(activity.latest_escalation)}
    notify: dict[str, str] = {}
    if _newer(activity.latest_escalation, request.GET.get("e")):
        escalated = services.newest_escalation(request.tenant)
        if escalated is not None:
            notify = _notification(escalated, _("Asked for a person"), stamps["e"])
    elif _newer(activity.latest_message, request.GET.get("m")):
        newest = services.newest_from_guest(request.tenant)
        if newest is not None:
            notify = _notification(newest, newest.last_message_preview, stamps["m"])
    return render(
        request,
        "conversations/partials/badge.html",
        {"unread": activity.unread, "notify": notify, "stamps": stamps},
    )


def _notification(conversation: Conversation, body: str, stamp: str) -> dict[str, str]:
    return {
        "title": conversation_name(conversation),
        "body": body,
        "url": reverse("inbox_thread", args=[conversation.public_id]),
        "tag": str(conversation.public_id),
        "stamp": stamp,
    }


# --- saved replies ----------------------------------------------------------------------------


@requires(USE_INBOX)
def saved_replies(request: MemberRequest) -> HttpResponse:
    form = SavedReplyForm(tenant=request.tenant)
    status = 200
    if request.method == "POST":
        form = SavedReplyForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            reply = form.save()
            messages.success(request, _("Saved “%(name)s”.") % {"name": reply.name})
            return redirect("saved_replies")
        status = 400
    return _saved_replies_page(request, new_form=form, status=status)


def _saved_replies_page(
    request: MemberRequest,
    *,
    new_form: SavedReplyForm | None = None,
    editing: SavedReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    replies = SavedReply.objects.filter(tenant=request.tenant).order_by("name")
    rows = [
        (
            reply,
            editing
            if editing is not None and editing.instance.pk == reply.pk
            else SavedReplyForm(instance=reply, tenant=request.tenant, prefix=str(reply.public_id)),
        )
        for reply in replies
    ]
    return render(
        request,
        "conversations/saved_replies.html",
        {
            "rows": rows,
            "new_form": new_form or SavedReplyForm(tenant=request.tenant),
            "variables": renderer.allowed_for("manual"),
        },
        status=status,
    )


@requires(USE_INBOX)
@require_POST
def edit_saved_reply(request: MemberRequest, public_id: Any) -> HttpResponse:
    reply = get_for_member(request, SavedReply, public_id=public_id)
    form = SavedReplyForm(
        request.POST, instance=reply, tenant=request.tenant, prefix=str(reply.public_id)
    )
    if not form.is_valid():
        return _saved_replies_page(request, editing=form, status=400)
    form.save()
    messages.success(request, _("Saved “%(name)s”.") % {"name": reply.name})
    return redirect("saved_replies")


@requires(USE_INBOX)
@require_POST
def delete_saved_reply(request: MemberRequest, public_id: Any) -> HttpResponse:
    reply = get_for_member(request, SavedReply, public_id=public_id)
    reply.delete()
    messages.success(request, _("Deleted “%(name)s”.") % {"name": reply.name})
    return redirect("saved_replies")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
