"""`python manage.py serve [--config PATH] [--host HOST] [--port 4000] [--workers N]`

Validates the config, applies pending migrations, then serves the ASGI app:
uvicorn in this process for one worker, gunicorn with uvicorn workers for more.
"""
from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gateway.config.schema import ConfigError
from gateway.proxy import runtime

logger = logging.getLogger("gateway.serve")


class Command(BaseCommand):
    help = "Serve the gateway (OpenAI- and Azure-compatible API) on HOST:PORT."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--config", help="LiteLLM config file (default: CONFIG_FILE_PATH, else the "
                                             "offline mock config)")
        parser.add_argument("--host", default=settings.HOST)
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--workers", type=int, default=settings.NUM_WORKERS)
        parser.add_argument("--skip-migrations", action="store_true", help="the schema is managed elsewhere")

    def handle(self, *args, config: str | None, host: str, port: int, workers: int, skip_migrations: bool,
               **options) -> None:
        path = runtime.config_path(config)
        try:
            loaded = runtime.load_runtime(path)
        except ConfigError as exc:
            raise CommandError(f"invalid config, not starting:\n{exc}") from None
        # Workers (and this process) read the same file.
        os.environ["CONFIG_FILE_PATH"] = str(path)
        settings.CONFIG_FILE_PATH = str(path)
        runtime.install(loaded)
        for level, line in loaded.config.report():
            logger.log(level, line)
        if loaded.config.not_enforced:
            logger.error("%d setting(s) of the config restrict access, spend or content and are NOT ENFORCED "
                         "(listed above): the gateway serves without them", len(loaded.config.not_enforced))
        if not loaded.is_auth_enabled:
            logger.warning("No master key (LITELLM_MASTER_KEY or general_settings.master_key): every request "
                           "is accepted without a key. Set one before exposing the gateway.")
        if not skip_migrations:
            call_command("migrate", interactive=False, verbosity=0)
        groups = ", ".join(loaded.table.groups) or "none"
        self.stdout.write(f"gateway: config {path}; model groups: {groups}")
        self.stdout.write(f"gateway: listening on http://{host}:{port} ({workers} worker(s))")
        self.stdout.flush()
        if workers <= 1:
            self._serve_uvicorn(host, port)
        else:
            self._serve_gunicorn(host, port, workers)

    def _serve_uvicorn(self, host: str, port: int) -> None:
        import uvicorn

        from gateway.server_limits import LimitedHttpToolsProtocol

        uvicorn.run("gateway.asgi:application", host=host, port=port, loop="uvloop", http=LimitedHttpToolsProtocol,
                    lifespan="on", access_log=False, log_level=settings.LOG_LEVEL.lower(), server_header=False)

    def _serve_gunicorn(self, host: str, port: int, workers: int) -> None:
        from gunicorn.app.base import BaseApplication

        class GatewayServer(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("worker_class", "gateway.workers.GatewayWorker")
                self.cfg.set("timeout", 0)  # streams may stay open for long; uvicorn handles keep-alive
                self.cfg.set("graceful_timeout", 30)

            def load(self):
                from gateway.asgi import application

                return application

        GatewayServer().run()
