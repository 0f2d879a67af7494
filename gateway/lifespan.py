"""The ASGI lifespan of a serving process (uvicorn and gunicorn's uvicorn
workers run it with `lifespan="on"`).

Start-up starts the spend flusher at once, so a process that serves no proxy
traffic still writes the Redis copies of a process that died. Shutdown runs
after the server stopped accepting connections and the requests in flight
have finished (SIGTERM, or SIGINT: uvicorn's handlers; gunicorn passes SIGTERM
on to its workers): it writes the spend this process still holds, so a
stopped process leaves no row behind. Django itself has no lifespan, so its
handler never sees these messages.
"""
from __future__ import annotations

import logging

logger = logging.getLogger("gateway.lifespan")

# Within gunicorn's graceful_timeout (30 s, serve.py) and what the requests in
# flight took of it; a database that answers writes what a process holds in
# well under a second.
SPEND_DRAIN_SECONDS = 10.0


async def run(receive, send) -> None:
    from spend import flusher  # the apps are loaded by the time the server starts

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            flusher.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await flusher.shutdown(SPEND_DRAIN_SECONDS)
            except Exception:  # noqa: BLE001 - the process exits either way; say why it may have lost rows
                logger.exception("spend flush at shutdown failed")
            await send({"type": "lifespan.shutdown.complete"})
            return
