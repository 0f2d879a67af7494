"""A logged-in /ui session over real HTTP (httpx keeps the cookies), for tests
of pages and forms without a browser."""
from __future__ import annotations

import re

import httpx

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


class UISession:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)

    def login(self, username: str, password: str) -> httpx.Response:
        """Post the login form; a 302 to /ui/ means logged in, a 200 shows the form again."""
        form = self.http.get("/ui/login/")
        return self.http.post("/ui/login/", data={"username": username, "password": password,
                                                  "csrfmiddlewaretoken": csrf_token(form.text), "next": "/ui/"})

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post_form(self, path: str, data: dict, *, form_page: str | None = None) -> httpx.Response:
        """Post `data` to `path` with the CSRF token of `form_page` (default: `path` itself)."""
        page = self.http.get(form_page or path)
        return self.http.post(path, data={**data, "csrfmiddlewaretoken": csrf_token(page.text)})

    def close(self) -> None:
        self.http.close()


def logged_in(base_url: str, username: str, password: str) -> UISession:
    session = UISession(base_url)
    answer = session.login(username, password)
    assert answer.status_code == 302 and answer.headers["location"] == "/ui/", answer.text[:2000]
    return session
