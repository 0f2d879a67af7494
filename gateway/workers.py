"""Gunicorn worker class for `serve --workers N`: uvicorn with uvloop and
httptools, no ASGI lifespan (Django has none)."""
from uvicorn_worker import UvicornWorker

from gateway.server_limits import LimitedHttpToolsProtocol


class GatewayWorker(UvicornWorker):
    # The same protocol as a single `serve` process: header cap and stall deadlines.
    CONFIG_KWARGS = {"loop": "uvloop", "http": LimitedHttpToolsProtocol, "lifespan": "off", "server_header": False}
