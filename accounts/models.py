from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Keyroom account. ``display_name`` is what other people see; it may be empty."""

    display_name = models.CharField(max_length=80, blank=True)

    @property
    def shown_name(self) -> str:
        """Return the name to show to other people."""
        return self.display_name or self.username
