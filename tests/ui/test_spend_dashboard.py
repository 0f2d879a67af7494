"""/ui/spend/: the dashboard's figures (read from its CSV export) are the
management API's to the cent: /global/spend, /spend/logs and /key/info."""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.keys.helpers import admin, generate_key
from tests.ui.spend_cast import (call, internal_user, key_spend, parse_csv, unique, wait_for_logs)
from tests.ui.ui_session import logged_in

TABLES = ("daily", "split", "keys", "teams", "models", "tags")
TO_THE_CENT_AND_BEYOND = Decimal("0.0000000001")


def figure(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert found, f"no #{element_id}"
    return found.group(1)


def csv_table(session, table: str, **params) -> list[dict]:
    answer = session.get("/ui/spend/", params={**params, "format": "csv", "table": table})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return parse_csv(answer.text)


@pytest.fixture(scope="module")
def cast(ui_gateway):
    """Three keys (two in team A, one in team B), tagged calls, all landed in the log."""
    teams = {}
    for name in ("a", "b"):
        teams[name] = {"team_id": unique(f"team-{name}"), "team_alias": unique(f"Team {name}")}
        assert admin(ui_gateway, "/team/new", teams[name]).status_code == 200
    tag_x, tag_y = unique("tag-x"), unique("tag-y")
    keys = {"a1": generate_key(ui_gateway, key_alias=unique("a1"), team_id=teams["a"]["team_id"]),
            "a2": generate_key(ui_gateway, key_alias=unique("a2"), team_id=teams["a"]["team_id"]),
            "b1": generate_key(ui_gateway, key_alias=unique("b1"), team_id=teams["b"]["team_id"])}
    plan = {"a1": [[tag_x], [tag_x, tag_y], None], "a2": [[tag_y], None], "b1": [[tag_x], [tag_x], [tag_y], None]}
    for name, calls in plan.items():
        for i, tags in enumerate(calls):
            call(ui_gateway, keys[name]["key"], tags=tags, text="hello " * (i + 1))
    logs = {name: wait_for_logs(ui_gateway, keys[name]["token"], len(calls)) for name, calls in plan.items()}
    return {"teams": teams, "keys": keys, "logs": logs, "tags": (tag_x, tag_y)}


def test_totals_match_global_spend_and_the_daily_csv(admin_ui, ui_gateway, cast):
    page = admin_ui.get("/ui/spend/")
    daily = csv_table(admin_ui, "daily")
    global_spend = Decimal(str(admin(ui_gateway, "/global/spend", method="GET").json()["spend"]))

    total = sum((Decimal(row["spend"]) for row in daily), Decimal(0))
    assert abs(total - global_spend) < TO_THE_CENT_AND_BEYOND
    shown = Decimal(figure(page.text, "ui-total-spend").lstrip("$"))
    assert len(figure(page.text, "ui-total-spend").split(".")[1]) >= 6
    assert abs(shown - total) < Decimal("0.000001")
    assert int(figure(page.text, "ui-total-requests")) == sum(int(row["requests"]) for row in daily)
    assert int(figure(page.text, "ui-total-tokens")) == sum(int(row["total_tokens"]) for row in daily)


def test_each_key_matches_its_own_counter_and_its_log(admin_ui, ui_gateway, cast):
    ranked = csv_table(admin_ui, "keys")
    by_alias = {row["key_alias"]: row for row in ranked}
    page = admin_ui.get("/ui/spend/").text
    assert ranked[0]["key_alias"] in page  # the page shows the top of the ranking
    for name, key in cast["keys"].items():
        row = by_alias[key["key_alias"]]
        logged = sum((Decimal(str(entry["spend"])) for entry in cast["logs"][name]), Decimal(0))
        assert abs(Decimal(row["spend"]) - key_spend(ui_gateway, key["token"])) < TO_THE_CENT_AND_BEYOND
        assert abs(Decimal(row["spend"]) - logged) < TO_THE_CENT_AND_BEYOND
        assert int(row["requests"]) == len(cast["logs"][name])
        assert row["key_name"] == key["key_name"]  # the short name, never the key
        assert key["key"] not in page


def test_teams_and_tags_add_up_from_the_log(admin_ui, cast):
    teams = {row["team"]: row for row in csv_table(admin_ui, "teams")}
    team_a = teams[cast["teams"]["a"]["team_alias"]]
    expected_a = sum((Decimal(str(e["spend"])) for name in ("a1", "a2") for e in cast["logs"][name]), Decimal(0))
    assert abs(Decimal(team_a["spend"]) - expected_a) < TO_THE_CENT_AND_BEYOND and int(team_a["requests"]) == 5

    tags = {row["tag"]: row for row in csv_table(admin_ui, "tags")}
    every_row = [entry for rows in cast["logs"].values() for entry in rows]
    for tag in cast["tags"]:
        carrying = [entry for entry in every_row if tag in entry["request_tags"]]
        assert int(tags[tag]["requests"]) == len(carrying)
        assert abs(Decimal(tags[tag]["spend"]) - sum(Decimal(str(e["spend"])) for e in carrying)) \
            < TO_THE_CENT_AND_BEYOND


def test_the_split_by_team_sums_to_each_teams_total(admin_ui, cast):
    teams = {row["team"]: Decimal(row["spend"]) for row in csv_table(admin_ui, "teams")}
    per_team: dict[str, Decimal] = defaultdict(Decimal)
    for row in csv_table(admin_ui, "split", by="team"):
        per_team[row["team"]] += Decimal(row["spend"])
    for team in cast["teams"].values():
        assert per_team[team["team_alias"]] == teams[team["team_alias"]]


def test_every_table_and_chart_links_its_csv_with_the_same_filters(admin_ui, cast):
    page = admin_ui.get("/ui/spend/", params={"start": "2026-01-01", "end": "2026-12-31", "by": "tag"})
    assert page.status_code == 200 and page.text.count('<svg class="ui-chart"') == 4
    for table in TABLES:
        assert f"format=csv&amp;table={table}" in page.text
    assert "start=2026-01-01&amp;end=2026-12-31&amp;by=tag&amp;format=csv" in page.text
    assert "Spend per day by tag" in page.text


def test_a_period_without_requests_shows_zero(admin_ui, cast):
    page = admin_ui.get("/ui/spend/", params={"start": "2001-01-01", "end": "2001-01-31"})
    assert figure(page.text, "ui-total-spend") == "$0.000000" and figure(page.text, "ui-total-requests") == "0"
    assert csv_table(admin_ui, "keys", start="2001-01-01", end="2001-01-31") == []


def test_an_internal_user_sees_only_their_own_spend(ui_gateway, cast):
    user_id, key = internal_user(ui_gateway, "pw-for-ann-1234")
    call(ui_gateway, key["key"], tags=[cast["tags"][0]])
    [mine] = wait_for_logs(ui_gateway, key["token"], 1)
    session = logged_in(ui_gateway.url, user_id, "pw-for-ann-1234")

    page = session.get("/ui/spend/")
    assert page.status_code == 200
    assert figure(page.text, "ui-total-requests") == "1"
    assert abs(Decimal(figure(page.text, "ui-total-spend").lstrip("$")) - Decimal(str(mine["spend"]))) \
        < TO_THE_CENT_AND_BEYOND
    assert [row["key_alias"] for row in csv_table(session, "keys")] == [key["key_alias"]]
    assert [row["requests"] for row in csv_table(session, "tags") if row["tag"] == cast["tags"][0]] == ["1"]
    for other in cast["keys"].values():
        assert other["key_alias"] not in page.text
