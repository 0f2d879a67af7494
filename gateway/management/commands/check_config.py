"""`python manage.py check_config PATH`: validate a LiteLLM config without serving."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gateway.config.schema import ConfigError
from gateway.proxy import runtime
from spend.pricing import unpriced_deployments


class Command(BaseCommand):
    help = "Validate a LiteLLM config file (litellm_config.yaml) and list its model groups."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", help="config file (default: CONFIG_FILE_PATH)")

    def handle(self, *args, path: str | None, **options) -> None:
        config_path = runtime.config_path(path)
        try:
            loaded = runtime.load_runtime(config_path)
        except ConfigError as exc:
            raise CommandError(f"{len(exc.problems)} problem(s):\n{exc}") from None
        for warning in loaded.config.warnings:
            self.stderr.write(f"warning: {warning}")
        for entry in unpriced_deployments(loaded.config.model_list):
            self.stderr.write(f"warning: {config_path}: {entry.entry}: no known price for {entry.model}: its "
                              "requests are logged at cost 0 and keys with a budget cannot use it; set "
                              "input_cost_per_token/output_cost_per_token or model_info.base_model")
        for group, deployments in loaded.table.groups.items():
            names = ", ".join(f"{d.entry.model} [{d.id}]" for d in deployments)
            self.stdout.write(f"  {group}: {names}")
        self.stdout.write(self.style.SUCCESS(f"{config_path}: OK ({len(loaded.table.groups)} model groups)"))
