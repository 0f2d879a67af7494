"""ASGI entry point: `gateway.asgi:application` (uvicorn, gunicorn workers)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

application = get_asgi_application()

# Load the config when the worker starts, not on its first request, so a bad
# file fails start-up and the first caller does not pay for the load.
from gateway.proxy import runtime  # noqa: E402  (needs Django set up)

runtime.current()
