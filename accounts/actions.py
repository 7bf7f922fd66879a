"""Account writes."""

from django.db import transaction

from accounts.models import User


def do_sign_up(*, username: str, password: str, display_name: str = "") -> User:
    """Create an account; the first account on a fresh instance becomes its administrator."""
    with transaction.atomic():
        first = not User.objects.select_for_update().exists()
        user = User.objects.create_user(
            username=username,
            password=password,
            display_name=display_name,
            is_staff=first,
            is_superuser=first,
        )
    return user


def do_update_profile(user: User, *, display_name: str) -> User:
    """Change the name other people see."""
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user
