"""/spend/logs, /spend/tags, /global/spend, /global/spend/report, /global/spend/keys, /global/spend/models.

Admins (master key, proxy_admin) and proxy_admin_viewer users read everything;
a virtual key may read only its own /spend/logs rows.
"""
from __future__ import annotations

import datetime as dt

from rest_framework.request import Request
from rest_framework.response import Response

from gateway.errors import BadRequest, PermissionDenied
from gateway.proxy import runtime
from keys import permissions
from keys.services.common import Actor
from keys.views.base import ManagementView
from keys.views.keys import token_of
from spend import reports, rollup
from spend.reports import Period

DEFAULT_LOG_LIMIT = 1000  # LiteLLM returns every row; a gateway's log is too long for that
MAX_LOG_LIMIT = 10000
TRUE = ("true", "True", "1")


class SpendView(ManagementView):
    def timezone_name(self) -> str:
        return rollup.configured_timezone(runtime.current().config)

    def period(self, request: Request, *, is_required: bool = False) -> Period:
        start, end = (parse_date(request, name, is_required) for name in ("start_date", "end_date"))
        if start and end and end < start:
            raise BadRequest("end_date is before start_date", param="end_date")
        return Period.of(start, end, self.timezone_name())

    def require_viewer(self, request: Request) -> None:
        permissions.require_admin_viewer(self.actor(request), request.path)


def parse_date(request: Request, name: str, is_required: bool = False) -> dt.date | None:
    value = request.query_params.get(name)
    if not value:
        if is_required:
            raise BadRequest(f"Please provide start_date and end_date ({name} is missing)", param=name)
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise BadRequest(f"{name} must be a date, YYYY-MM-DD; got {value!r}", param=name) from None


def parse_limit(request: Request, default: int | None, maximum: int | None = None) -> int | None:
    value = request.query_params.get("limit")
    if value in (None, ""):
        return default
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise BadRequest(f"limit must be a whole number above 0; got {value!r}", param="limit")
    return min(limit, maximum) if maximum else limit


def own_key_only(actor: Actor, asked: str | None) -> str:
    """A virtual key reads its own rows: the api_key filter is forced to its hash."""
    if not actor.token:
        permissions.require_admin(actor, "/spend/logs")
    if asked and token_of(asked) != actor.token:
        raise PermissionDenied("A virtual key may only read its own spend logs.")
    return actor.token


class SpendLogsView(SpendView):
    def get(self, request: Request) -> Response:
        params = request.query_params
        actor = self.actor(request)
        api_key = token_of(params["api_key"]) if params.get("api_key") else None
        if not permissions.is_admin_viewer(actor):
            api_key = own_key_only(actor, params.get("api_key"))
        period = self.period(request)
        # LiteLLM summarizes by default once both dates are given; a request id asks for its row.
        is_summary = bool(period.start and period.end) and params.get("summarize", "true") in TRUE
        if is_summary and not params.get("request_id"):
            return Response(reports.daily_summary(period, api_key=api_key, user_id=params.get("user_id") or None))
        return Response(reports.spend_logs(period, api_key=api_key, user_id=params.get("user_id") or None,
                                           request_id=params.get("request_id") or None,
                                           limit=parse_limit(request, DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT)))


class SpendTagsView(SpendView):
    def get(self, request: Request) -> Response:
        self.require_viewer(request)
        return Response(reports.tag_spend(self.period(request)))


class GlobalSpendView(SpendView):
    def get(self, request: Request) -> Response:
        """Spend of the last 30 days (LiteLLM's MonthlyGlobalSpend) and the proxy's budget."""
        self.require_viewer(request)
        max_budget = runtime.current().config.litellm_settings.extra.get("max_budget") or 0
        return Response({"spend": reports.global_spend(Period.last_30_days(self.timezone_name())),
                         "max_budget": float(max_budget)})


class GlobalSpendReportView(SpendView):
    def get(self, request: Request) -> Response:
        self.require_viewer(request)
        group_by = request.query_params.get("group_by") or "team"
        if group_by not in reports.REPORT_GROUPS:
            raise BadRequest(f"group_by must be one of {', '.join(reports.REPORT_GROUPS)}; got {group_by!r}",
                             param="group_by")
        return Response(reports.spend_report(self.period(request, is_required=True), group_by))


class GlobalSpendKeysView(SpendView):
    def get(self, request: Request) -> Response:
        """The keys with the most spend in the last 30 days."""
        self.require_viewer(request)
        period = Period.last_30_days(self.timezone_name())
        return Response(reports.top_keys(period, parse_limit(request, default=None)))


class GlobalSpendModelsView(SpendView):
    def get(self, request: Request) -> Response:
        """The model groups with the most spend in the last 30 days."""
        self.require_viewer(request)
        period = Period.last_30_days(self.timezone_name())
        return Response(reports.top_models(period, parse_limit(request, default=10)))
