"""Staff record a consent change they learnt of in person or by phone ("the guest asked at the
desk to get no more messages"), with who they are and, if they like, what they told the guest."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_noop

from hotel.consent import record_consent_change
from hotel.models import ConsentChange, ConsentEvent, ConsentSource, Guest
from innbox.i18n import TranslatedError
from tenancy.models import Role, User


class NotRecorded(TranslatedError):
    """Why a staff entry changed nothing; shown to them in their language."""


def record(
    guest: Guest, change: ConsentChange, *, by: User, role: str, text_shown: str, note: str
) -> ConsentEvent:
    """Apply the change to the guest and record it. Opting a guest back in after they opted out
    is for owners: it overrides the guest's own word, which is what keeps the hotel's number
    from being reported as spam."""
    if guest.anonymised_at is not None:
        raise NotRecorded(gettext_noop("This guest's personal data was erased."))
    now = timezone.now()
    fields = ["updated_at"]
    if change == ConsentChange.OPTED_OUT:
        if guest.opted_out_at is not None:
            raise NotRecorded(gettext_noop("This guest has opted out already."))
        guest.opted_out_at = now
        fields.append("opted_out_at")
    elif change == ConsentChange.OPTED_IN:
        if guest.opted_out_at is None:
            raise NotRecorded(gettext_noop("This guest has not opted out."))
        if role != Role.OWNER:
            raise NotRecorded(gettext_noop("Only an owner can opt a guest back in."))
        guest.opted_out_at = None
        fields.append("opted_out_at")
    else:
        if guest.consent_at is None:
            guest.consent_at, guest.consent_source = now, ConsentSource.STAFF
            fields += ["consent_at", "consent_source"]
    guest.save(update_fields=fields)
    return record_consent_change(
        guest,
        change,
        ConsentSource.STAFF,
        at=now,
        text_shown=text_shown,
        recorded_by_id=by.pk,
        note=note,
    )
