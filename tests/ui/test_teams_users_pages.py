"""Teams, users, budgets and customers pages over real HTTP: every change
lands through the services (seen on the management API and in the audit log)."""
from __future__ import annotations

import uuid

from tests.keys.helpers import admin
from tests.ui.ui_people import PASSWORD, person_with_login, set_password
from tests.ui.ui_session import UISession


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def team_info(gateway, team_id: str) -> dict:
    return admin(gateway, "/team/info", method="GET", params={"team_id": team_id}).json()["team_info"]


def members_of(gateway, team_id: str) -> dict:
    return {m["user_id"]: m["role"] for m in team_info(gateway, team_id)["members_with_roles"]}


def test_it_creates_and_edits_a_team(admin_ui, ui_gateway):
    team_id = unique("team")
    answer = admin_ui.post_form("/ui/keys/team/add/", {"team_id": team_id, "team_alias": "Platform",
                                                       "models": "gpt-4.1, mock-gpt", "max_budget": "20"})
    assert answer.status_code == 302, answer.text[:3000]
    info = team_info(ui_gateway, team_id)
    assert info["team_alias"] == "Platform" and info["models"] == ["gpt-4.1", "mock-gpt"]
    assert info["max_budget"] == 20 and info["created_by"] == "ui:admin"
    page = f"/ui/keys/team/{team_id}/change/"
    assert admin_ui.post_form(page, {"team_alias": "Platform", "models": "mock-gpt", "rpm_limit": "30"}).status_code == 302
    info = team_info(ui_gateway, team_id)
    assert info["models"] == ["mock-gpt"] and info["rpm_limit"] == 30 and info["max_budget"] is None
    assert "Platform" in admin_ui.get("/ui/keys/team/", params={"q": team_id}).text


def test_a_bad_team_field_is_shown_and_nothing_changes(admin_ui, ui_gateway):
    team_id = unique("team")
    admin(ui_gateway, "/team/new", {"team_id": team_id, "rpm_limit": 5})
    answer = admin_ui.post_form(f"/ui/keys/team/{team_id}/change/", {"team_alias": "x", "budget_duration": "often"})
    assert answer.status_code == 200 and 'data-field="budget_duration"' in answer.text
    assert team_info(ui_gateway, team_id)["rpm_limit"] == 5


def test_members_are_added_given_a_role_and_removed(admin_ui, ui_gateway):
    team_id = unique("team")
    admin(ui_gateway, "/team/new", {"team_id": team_id})
    page, members = f"/ui/keys/team/{team_id}/change/", f"/ui/keys/team/{team_id}/members/"
    user_id = unique("member")
    assert admin_ui.post_form(members, {"operation": "add", "user_id": user_id, "role": "user"},
                              form_page=page).status_code == 302
    assert members_of(ui_gateway, team_id) == {user_id: "user"}
    admin_ui.post_form(members, {"operation": "role", "user_id": user_id, "role": "admin"}, form_page=page)
    assert members_of(ui_gateway, team_id) == {user_id: "admin"}
    assert user_id in admin_ui.get(page).text
    admin_ui.post_form(members, {"operation": "remove", "user_id": user_id}, form_page=page)
    assert members_of(ui_gateway, team_id) == {}
    audit = admin_ui.get("/ui/keys/auditentry/", params={"o": "-1"}).text
    assert "team_member_update" in audit and "team_member_delete" in audit


def test_a_user_is_created_and_their_ui_password_logs_them_in(admin_ui, ui_gateway):
    user_id = unique("newcomer")
    answer = admin_ui.post_form("/ui/keys/user/add/", {"user_id": user_id, "user_email": f"{user_id}@example.com",
                                                       "user_role": "internal_user", "max_budget": "3"})
    assert answer.status_code == 302, answer.text[:2000]
    info = admin(ui_gateway, "/user/info", method="GET", params={"user_id": user_id}).json()
    assert info["user_info"]["max_budget"] == 3 and info["keys"] == []
    assert UISession(ui_gateway.url).login(user_id, PASSWORD).status_code == 200  # no login yet
    set_password(admin_ui, user_id, PASSWORD)
    session = UISession(ui_gateway.url)
    assert session.login(user_id, PASSWORD).status_code == 302
    audit = admin_ui.get("/ui/keys/auditentry/", params={"o": "-1"}).text
    assert "user_ui_password_set" in audit and PASSWORD not in audit


def test_a_short_password_or_the_admin_name_is_refused(admin_ui, ui_gateway):
    user_id = unique("shorty")
    admin(ui_gateway, "/user/new", {"user_id": user_id, "auto_create_key": False})
    set_password(admin_ui, user_id, "short")
    assert UISession(ui_gateway.url).login(user_id, "short").status_code == 200
    admin(ui_gateway, "/user/new", {"user_id": "admin", "auto_create_key": False})
    refused = set_password(admin_ui, "admin", PASSWORD)
    assert "admin login" in admin_ui.get(refused.headers["location"]).text
    assert UISession(ui_gateway.url).login("admin", PASSWORD).status_code == 200  # still refused
    admin(ui_gateway, "/user/delete", {"user_ids": ["admin"]})


def test_deleting_a_user_removes_their_login(admin_ui, ui_gateway):
    user_id, session = person_with_login(admin_ui, ui_gateway, "internal_user", name="leaver")
    assert session.get("/ui/keys/virtualkey/").status_code == 200
    page = f"/ui/keys/user/{user_id}/delete/"
    assert admin_ui.post_form(page, {"post": "yes"}).status_code == 302
    assert session.get("/ui/keys/virtualkey/").status_code == 302  # to the login page
    assert UISession(ui_gateway.url).login(user_id, PASSWORD).status_code == 200


def test_budgets_and_customers_are_created_and_edited(admin_ui, ui_gateway):
    budget_id = unique("budget")
    assert admin_ui.post_form("/ui/keys/budget/add/", {"budget_id": budget_id, "max_budget": "7",
                                                       "budget_duration": "30d"}).status_code == 302
    admin_ui.post_form(f"/ui/keys/budget/{budget_id}/change/", {"max_budget": "8", "budget_duration": "30d"})
    budget = admin(ui_gateway, "/budget/info", {"budgets": [budget_id]}).json()[0]
    assert budget["max_budget"] == 8 and budget["budget_duration"] == "30d"
    customer = unique("customer")
    assert admin_ui.post_form("/ui/keys/enduser/add/", {"user_id": customer, "alias": "Acme",
                                                        "budget_id": budget_id}).status_code == 302
    info = admin(ui_gateway, "/customer/info", method="GET", params={"end_user_id": customer}).json()
    assert info["alias"] == "Acme" and info["budget_id"] == budget_id
    admin_ui.post_form(f"/ui/keys/enduser/{customer}/change/", {"alias": "Acme", "blocked": "on",
                                                                 "budget_id": budget_id})
    assert admin(ui_gateway, "/customer/info", method="GET", params={"end_user_id": customer}).json()["blocked"]
    assert "Acme" in admin_ui.get("/ui/keys/enduser/").text
