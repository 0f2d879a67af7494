"""Gunicorn worker class for `serve --workers N`: uvicorn with uvloop and
httptools, no ASGI lifespan (Django has none)."""
from uvicorn_worker import UvicornWorker


class GatewayWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "off", "server_header": False}
