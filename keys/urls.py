from django.urls import path

from keys.views import budgets, customers, keys, teams, users

urlpatterns = [
    path("key/generate", keys.KeyGenerateView.as_view()),
    path("key/update", keys.KeyUpdateView.as_view()),
    path("key/delete", keys.KeyDeleteView.as_view()),
    path("key/info", keys.KeyInfoView.as_view()),
    path("key/list", keys.KeyListView.as_view()),
    path("key/regenerate", keys.KeyRegenerateView.as_view()),
    path("key/<str:key>/regenerate", keys.KeyRegenerateView.as_view()),
    path("key/block", keys.KeyBlockView.as_view()),
    path("key/unblock", keys.KeyUnblockView.as_view()),
]

urlpatterns += [
    path("team/new", teams.TeamNewView.as_view()),
    path("team/update", teams.TeamUpdateView.as_view()),
    path("team/delete", teams.TeamDeleteView.as_view()),
    path("team/info", teams.TeamInfoView.as_view()),
    path("team/list", teams.TeamListView.as_view()),
    path("team/member_add", teams.TeamMemberAddView.as_view()),
    path("team/member_delete", teams.TeamMemberDeleteView.as_view()),
    path("team/block", teams.TeamBlockView.as_view()),
    path("team/unblock", teams.TeamUnblockView.as_view()),
    path("user/new", users.UserNewView.as_view()),
    path("user/info", users.UserInfoView.as_view()),
    path("user/update", users.UserUpdateView.as_view()),
    path("user/delete", users.UserDeleteView.as_view()),
    path("user/list", users.UserListView.as_view()),
    path("budget/new", budgets.BudgetNewView.as_view()),
    path("budget/info", budgets.BudgetInfoView.as_view()),
    path("budget/update", budgets.BudgetUpdateView.as_view()),
    path("budget/delete", budgets.BudgetDeleteView.as_view()),
    path("budget/list", budgets.BudgetListView.as_view()),
]
# LiteLLM still serves /customer/* under its older /end_user/ name.
for prefix in ("customer", "end_user"):
    urlpatterns += [
        path(f"{prefix}/new", customers.CustomerNewView.as_view()),
        path(f"{prefix}/info", customers.CustomerInfoView.as_view()),
        path(f"{prefix}/update", customers.CustomerUpdateView.as_view()),
        path(f"{prefix}/delete", customers.CustomerDeleteView.as_view()),
        path(f"{prefix}/list", customers.CustomerListView.as_view()),
        path(f"{prefix}/block", customers.CustomerBlockView.as_view()),
        path(f"{prefix}/unblock", customers.CustomerUnblockView.as_view()),
    ]
