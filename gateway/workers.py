"""Gunicorn worker class for `serve --workers N`: uvicorn with uvloop and
httptools, and the gateway's ASGI lifespan (gateway/lifespan.py: the spend
flusher starts with the worker and writes what it holds when it stops)."""
from uvicorn_worker import UvicornWorker

from gateway.server_limits import LimitedHttpToolsProtocol


class GatewayWorker(UvicornWorker):
    # The same protocol as a single `serve` process: header cap and stall deadlines.
    CONFIG_KWARGS = {"loop": "uvloop", "http": LimitedHttpToolsProtocol, "lifespan": "on", "server_header": False}
