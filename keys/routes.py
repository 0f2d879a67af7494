"""Which routes a key may call: its `allowed_routes` (set directly, or by
`key_type`), matched as LiteLLM matches them.

An entry of `allowed_routes` is
- a route: allows that route and the routes under it (`/key` allows `/key/info`);
- a route ending in `*`: allows every route starting with what comes before it;
- the name of one of LiteLLM's route groups (`llm_api_routes`, `management_routes`,
  `info_routes`, ...): allows the routes of the group, where `{name}` in a
  route matches one path segment.
An empty list allows every route. Checked from the cached key context: no query.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class RouteGroup:
    routes: frozenset[str]
    templates: tuple[re.Pattern, ...]  # routes with {placeholders}

    @classmethod
    def of(cls, routes: list[str]) -> RouteGroup:
        templates = tuple(re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(route)) + "$")
                          for route in routes if "{" in route)
        return cls(frozenset(route for route in routes if "{" not in route), templates)

    def contains(self, route: str) -> bool:
        return route in self.routes or any(template.match(route) for template in self.templates)


def _both(*paths: str) -> list[str]:
    """OpenAI's routes are served with and without /v1."""
    return [prefix + path for path in paths for prefix in ("", "/v1")]


_MODEL_ROUTES = ("chat/completions", "completions", "embeddings")
OPENAI_ROUTES = (
    _both("/chat/completions", "/completions", "/embeddings", "/models", "/responses", "/responses/{response_id}",
          "/responses/{response_id}/input_items", "/images/generations", "/images/edits", "/audio/transcriptions",
          "/audio/speech", "/moderations", "/batches", "/batches/{batch_id}", "/files", "/files/{file_id}",
          "/files/{file_id}/content", "/fine_tuning/jobs", "/fine_tuning/jobs/{fine_tuning_job_id}/cancel",
          "/assistants", "/assistants/{assistant_id}", "/threads", "/threads/{thread_id}",
          "/threads/{thread_id}/messages", "/threads/{thread_id}/runs", "/rerank", "/realtime", "/vector_stores",
          "/vector_stores/{vector_store_id}/search", "/engines/{model}/chat/completions",
          "/engines/{model}/completions", "/engines/{model}/embeddings")
    + [f"/openai/deployments/{{model}}/{route}" for route in _MODEL_ROUTES]
    + [f"{prefix}/responses{suffix}" for prefix in ("/openai", "/openai/v1")
       for suffix in ("", "/{response_id}", "/{response_id}/input_items")]
    + ["/v2/rerank", "/utils/token_counter", "/utils/transform_request"]
)
ANTHROPIC_ROUTES = ["/v1/messages"]
INFO_ROUTES = ["/key/info", "/key/health", "/team/info", "/team/list", "/v2/team/list", "/organization/list",
               "/team/available", "/user/info", "/model/info", "/v1/model/info", "/v2/model/info", "/v2/key/info",
               "/model_group/info", "/health", "/key/list", "/user/filter/ui"]
KEY_MANAGEMENT_ROUTES = ["/key/generate", "/key/update", "/key/delete", "/key/info", "/key/regenerate",
                         "/key/service-account/generate", "/key/{key_id}/regenerate", "/key/list", "/key/block",
                         "/key/unblock"]
MANAGEMENT_ROUTES = ["/user/new", "/user/update", "/user/delete", "/user/info", "/team/new", "/team/update",
                     "/team/delete", "/team/list", "/v2/team/list", "/team/info", "/team/block", "/team/unblock",
                     "/team/available", "/team/permissions_list", "/team/permissions_update", "/model/new",
                     "/model/update", "/model/delete", "/model/info"] + KEY_MANAGEMENT_ROUTES
SPEND_TRACKING_ROUTES = ["/spend/keys", "/spend/users", "/spend/tags", "/spend/calculate", "/spend/logs"]
GLOBAL_SPEND_TRACKING_ROUTES = ["/global/spend/logs", "/global/spend", "/global/spend/keys", "/global/spend/teams",
                                "/global/spend/end_users", "/global/spend/models", "/global/predict/spend/logs",
                                "/global/spend/report", "/global/spend/provider"]

# LiteLLM's group names (LiteLLMRoutes), as `allowed_routes` may name them.
ROUTE_GROUPS = {
    "openai_routes": RouteGroup.of(OPENAI_ROUTES),
    "anthropic_routes": RouteGroup.of(ANTHROPIC_ROUTES),
    "llm_api_routes": RouteGroup.of(OPENAI_ROUTES + ANTHROPIC_ROUTES),
    "info_routes": RouteGroup.of(INFO_ROUTES),
    "key_management_routes": RouteGroup.of(KEY_MANAGEMENT_ROUTES),
    "management_routes": RouteGroup.of(MANAGEMENT_ROUTES),
    "spend_tracking_routes": RouteGroup.of(SPEND_TRACKING_ROUTES),
    "global_spend_tracking_routes": RouteGroup.of(GLOBAL_SPEND_TRACKING_ROUTES),
}

# key_type: the allowed_routes LiteLLM gives each kind of key ("default" leaves them as given).
KEY_TYPES = ("default", "llm_api", "management", "read_only")
KEY_TYPE_ROUTES = {"llm_api": "llm_api_routes", "management": "management_routes", "read_only": "info_routes"}


def restriction_problem(entry: str) -> str | None:
    """Why an `allowed_routes` entry can never match, or None."""
    if entry in ROUTE_GROUPS or entry.startswith("/"):
        return None
    return (f"{entry!r} is neither a route (starting with /) nor a route group "
            f"({', '.join(ROUTE_GROUPS)})")


def _entry_allows(entry: str, route: str) -> bool:
    group = ROUTE_GROUPS.get(entry)
    if group is not None:
        return group.contains(route)
    if entry.endswith("*"):
        return route.startswith(entry[:-1])
    return route == entry or route.startswith(entry + "/")


def is_route_allowed(allowed_routes: tuple[str, ...], route: str) -> bool:
    return not allowed_routes or any(_entry_allows(entry, route) for entry in allowed_routes)


def check_route(allowed_routes: tuple[str, ...], route: str) -> None:
    """403 unless the key's allowed_routes allow this route."""
    if not is_route_allowed(allowed_routes, route):
        raise PermissionDenied(f"Virtual key is not allowed to call this route. Only allowed to call routes: "
                               f"{list(allowed_routes)}. Tried to call route: {route}", param="allowed_routes")
