from django.urls import path

from keys.views import keys

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
