from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Keyroom account. ``display_name`` is what other people see; it may be empty."""

    display_name = models.CharField(max_length=80, blank=True)
    is_bot = models.BooleanField(
        "bot",
        default=False,
        help_text=(
            "A bot account: made by an administrator (manage.py createbot or this admin), it has "
            "no usable password and uses the API with personal access tokens only. Its name shows "
            "a “Bot” tag."
        ),
    )
    # Presence (docs/ARCHITECTURE.md "Presence"): on, others always see this person offline.
    appear_offline = models.BooleanField(
        "Appear offline",
        default=False,
        help_text="Others see you as offline, even while you are here.",
    )

    @property
    def shown_name(self) -> str:
        """Return the name to show to other people."""
        return self.display_name or self.username


class SessionRecord(models.Model):
    """What My Account -> Sessions shows about one of the user's logged-in sessions (Django's
    sessions hold no owner or device). Written by ``SessionSeenMiddleware``; deleted with the
    session by the actions that end it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    user_agent = models.CharField(max_length=400, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ("-last_seen",)

    def __str__(self) -> str:
        return f"{self.user} from {self.ip} ({self.last_seen:%Y-%m-%d %H:%M})"


class AccountSettings(models.Model):
    """The instance's account-security settings: one row, edited by staff in the Django admin."""

    admins_need_two_factor = models.BooleanField(
        "Administrators must use two-factor login",
        default=False,
        help_text=(
            "On: every staff account (everyone who can open this admin) must have two-factor "
            "login (an authenticator app code after the password) before it can use the admin; "
            "one without it is sent to My Account → Two-factor to set it up first, and cannot "
            "turn it off while this is on. Turn it on after setting up your own two-factor "
            "login. Off (the default): two-factor login is each person's choice."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account security settings"
        verbose_name_plural = "account security settings"

    def __str__(self) -> str:
        return "Account security settings"


class AccessToken(models.Model):
    """A personal access token: ``Authorization: Bearer <secret>`` opens the HTTP API and the
    WebSocket as ``user`` (never the web pages or the admin; docs/ARCHITECTURE.md "Tokens and
    bots").

    The secret is shown once, at creation, and never stored: ``digest`` is its SHA-256 (a
    256-bit random secret needs no slow hash: nothing can guess it, so a stolen digest can only
    be inverted by brute force over 2^256). ``prefix`` is a short random non-secret id, part of
    the secret, that finds the row (and lets a person tell their tokens apart).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"
