"""/ui/models/: every deployment of the config, read-only."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path

from gateway.proxy import runtime
from gateway.ui.model_catalog import model_groups
from gateway.ui.rights import rights_of


def models_page(request: HttpRequest, *, site) -> TemplateResponse:
    if not rights_of(request).reads_everything:
        raise PermissionDenied
    current = runtime.current()
    groups = model_groups(current)
    context = {**site.each_context(request), "title": "Models", "groups": groups,
               "deployment_count": sum(len(group.deployments) for group in groups),
               "skipped": current.config.skipped}
    return TemplateResponse(request, "ui/models/index.html", context)


def urls(site) -> list:
    def page(request: HttpRequest) -> TemplateResponse:
        return models_page(request, site=site)

    return [path("models/", site.admin_view(page), name="models")]
