"""ASGI entry point: `gateway.asgi:application` (uvicorn, gunicorn workers)."""
import gc
import os

import django
from asgiref.sync import ThreadSensitiveContext
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections, reset_queries

from gateway import lifespan

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

# Paths of the proxy hot path: no synchronous code runs for them.
HOT_PATH_PREFIXES = ("/v1/chat/", "/chat/", "/v1/completions", "/completions", "/v1/embeddings", "/embeddings",
                     "/openai/deployments/", "/engines/", "/v1/engines/", "/v1/models", "/models",
                     "/health/liveliness", "/health/liveness", "/v1/responses", "/responses", "/openai/responses",
                     "/openai/v1/responses")


class GatewayASGIHandler(ASGIHandler):
    """Django's ASGI handler, minus a thread per proxied request, behind the
    HTTP edge (gateway/edge.py: CORS, body limit).

    Django opens a ThreadSensitiveContext per request, so each request's first
    sync call (the request signals, `response.close()`) starts a new thread:
    about half a millisecond per request on these machines. Proxy routes run no
    ORM or other sync code of their own, so they skip that context and share
    asgiref's one sync thread for what little Django still hands to it. Every
    other route (management API, admin) keeps Django's per-request context.
    """

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await lifespan.run(receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # Django refuses anything else
            return
        current = runtime.current()
        head = edge.RequestHead.of(scope["headers"])
        if head.origin is not None:
            if edge.is_preflight(scope, head):
                await edge.answer_preflight(scope, send, head, current.cors)
                return
            cors_headers = current.cors.response_headers(head.origin, head.has_cookie)
            if cors_headers:
                send = edge.with_headers(send, cors_headers)
        max_bytes = current.max_body_bytes
        if head.content_length is not None and head.content_length > max_bytes:
            await edge.refuse_too_large(send, max_bytes)
            return
        if head.is_chunked:
            receive = edge.counting_receive(receive, max_bytes)
        try:
            if scope["path"].startswith(HOT_PATH_PREFIXES):
                await self.handle(scope, receive, send)
            else:
                async with ThreadSensitiveContext():
                    await self.handle(scope, receive, send)
        except edge.BodyTooLarge:
            await edge.refuse_too_large(send, max_bytes)


django.setup(set_prefix=False)
# Under ASGI every request starts on a fresh or shared thread where these two
# have nothing to do at request start (connections are closed when the
# response is, by request_finished); as sync receivers they would cost a thread
# hop on every request.
signals.request_started.disconnect(close_old_connections)
signals.request_started.disconnect(reset_queries)
application = GatewayASGIHandler()

from gateway import edge  # noqa: E402  (needs Django set up)

# Load the config when the worker starts, not on its first request, so a bad
# file fails start-up and the first caller does not pay for the load.
from gateway.proxy import runtime  # noqa: E402  (needs Django set up; read per request by the handler)

runtime.current()

from gateway.ui.secret import install_signing_secret  # noqa: E402

install_signing_secret()

from gateway import scheduler  # noqa: E402

scheduler.start()  # embedded mode only (no REDIS_URL): budget resets, roll-ups and pruning in this process

# Everything loaded so far lives as long as the process: move it out of the
# garbage collector's sight, so full collections stay short (measured: about
# 40 ms pauses every second or so under load, 12 ms with this).
gc.collect()
gc.freeze()
