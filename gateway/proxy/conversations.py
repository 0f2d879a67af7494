"""Responses API conversations: `previous_response_id` expanded by the gateway,
and each answered turn kept for the next one (unless the client sent `store: false`).

The gateway rebuilds the conversation itself instead of passing the id
upstream, so a thread continues on whichever deployment the router picks,
translated ones included, and never depends on a provider's own storage.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

from gateway.errors import NotFound
from gateway.proxy import response_store
from gateway.state.capped import Saved
from gateway.types import FINAL_RESPONSE_EVENTS, KeyContext, ProxyCall

logger = logging.getLogger("gateway.responses")

# Item fields that only mean something to the provider that produced the item.
PROVIDER_ONLY_FIELDS = ("id", "status")


async def continue_from_previous(call: ProxyCall, key: KeyContext) -> ProxyCall:
    """The call with the stored conversation put in front of its input; 404 for
    an id this key did not create (or that expired), as OpenAI answers."""
    if call.previous_response_id is None:
        return call
    stored = await response_store.load(key, call.previous_response_id)
    if stored is None:
        raise NotFound(f"Previous response with id '{call.previous_response_id}' not found.",
                       param="previous_response_id", code="previous_response_not_found")
    history = stored.input_items + replayable(stored.response.get("output") or [])
    return dataclasses.replace(call, body={**call.body, "input": history + as_items(call.body.get("input"))})


def as_items(value: object) -> list:
    """`input` as a list of items: a bare string is one user message."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return list(value)


def replayable(output: list) -> list:
    """A response's output items as input for the next turn, on any deployment:
    assistant messages as plain text, function calls by call_id. Reasoning items
    go back only when they carry their encrypted content (anything else refers
    to one provider's storage)."""
    items = []
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            text = "".join(part.get("text") or part.get("refusal") or "" for part in item.get("content") or ()
                           if isinstance(part, dict))
            items.append({"type": "message", "role": item.get("role", "assistant"), "content": text})
        elif kind == "reasoning":
            if item.get("encrypted_content"):
                items.append({name: value for name, value in item.items() if name != "status"})
        else:
            items.append({name: value for name, value in item.items() if name not in PROVIDER_ONLY_FIELDS})
    return items


async def remember(call: ProxyCall, key: KeyContext, response: dict, ttl_seconds: float,
                   model: str | None = None) -> None:
    """Echo the client's previous_response_id (the provider saw none) and store
    the turn, as the client sees it (`model`: the name answers show), unless
    the client opted out, the answer was a mock_response, or the store's caps
    refuse it (then the answer says `store: false`)."""
    response["previous_response_id"] = call.previous_response_id
    if model is not None:
        response["model"] = model
    if call.body.get("store") is False or not response.get("id"):
        return
    if response.get("status") not in ("completed", "incomplete"):
        return
    if call.mock_response is not None:
        # A canned answer costs nothing: storing it would let a key fill the store for free.
        response["store"] = False
        return
    saved = await response_store.save(key, response, as_items(call.body.get("input")), ttl_seconds)
    if saved is not Saved.STORED:
        response["store"] = False  # too large, or the store is full: the client cannot continue from it
        logger.info("response %s not stored: %s", response.get("id"), saved.value)


async def remember_when_done(events: AsyncIterator[dict], call: ProxyCall, key: KeyContext,
                             ttl_seconds: float, model: str | None = None) -> AsyncIterator[dict]:
    """Pass a Responses event stream through; the final response is stored
    before its event reaches the client, so the client can continue from it at once."""
    try:
        async for event in events:
            response = event.get("response")
            if isinstance(response, dict):
                if event.get("type") in FINAL_RESPONSE_EVENTS:
                    await remember(call, key, response, ttl_seconds, model)
                else:
                    response["previous_response_id"] = call.previous_response_id
            yield event
    finally:
        await events.aclose()
