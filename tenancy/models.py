"""Accounts and tenancy: a hotel is a tenant; a user belongs to at most one of them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin, TimestampedModel

if TYPE_CHECKING:
    from django.db.models import QuerySet


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        # The installation's operator, created from a shell: nobody to send a link to.
        extra.update(is_staff=True, is_superuser=True, email_verified_at=timezone.now())
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class UILanguage(models.TextChoices):
    """Languages of Innbox's own screens (settings.LANGUAGES); guests' languages are separate."""

    ENGLISH = "en", "English"
    INDONESIAN = "id", "Bahasa Indonesia"


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Email is the login; which hotel they work for is their Membership."""

    email = models.EmailField(max_length=254)
    is_active = models.BooleanField(default=True)
    # Django admin access (operators of the installation), unrelated to hotel roles.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Chosen in the user menu; UserLanguageMiddleware activates it on every request.
    ui_language = models.CharField(
        max_length=8, choices=UILanguage.choices, default=UILanguage.ENGLISH
    )
    # When the person opened the link emailed at signup (tenancy.verification). Until then the
    # account can neither create a hotel nor join one. Accounts older than the check count as
    # verified (migration 0006), and so does one signed up from an invitation link.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(ui_language__in=UILanguage.values),
                name="users_ui_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class VerificationEmail(models.Model):
    """One confirmation email sent to an account: what the resend limit counts. Not a hotel's
    row (an unverified account has no hotel), so it has no tenant and no row-level security."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "email_verification_sends"
        indexes = [models.Index(fields=["user", "-sent_at"], name="verification_sends_recent_idx")]

    def __str__(self) -> str:
        return f"verification email to user {self.user_id} at {self.sent_at:%Y-%m-%d %H:%M}"


MAX_RETENTION_MONTHS = 120


class Tenant(PublicIdMixin, TimestampedModel):
    """One hotel. Its id is what PostgreSQL's row-level security compares (app.tenant_id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="Asia/Jakarta")
    default_language = models.CharField(max_length=8, default="en")
    # ISO 3166-1 alpha-2; the default region for guests' phone numbers.
    country_code = models.CharField(max_length=2, default="ID")
    # The occupancy rate's denominator; None until the owner says (the dashboard asks for it).
    room_count = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # How long guests' personal data is kept after their last departure; the retention purge
    # anonymises them after it (compliance.retention, docs/compliance.md).
    retention_months = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_MONTHS)]
    )
    # Automated messages end with "Reply STOP to opt out" in the guest's language.
    opt_out_line = models.BooleanField(default=True)
    # The hotel's own opt-out words, one per line, on top of Innbox's (conversations.opt_out):
    # what its guests write ("UNSUB", "AFMELDEN"...).
    opt_out_words = models.TextField(blank=True, max_length=2000)

    class Meta:
        db_table = "tenants"
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 3), name="tenants_name_min_length"
            ),
            # Zero rooms would divide by zero; "unknown" is NULL.
            models.CheckConstraint(
                condition=models.Q(room_count__isnull=True) | models.Q(room_count__gte=1),
                name="tenants_room_count_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(retention_months__gte=1, retention_months__lte=120),
                name="tenants_retention_months_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant) -> QuerySet:
        return self.filter(tenant=tenant)


class TenantScopedModel(models.Model):
    """Base of every row that belongs to one hotel.

    Views reach these rows only through `objects.for_tenant(request.tenant)` (see the access
    helpers); on PostgreSQL row-level security enforces the same rule a second time.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    STAFF = "staff", _("Staff")


class Membership(PublicIdMixin, TenantScopedModel):
    """tenant_users: the one hotel a user works for, and as what."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tenant_users"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="tenant_users_role_valid"
            ),
        ]
        indexes = [
            # The team page lists a tenant's members by role.
            models.Index(fields=["tenant", "role"], name="tenant_users_tenant_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.tenant_id}"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Invitation(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """A staff invitation. Only the SHA-256 of its token is stored, so a leaked table is no key."""

    invited_email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invitations"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values),
                name="invitations_status_valid",
            ),
            # One live invitation per address and hotel; "Resend" renews it instead.
            models.UniqueConstraint(
                "tenant",
                Lower("invited_email"),
                condition=models.Q(status="pending"),
                name="invitations_one_pending_per_email",
            ),
        ]
        indexes = [
            # The team page: a tenant's invitations by status.
            models.Index(fields=["tenant", "status"], name="invitations_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.invited_email} ({self.status})"


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance: models.Model, force_log: bool = False, **kwargs: Any) -> Any:
        """django-auditlog's hook for a registered model's change: add the hotel and the event,
        or write nothing for a change the audit log does not keep (tenancy.audit.track)."""
        from tenancy import audit  # audit imports this module

        fields = audit.tracked_entry(instance, kwargs.get("action"), kwargs.get("changes"))
        if fields is None:
            return None
        return super().log_create(instance, force_log=force_log, **{**kwargs, **fields})


class AuditEntry(AbstractLogEntry):
    """One line of a hotel's audit log (/settings/audit/): who did what, when, to what.

    django-auditlog writes these for the models registered in tenancy.audit (diffs of settings,
    templates, memberships), and tenancy.audit.record() for events that are no model change
    (logins, invitations, exports...). Every entry belongs to one hotel: RLS lets the hotel's
    owners (and the system) read it, every member of the hotel add to it, and nobody change or
    delete it (tenancy 0007). Secrets never reach it: secret fields are stored as "changed".
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    # What happened, as a key of tenancy.audit's catalogue ("team.invitation_sent").
    event = models.CharField(max_length=64)
    # Rows outlive their actor: no foreign-key constraint, no SET NULL (an UPDATE that RLS would
    # refuse); actor_email keeps who it was.
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        db_table = "audit_entries"
        indexes = [models.Index(fields=["tenant", "-timestamp"], name="audit_tenant_recent_idx")]

    def __str__(self) -> str:
        return f"{self.event} {self.object_repr}"
