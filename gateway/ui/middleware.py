"""Sessions, login and messages for /ui only.

Django's SessionMiddleware, AuthenticationMiddleware and MessageMiddleware are
sync middlewares: in the global list each would cost a thread hop on every
proxied request. Here they wrap the handler for /ui paths only; every other
path goes straight through.
"""
from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware

UI_PREFIX = "/ui/"


class UIMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.ui_chain = XFrameOptionsMiddleware(SessionMiddleware(AuthenticationMiddleware(
            MessageMiddleware(get_response))))
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UI_PREFIX) and not settings.DISABLE_ADMIN_UI:
            return await self.ui_chain(request)
        return await self.get_response(request)
