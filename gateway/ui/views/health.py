"""/ui/health/: each deployment's state, error rate, latency and load, and a
"Check now" probe (POST) for one deployment."""
from __future__ import annotations

import time

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from gateway.proxy import runtime
from gateway.ui.deployment_health import WINDOWS, deployment_health
from gateway.ui.rights import rights_of
from routing.health import probe


def health_page(request: HttpRequest, *, site) -> TemplateResponse:
    if not rights_of(request).reads_everything:
        raise PermissionDenied
    rows = deployment_health(runtime.current().table)
    context = {**site.each_context(request), "title": "Model health", "rows": rows,
               "windows": [name for name, _ in WINDOWS],
               "counts": {state: sum(1 for row in rows if row.state == state)
                          for state in ("healthy", "cooling", "failing")}}
    return TemplateResponse(request, "ui/health/index.html", context)


@require_POST
def check_now(request: HttpRequest) -> HttpResponseRedirect:
    """Probe one deployment with a tiny real call; the answer comes back as a message.
    Proxy admins only, as GET /health: a probe is a real (if tiny) provider call."""
    if not rights_of(request).is_admin:
        raise PermissionDenied
    deployment = runtime.current().deployment(request.POST.get("deployment", ""))
    if deployment is None:
        raise Http404("no such deployment")
    started = time.monotonic()
    _, error = async_to_sync(probe)(deployment)
    elapsed_ms = (time.monotonic() - started) * 1000
    if error is None:
        messages.success(request, f"Checked {deployment.model_name} · {deployment.id}: ok in {elapsed_ms:.0f} ms")
    else:
        messages.error(request, f"Checked {deployment.model_name} · {deployment.id}: {error}")
    return HttpResponseRedirect(reverse("ui:model_health"))


def urls(site) -> list:
    def page(request: HttpRequest) -> TemplateResponse:
        return health_page(request, site=site)

    return [path("health/", site.admin_view(page), name="model_health"),
            path("health/check/", site.admin_view(check_now), name="model_health_check")]
