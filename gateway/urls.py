"""Routes: OpenAI-compatible (with and without /v1), Azure-style deployments, health."""
from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from gateway import health
from gateway.proxy import views

chat = views.ChatCompletionsView.as_view()
completions = views.CompletionsView.as_view()
embeddings = views.EmbeddingsView.as_view()
models = views.ModelsView.as_view()
responses = views.ResponsesView.as_view()
stored_response = views.StoredResponseView.as_view()
response_input_items = views.ResponseInputItemsView.as_view()

urlpatterns = []
for prefix in ("", "v1/"):
    urlpatterns += [
        path(f"{prefix}chat/completions", chat),
        path(f"{prefix}completions", completions),
        path(f"{prefix}embeddings", embeddings),
        path(f"{prefix}models", models),
        path(f"{prefix}engines/<str:deployment>/chat/completions", chat),
        path(f"{prefix}engines/<str:deployment>/completions", completions),
        path(f"{prefix}engines/<str:deployment>/embeddings", embeddings),
    ]

# The Responses API, also under Azure's /openai/ (dated api-version) and /openai/v1/ layouts.
for prefix in ("", "v1/", "openai/", "openai/v1/"):
    urlpatterns += [
        path(f"{prefix}responses", responses),
        path(f"{prefix}responses/<str:response_id>", stored_response),
        path(f"{prefix}responses/<str:response_id>/input_items", response_input_items),
    ]

urlpatterns += [
    # Azure OpenAI's layout, which n8n's "Azure OpenAI" credential and AzureOpenAI() call.
    path("openai/deployments/<str:deployment>/chat/completions", chat),
    path("openai/deployments/<str:deployment>/completions", completions),
    path("openai/deployments/<str:deployment>/embeddings", embeddings),
    path("health", views.HealthView.as_view()),
    path("model/info", views.ModelInfoView.as_view()),
    path("v1/model/info", views.ModelInfoView.as_view()),
    path("health/liveliness", health.LivelinessView.as_view()),
    path("health/liveness", health.LivelinessView.as_view()),
    path("health/readiness", health.ReadinessView.as_view()),
    path("", include("keys.urls")),
    path("", include("spend.urls")),
]

if not settings.DISABLE_ADMIN_UI:
    from gateway.ui.site import site as ui_site
    from gateway.ui.static import serve_static

    urlpatterns += [
        path("ui", RedirectView.as_view(url="/ui/")),
        path("ui/static/<path:path>", serve_static),
        path("ui/", ui_site.urls),
    ]

handler400 = "gateway.errors.bad_request"
handler403 = "gateway.errors.permission_denied"
handler404 = "gateway.errors.page_not_found"
handler500 = "gateway.errors.server_error"
