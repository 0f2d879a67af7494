"""`python manage.py check_config [PATH] [--strict]`: read a LiteLLM config as
`serve` would, without serving, and say what the gateway makes of it."""
from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from gateway.config.schema import ConfigError
from gateway.proxy import runtime
from spend.pricing import unpriced_deployments


class Command(BaseCommand):
    help = ("Check a LiteLLM config file (litellm_config.yaml): list its model groups, the deployments it "
            "cannot serve and the settings it does not act on. Exits 1 only when the gateway would not start, "
            "or with --strict when a setting that restricts access or content is not enforced.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", help="config file (default: CONFIG_FILE_PATH)")
        parser.add_argument("--strict", action="store_true",
                            help="fail when any security-relevant setting (guardrails, IP allow-lists, "
                                 "budgets...) is NOT ENFORCED")

    def handle(self, *args, path: str | None, strict: bool, **options) -> None:
        config_path = runtime.config_path(path)
        try:
            loaded = runtime.load_runtime(config_path)
        except ConfigError as exc:
            raise CommandError(f"{len(exc.problems)} problem(s), the gateway would not start:\n{exc}") from None
        config = loaded.config
        for level, line in config.report():
            self.stderr.write(f"{'error' if level >= logging.ERROR else 'warning'}: {line}")
        for entry in unpriced_deployments(d.entry for group in loaded.table.groups.values() for d in group):
            self.stderr.write(f"warning: {config_path}: {entry.entry}: no known price for {entry.model}: its "
                              "requests are logged at cost 0 and keys with a budget cannot use it; set "
                              "input_cost_per_token/output_cost_per_token or model_info.base_model")
        for group, deployments in loaded.table.groups.items():
            names = ", ".join(f"{d.entry.model} [{d.id}]" for d in deployments)
            self.stdout.write(f"  {group}: {names}")
        for route in loaded.table.wildcards:
            names = ", ".join(f"{d.entry.model} [{d.id}]" for d in route.templates)
            self.stdout.write(f"  {route.pattern} (any matching name): {names}")
        counts = [(len(loaded.table.groups) + len(loaded.table.wildcards), "model groups"),
                  (len(config.skipped), "deployments not served"),
                  (len(config.not_enforced), "settings NOT ENFORCED"),
                  (len(config.unacted) - len(config.not_enforced), "settings not acted on yet")]
        details = "; ".join(f"{count} {what}" for i, (count, what) in enumerate(counts) if count or i == 0)
        summary = f"{config_path}: OK ({details})"
        if strict and config.not_enforced:
            raise CommandError(f"--strict: {len(config.not_enforced)} setting(s) that restrict access, spend or "
                               f"content are NOT ENFORCED:\n"
                               + "\n".join(item.describe() for item in config.not_enforced))
        self.stdout.write(self.style.SUCCESS(summary))
