from django.apps import AppConfig


class E2EConfig(AppConfig):
    name = "e2e"
    verbose_name = "End-to-end encryption"

    def ready(self) -> None:
        # The chat consumer knows nothing of keys: e2e adds its encrypted commands to it.
        from chat.commands import register_command
        from e2e.commands import COMMANDS

        for name, (schema, command) in COMMANDS.items():
            register_command(name, command, schema=schema)
