"""The /ui admin site: our name, our login, a fixed navigation and the pages
that are not one model's list (gateway/ui/pages.py)."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from gateway.proxy import runtime
from gateway.ui.login import UILoginForm
from gateway.ui.rights import rights_of

# (label, URL name in the "ui" namespace, who sees it: "all" or "readers" of everything)
NAVIGATION = (
    ("Keys", "keys_virtualkey_changelist", "all"),
    ("Teams", "keys_team_changelist", "readers"),
    ("Users", "keys_user_changelist", "readers"),
    ("Budgets", "keys_budget_changelist", "readers"),
    ("Customers", "keys_enduser_changelist", "readers"),
    ("Models", "models", "readers"),
    ("Spend", "spend", "all"),
    ("Logs", "logs", "all"),
    ("Model health", "model_health", "readers"),
    ("Audit", "keys_auditentry_changelist", "readers"),
)


class GatewayAdminSite(admin.AdminSite):
    site_header = "LLM Gateway"
    site_title = "LLM Gateway"
    index_title = "Overview"
    login_form = UILoginForm
    enable_nav_sidebar = False  # our own navigation (templates/admin/base_site.html)
    site_url = None  # the gateway has no public home page to "view"

    def get_urls(self):
        # Imported here, not at start-up: it registers its model admins on this site.
        import keys.admin  # noqa: F401
        from gateway.ui import pages

        return pages.urls(self) + super().get_urls()

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        if request.user.is_authenticated and request.user.is_active:
            context["ui_navigation"] = self.navigation(request)
            context["ui_rights"] = rights_of(request)
        return context

    def navigation(self, request: HttpRequest) -> list[dict]:
        rights = rights_of(request)
        items = []
        for label, url_name, audience in NAVIGATION:
            if audience == "readers" and not rights.reads_everything:
                continue
            try:
                url = reverse(f"{self.name}:{url_name}")
            except NoReverseMatch:  # a page this build does not have
                continue
            items.append({"label": label, "url": url, "is_current": request.path.startswith(url)})
        return items

    def index(self, request: HttpRequest, extra_context=None):
        config = runtime.current().config
        rights = rights_of(request)
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "not_enforced": [item.describe() for item in config.not_enforced] if rights.reads_everything else [],
            "skipped": [item.describe() for item in config.skipped] if rights.reads_everything else [],
            "deployment_count": sum(len(group) for group in runtime.current().table.groups.values()),
        }
        return TemplateResponse(request, "ui/home.html", context)


site = GatewayAdminSite(name="ui")
