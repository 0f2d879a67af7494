"""/ui/logs/: the spend log, newest first, filtered, paged by keyset on
(start_time, request_id) so no page ever counts the table; and
/ui/logs/<request_id>/: everything recorded about one request."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from gateway.proxy import runtime
from gateway.ui.rights import UIRights, rights_of
from gateway.ui.site import site as ui_site
from keys.models import Team, VirtualKey
from spend import rollup
from spend.dashboard import money
from spend.models import SpendLog

PAGE_SIZE = 50
TEXT_FILTERS = ("key_alias", "team_id", "user_id", "status")
MAX_KEYS_PER_ALIAS = 100
STATUSES = ("success", "failure")
LIST_COLUMNS = ("request_id", "start_time", "api_key", "key_alias", "team_id", "user_id", "model_group", "model_id",
                "api_base", "prompt_tokens", "completion_tokens", "total_tokens", "spend", "latency_ms", "status",
                "error_class", "error_status", "request_tags", "cache_hit")


def urls(site) -> list:
    return [path("logs/", site.admin_view(logs_list), name="logs"),
            path("logs/<str:request_id>/", site.admin_view(log_detail), name="log_detail")]


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the newest-first order: the row at (start_time, request_id)."""

    start_time: dt.datetime
    request_id: str

    def encode(self) -> str:
        return f"{self.start_time.isoformat()}|{self.request_id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        if not value or "|" not in value:
            return None
        stamp, request_id = value.split("|", 1)
        try:
            start = dt.datetime.fromisoformat(stamp)
        except ValueError:
            return None
        return cls(start if start.tzinfo else start.replace(tzinfo=dt.timezone.utc), request_id)


def visible_logs(rights: UIRights) -> QuerySet:
    """Readers of everything see every row; anyone else only their own user_id's."""
    rows = SpendLog.objects.all()
    return rows if rights.reads_everything else rows.filter(user_id=rights.actor.user_id)


def logs_list(request: HttpRequest) -> HttpResponse:
    rights = rights_of(request)
    rows, filters = _filtered(visible_logs(rights), request)
    page, newer, older = _page(rows, request)
    names = dict(VirtualKey.objects.filter(token__in={row["api_key"] for row in page} - {""})
                 .values_list("token", "key_name"))
    teams = dict(Team.objects.filter(team_id__in={row["team_id"] for row in page if row["team_id"]})
                 .values_list("team_id", "team_alias"))
    context = {
        **ui_site.each_context(request), "title": "Logs", "filters": filters, "statuses": STATUSES,
        "models": sorted(runtime.current().table.groups), "is_own_only": not rights.reads_everything,
        "rows": [_display(row, names, teams) for row in page],
        "newer_url": _page_url(request, "after", newer), "older_url": _page_url(request, "before", older),
    }
    return TemplateResponse(request, "ui/logs/list.html", context)


def _filtered(rows: QuerySet, request: HttpRequest) -> tuple[QuerySet, dict]:
    params = request.GET
    filters = {name: params.get(name, "").strip() for name in (*TEXT_FILTERS, "model", "tag", "start", "end")}
    for name in ("team_id", "user_id", "status"):
        if filters[name]:
            rows = rows.filter(**{name: filters[name]})
    if filters["key_alias"]:
        rows = rows.filter(_of_alias(filters["key_alias"]))
    if filters["model"]:
        rows = rows.filter(model_group=filters["model"])
    if filters["tag"]:
        rows = rows.alias(has_tag=_has_tag(filters["tag"])).filter(has_tag=True)
    timezone_name = rollup.configured_timezone(runtime.current().config)
    for name, lookup, edge in (("start", "start_time__gte", 0), ("end", "start_time__lt", 1)):
        try:
            day = dt.date.fromisoformat(filters[name]) if filters[name] else None
        except ValueError:
            filters[name] = ""
            continue
        if day:
            rows = rows.filter(**{lookup: rollup.day_bounds(day, timezone_name)[edge]})
    return rows, filters


def _of_alias(alias: str) -> Q:
    """The requests of the keys with this alias, through the indexed api_key column;
    the log's own key_alias column (not indexed) only when no key has it any more."""
    tokens = list(VirtualKey.objects.filter(key_alias=alias).values_list("token", flat=True)[:MAX_KEYS_PER_ALIAS])
    return Q(api_key__in=tokens) if tokens else Q(key_alias=alias)


def _has_tag(tag: str) -> RawSQL:
    """request_tags (a JSON list) holds `tag`: jsonb containment on PostgreSQL, json_each on SQLite."""
    column = f"{connection.ops.quote_name(SpendLog._meta.db_table)}.{connection.ops.quote_name('request_tags')}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} @> %s::jsonb", [json.dumps([tag])], output_field=BooleanField())
    return RawSQL(f"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({column}) = 'array' THEN {column} "
                  f"ELSE '[]' END) WHERE value = %s)", [tag], output_field=BooleanField())


def _page(rows: QuerySet, request: HttpRequest) -> tuple[list[dict], Cursor | None, Cursor | None]:
    """One page, newest first, after or before a cursor; and the cursors of the pages either side (None: no page)."""
    after, before = Cursor.decode(request.GET.get("after")), Cursor.decode(request.GET.get("before"))
    values = rows.values(*LIST_COLUMNS)
    if after:
        found = list(values.filter(_newer_than(after)).order_by("start_time", "request_id")[:PAGE_SIZE + 1])
        has_newer, page = len(found) > PAGE_SIZE, found[:PAGE_SIZE][::-1]
        has_older = True
    else:
        if before:
            values = values.filter(_older_than(before))
        found = list(values.order_by("-start_time", "-request_id")[:PAGE_SIZE + 1])
        has_older, page = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
        has_newer = before is not None and bool(page) and rows.filter(_newer_than(_cursor(page[0]))).exists()
    newer = _cursor(page[0]) if page and has_newer else None
    older = _cursor(page[-1]) if page and has_older else None
    return page, newer, older


def _cursor(row: dict) -> Cursor:
    return Cursor(row["start_time"], row["request_id"])


def _newer_than(cursor: Cursor) -> Q:
    return Q(start_time__gt=cursor.start_time) | Q(start_time=cursor.start_time, request_id__gt=cursor.request_id)


def _older_than(cursor: Cursor) -> Q:
    return Q(start_time__lt=cursor.start_time) | Q(start_time=cursor.start_time, request_id__lt=cursor.request_id)


def _page_url(request: HttpRequest, direction: str, cursor: Cursor | None) -> str:
    if cursor is None:
        return ""
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    query[direction] = cursor.encode()
    return f"{request.path}?{query.urlencode()}"


def _display(row: dict, key_names: dict[str, str], team_aliases: dict[str, str | None]) -> dict:
    return {**row, "key_name": key_names.get(row["api_key"], ""), "cost": money(row["spend"]),
            "team": (team_aliases.get(row["team_id"]) or row["team_id"]) if row["team_id"] else "",
            "deployment": " ".join(filter(None, (row["model_id"][:12], without_credentials(row["api_base"])))),
            "latency": f"{row['latency_ms']:.0f} ms" if row["latency_ms"] is not None else "",
            "tags": ", ".join(str(tag) for tag in row["request_tags"]) if isinstance(row["request_tags"], list) else ""}


def without_credentials(url: str) -> str:
    """The api_base with no user:password@ and no query string (Azure keys may ride in either)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# The detail page

DETAIL_FIELDS = (("Request id", "request_id"), ("Call type", "call_type"), ("Start", "start_time"),
                 ("End", "end_time"), ("Key alias", "key_alias"), ("Key hash", "api_key"), ("Team", "team_id"),
                 ("User", "user_id"), ("End user", "end_user"), ("Model group", "model_group"),
                 ("Provider model", "model"), ("Deployment id", "model_id"), ("Provider", "custom_llm_provider"),
                 ("Prompt tokens", "prompt_tokens"), ("Completion tokens", "completion_tokens"),
                 ("Total tokens", "total_tokens"), ("Priced", "is_priced"), ("Latency (ms)", "latency_ms"),
                 ("Time to first token (ms)", "ttft_ms"), ("Status", "status"), ("Error", "error_class"),
                 ("Error status", "error_status"), ("Cache hit", "cache_hit"))


def log_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    row = visible_logs(rights_of(request)).filter(request_id=request_id).first()
    if row is None:
        raise Http404("No such request in the log")
    fields = [(label, _readable(getattr(row, name))) for label, name in DETAIL_FIELDS]
    fields.insert(13, ("API base", without_credentials(row.api_base)))
    fields.insert(14, ("Cost", money(row.spend)))
    fields.append(("Tags", ", ".join(map(str, row.request_tags)) if isinstance(row.request_tags, list) else ""))
    general = runtime.current().config.general_settings.extra
    is_stored = general.get("store_prompts_in_spend_logs") is True
    context = {
        **ui_site.each_context(request), "title": f"Request {row.request_id}", "row": row, "fields": fields,
        "metadata": _flat(row.metadata) if isinstance(row.metadata, dict) else [],
        "is_stored": is_stored,
        "messages": _pretty(row.messages) if is_stored and row.messages not in (None, {}, []) else "",
        "response": _pretty(row.response) if is_stored and row.response not in (None, {}, []) else "",
    }
    return TemplateResponse(request, "ui/logs/detail.html", context)


def _readable(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
    if isinstance(value, float):
        return f"{value:.1f}"
    return value


def _flat(values: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested metadata as dotted keys and plain values, one table row each."""
    rows = []
    for name, value in sorted(values.items(), key=lambda item: str(item[0])):
        if isinstance(value, dict) and value:
            rows += _flat(value, f"{prefix}{name}.")
        elif isinstance(value, (list, dict)):
            rows.append((f"{prefix}{name}", ", ".join(map(str, value)) if value else "(empty)"))
        else:
            rows.append((f"{prefix}{name}", "" if value is None else str(value)))
    return rows


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
