"""adrf views for the OpenAI and Azure routes: parse, run the pipeline, render."""
from __future__ import annotations

import inspect
import time
import uuid

import orjson
from adrf.views import APIView
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from rest_framework.renderers import JSONRenderer

from gateway.errors import AuthenticationFailed, NotFound, render_exception
from gateway.proxy import pipeline, response_store, runtime as runtime_module
from gateway.proxy.streaming import event_frames, sse_frames
from gateway.proxy.parsing import read_api_key
from gateway.types import CallType, KeyContext, ProxyCall, ProxyReply
from keys.access import may_call
from keys.auth import authenticate
from routing import health as routing_health

MODELS_CREATED = 1677610602  # the fixed `created` LiteLLM reports for every model


class GatewayAPIView(APIView):
    """An adrf view without DRF's per-request policy steps.

    adrf runs `initial()` (content negotiation, versioning, authentication,
    permissions, throttles) through a thread hop on every request; these views
    answer JSON only and our own async pipeline does auth and limits, so
    `initial` just records the one renderer and nothing hops.
    """

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    renderer = JSONRenderer()

    def initial(self, request, *args, **kwargs) -> None:
        request.accepted_renderer = self.renderer
        request.accepted_media_type = self.renderer.media_type

    async def async_dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            handler = getattr(self, request.method.lower(), None)
            if handler is None or request.method.lower() not in self.http_method_names:
                handler = self.http_method_not_allowed
            response = handler(request, *args, **kwargs)
            # DRF's own handlers (http_method_not_allowed...) answer synchronously.
            if inspect.isawaitable(response):
                response = await response
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    async def options(self, request, *args, **kwargs) -> HttpResponse:
        """A plain OPTIONS (CORS preflights are answered at the edge, gateway/edge.py):
        the methods this route takes, no body."""
        response = HttpResponse(status=200, content_type="text/plain")
        response["allow"] = ", ".join(self._allowed_methods())
        response["content-length"] = "0"
        return response


def json_response(payload: object, status: int = 200) -> HttpResponse:
    content = orjson.dumps(payload)
    response = HttpResponse(content, status=status, content_type="application/json")
    response["content-length"] = str(len(content))
    return response


class ProxyView(GatewayAPIView):
    """POST an OpenAI-shaped request; the Azure routes pass the model in the path."""

    call_type: CallType = CallType.CHAT

    async def post(self, request, deployment: str | None = None) -> HttpResponse:
        request_id = str(uuid.uuid4())
        incoming = pipeline.Incoming(request=request._request, call_type=self.call_type, route=request.path,
                                     request_id=request_id, path_model=deployment, started_at=time.time())
        try:
            call, reply = await pipeline.run(incoming)
        except Exception as exc:
            response = render_exception(exc)
            response["x-litellm-call-id"] = request_id
            return response
        return render_reply(call, reply)


def render_reply(call: ProxyCall, reply: ProxyReply) -> HttpResponse:
    response_model = pipeline.response_model(call, reply, runtime_module.current())
    if reply.stream is not None:
        frames = event_frames if call.call_type is CallType.RESPONSES else sse_frames
        response = StreamingHttpResponse(frames(reply.stream, call, response_model),
                                         content_type="text/event-stream")
        response["cache-control"] = "no-cache"
        response["x-accel-buffering"] = "no"  # tell nginx-style proxies not to buffer the stream
        headers = reply.stream.headers
    else:
        body = reply.reply.body
        if response_model is not None and "model" in body:
            body["model"] = response_model
        content = orjson.dumps(body)
        response = HttpResponse(content, content_type="application/json")
        response["content-length"] = str(len(content))
        headers = reply.reply.headers
    for name, value in headers.items():
        response[name] = value
    for name, value in reply.headers.items():
        response[name] = value
    response["x-litellm-call-id"] = call.request_id
    response["x-litellm-model-id"] = reply.deployment_id
    response["x-litellm-model-group"] = reply.model_group
    response["x-litellm-attempted-retries"] = str(reply.attempted_retries)
    response["x-litellm-attempted-fallbacks"] = str(reply.attempted_fallbacks)
    if reply.api_base:
        response["x-litellm-model-api-base"] = reply.api_base
    return response


class ChatCompletionsView(ProxyView):
    call_type = CallType.CHAT


class CompletionsView(ProxyView):
    call_type = CallType.COMPLETION


class EmbeddingsView(ProxyView):
    call_type = CallType.EMBEDDING


class ResponsesView(ProxyView):
    call_type = CallType.RESPONSES


class StoredResponseView(GatewayAPIView):
    """GET / DELETE /v1/responses/{id}: a response this key stored."""

    async def get(self, request, response_id: str) -> HttpResponse:
        stored = await _own_stored_response(request, response_id)
        return json_response(stored.response)

    async def delete(self, request, response_id: str) -> HttpResponse:
        key = await caller_of(request)
        if not await response_store.delete(key, response_id):
            raise _no_such_response(response_id)
        return json_response({"id": response_id, "object": "response", "deleted": True})


class ResponseInputItemsView(GatewayAPIView):
    """GET /v1/responses/{id}/input_items: what a stored response was answered from."""

    async def get(self, request, response_id: str) -> HttpResponse:
        stored = await _own_stored_response(request, response_id)
        items = stored.input_items
        if request.query_params.get("order", "desc") == "desc":
            items = list(reversed(items))
        return json_response({"object": "list", "data": items, "has_more": False,
                              "first_id": _item_id(items[0]) if items else None,
                              "last_id": _item_id(items[-1]) if items else None})


async def caller_of(request) -> KeyContext:
    """The key a request carries, authenticated (401 if it is not valid)."""
    runtime = runtime_module.current()
    return await authenticate(read_api_key(request._request, runtime), runtime.master_key, route=request.path)


async def _own_stored_response(request, response_id: str) -> response_store.StoredResponse:
    stored = await response_store.load(await caller_of(request), response_id)
    if stored is None:
        raise _no_such_response(response_id)
    return stored


def _no_such_response(response_id: str) -> NotFound:
    return NotFound(f"Response with id '{response_id}' not found.", param="response_id")


def _item_id(item: object) -> str | None:
    return item.get("id") if isinstance(item, dict) else None


class ModelsView(GatewayAPIView):
    """GET /v1/models: the model groups (and visible aliases) this key may call."""

    async def get(self, request) -> HttpResponse:
        runtime = runtime_module.current()
        key = await caller_of(request)
        data = [{"id": name, "object": "model", "created": MODELS_CREATED, "owned_by": "openai"}
                for name in runtime.table.visible_names() if may_call(key, name, runtime.table.resolve(name))]
        return json_response({"object": "list", "data": data})


class AdminView(GatewayAPIView):
    """Routes for the master key only (virtual keys get their own rules later)."""

    async def authenticated(self, request) -> None:
        key = await caller_of(request)
        if not key.is_admin:
            raise AuthenticationFailed("Only proxy admin can be used to view this route.")


class ModelInfoView(AdminView):
    """GET /model/info: every deployment, its limits and live routing state, no secrets."""

    async def get(self, request) -> HttpResponse:
        await self.authenticated(request)
        return json_response({"data": await routing_health.model_info(runtime_module.current().table)})


class HealthView(AdminView):
    """GET /health: a tiny real call to every deployment."""

    async def get(self, request) -> HttpResponse:
        await self.authenticated(request)
        return json_response(await routing_health.check_health(runtime_module.current().table))
