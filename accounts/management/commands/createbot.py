"""``manage.py createbot <username> [--display-name ...] [--token-name ... --expires-days N]``:
a bot account and one personal access token for it, printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.actions import TOKEN_DAYS, do_create_bot, do_create_token


class Command(BaseCommand):
    help = (
        "Create a bot account (no password: it uses the API with tokens only) and print one "
        "personal access token for it. The token is shown only now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the bot's username")
        parser.add_argument("--display-name", default="", help="the name people see")
        parser.add_argument("--token-name", default="createbot", help="the token's name")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=30,
            choices=TOKEN_DAYS,
            help="the token's lifetime in days (default 30)",
        )

    def handle(
        self,
        *args: object,
        username: str,
        display_name: str,
        token_name: str,
        expires_days: int,
        **options: object,
    ) -> None:
        try:
            with transaction.atomic():
                bot = do_create_bot(username=username, display_name=display_name)
                token, secret = do_create_token(bot, name=token_name, days=expires_days)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Bot {bot.username} created. Its token “{token.name}” expires "
            f"{token.expires:%Y-%m-%d %H:%M} UTC; it is shown only now:"
        )
        self.stdout.write(secret)
