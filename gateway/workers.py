"""Gunicorn worker class for `serve --workers N`: uvicorn with uvloop and
httptools, and the gateway's ASGI lifespan (gateway/lifespan.py: the spend
flusher starts with the worker and writes what it holds when it stops)."""
from uvicorn_worker import UvicornWorker


class GatewayWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "on", "server_header": False}
