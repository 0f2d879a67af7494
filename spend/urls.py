from django.urls import path

from spend import views

urlpatterns = [
    path("spend/logs", views.SpendLogsView.as_view()),
    path("spend/tags", views.SpendTagsView.as_view()),
    path("global/spend", views.GlobalSpendView.as_view()),
    path("global/spend/report", views.GlobalSpendReportView.as_view()),
    path("global/spend/keys", views.GlobalSpendKeysView.as_view()),
    path("global/spend/models", views.GlobalSpendModelsView.as_view()),
]
