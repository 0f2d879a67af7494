"""/ui/spend/ once past days are rolled up: the dashboard reads everyone's past
spend from the per-key/team/model/tag roll-up (SpendDailyBy) and today's from
the log, and still equals /global/spend, /spend/logs and /key/info."""
from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.gateway_process import REPO_ROOT
from tests.keys.helpers import admin, generate_key
from tests.ui.spend_cast import call, key_spend, unique, wait_for_logs
from tests.ui.test_spend_dashboard import TO_THE_CENT_AND_BEYOND, csv_table, figure

TOP_ROW = re.compile(r'<tr><td>([^<]+?)\s*(?:<code[^>]*>[^<]*</code>)?\s*<div class="ui-bar">.*?</td>\s*'
                     r'<td class="ui-num">\$([0-9.]+)</td><td class="ui-num">(\d+)</td>', re.S)


def move_to_past_and_roll_up(gateway, moves: dict[str, int]) -> None:
    """Log rows (request id: days back) moved to past days, then those days rolled up
    by spend.rollup, as the roll-up job does once a day is over."""
    code = ("import datetime as dt; from spend.models import SpendLog; from spend.rollup import roll_up_day\n"
            f"moves = {moves!r}; days = set()\n"
            "for row in SpendLog.objects.filter(request_id__in=moves):\n"
            "    shift = dt.timedelta(days=moves[row.request_id])\n"
            "    row.start_time -= shift; row.end_time -= shift; row.save()\n"
            "    days.add(row.start_time.astimezone(dt.timezone.utc).date())\n"
            "for day in days: roll_up_day(day)\n")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO_ROOT, env=gateway.env, check=True,
                   capture_output=True, timeout=60)


def logged(gateway, token: str) -> list[dict]:
    return admin(gateway, "/spend/logs", method="GET", params={"api_key": token}).json()


@pytest.fixture(scope="module")
def rolled(ui_gateway):
    """Two keys with calls today, yesterday and three days ago (the past rolled up), one tag."""
    team = {"team_id": unique("team-r"), "team_alias": unique("Team r")}
    assert admin(ui_gateway, "/team/new", team).status_code == 200
    tag = unique("tag-r")
    keys = {"big": generate_key(ui_gateway, key_alias=unique("big"), team_id=team["team_id"]),
            "small": generate_key(ui_gateway, key_alias=unique("small"))}
    plan = {"big": [[tag], [tag], None, [tag]], "small": [None, [tag]]}
    for name, calls in plan.items():
        for i, tags in enumerate(calls):
            call(ui_gateway, keys[name]["key"], tags=tags, text="spend " * (40 if name == "big" else i + 1))
    rows = {name: wait_for_logs(ui_gateway, keys[name]["token"], len(calls)) for name, calls in plan.items()}
    ids = {name: sorted(row["request_id"] for row in found) for name, found in rows.items()}
    # big: two calls three days ago, one yesterday, one today; small: one yesterday, one today.
    move_to_past_and_roll_up(ui_gateway, {ids["big"][0]: 3, ids["big"][1]: 3, ids["big"][2]: 1,
                                          ids["small"][0]: 1})
    return {"team": team, "tag": tag, "keys": keys,
            "logs": {name: logged(ui_gateway, key["token"]) for name, key in keys.items()}}


def test_the_rolled_up_days_are_on_the_chart_and_the_total_equals_global_spend(admin_ui, ui_gateway, rolled):
    daily = {row["day"]: row for row in csv_table(admin_ui, "daily")}
    today = dt.datetime.now(dt.timezone.utc).date()
    for back in (1, 3):
        assert (today - dt.timedelta(days=back)).isoformat() in daily
    global_spend = Decimal(str(admin(ui_gateway, "/global/spend", method="GET").json()["spend"]))
    total = sum((Decimal(row["spend"]) for row in daily.values()), Decimal(0))
    assert abs(total - global_spend) < TO_THE_CENT_AND_BEYOND
    page = admin_ui.get("/ui/spend/").text
    assert abs(Decimal(figure(page, "ui-total-spend").lstrip("$")) - total) < Decimal("0.000001")


def test_each_key_spanning_past_and_today_equals_its_log_and_counter(admin_ui, ui_gateway, rolled):
    by_alias = {row["key_alias"]: row for row in csv_table(admin_ui, "keys")}
    for name, key in rolled["keys"].items():
        row = by_alias[key["key_alias"]]
        spent = sum((Decimal(str(entry["spend"])) for entry in rolled["logs"][name]), Decimal(0))
        assert abs(Decimal(row["spend"]) - spent) < TO_THE_CENT_AND_BEYOND
        assert abs(Decimal(row["spend"]) - key_spend(ui_gateway, key["token"])) < TO_THE_CENT_AND_BEYOND
        assert int(row["requests"]) == len(rolled["logs"][name])


def test_the_team_and_the_tag_add_up_over_past_and_today(admin_ui, rolled):
    every_row = [entry for found in rolled["logs"].values() for entry in found]
    team = {row["team"]: row for row in csv_table(admin_ui, "teams")}[rolled["team"]["team_alias"]]
    assert int(team["requests"]) == len(rolled["logs"]["big"])
    assert abs(Decimal(team["spend"]) - sum(Decimal(str(e["spend"])) for e in rolled["logs"]["big"])) \
        < TO_THE_CENT_AND_BEYOND
    tag = {row["tag"]: row for row in csv_table(admin_ui, "tags")}[rolled["tag"]]
    carrying = [entry for entry in every_row if rolled["tag"] in entry["request_tags"]]
    assert int(tag["requests"]) == len(carrying) == 4
    assert abs(Decimal(tag["spend"]) - sum(Decimal(str(e["spend"])) for e in carrying)) < TO_THE_CENT_AND_BEYOND


@pytest.mark.parametrize("table", ["keys", "teams", "models", "tags"])
def test_the_pages_top_rows_are_the_head_of_the_full_ranking(admin_ui, rolled, table):
    """The page ranks in SQL (past days) merged with today; the CSV sums every group: same order, same figures."""
    page = admin_ui.get("/ui/spend/").text
    panel = re.search(rf'id="ui-top-{table}">(.*?)</table>(.*?)</div>', page, re.S)
    assert panel, f"no #ui-top-{table}"
    shown = [(html.unescape(label.strip()), Decimal(spend), int(requests))  # the page escapes names; the CSV does not
             for label, spend, requests in TOP_ROW.findall(panel[1])]
    full = csv_table(admin_ui, table)
    label = {"keys": "key_alias", "teams": "team", "models": "model_group", "tags": "tag"}[table]
    head = [(row[label] or row.get("key_name", ""), Decimal(row["spend"]), int(row["requests"]))
            for row in full[:len(shown)]]
    assert [(spend, requests) for _, spend, requests in shown] == [(spend, requests) for _, spend, requests in head]
    assert [name for name, _, _ in shown] == [name for name, _, _ in head]
    more = re.search(r"and (\d+) more in the CSV", panel[2])
    assert (int(more[1]) if more else 0) == len(full) - len(shown)


def test_the_split_by_key_sums_to_each_keys_total(admin_ui, rolled):
    keys = {row["key_alias"]: Decimal(row["spend"]) for row in csv_table(admin_ui, "keys")}
    per_key: dict[str, Decimal] = defaultdict(Decimal)
    for row in csv_table(admin_ui, "split", by="key"):
        per_key[row["key"]] += Decimal(row["spend"])
    for key in rolled["keys"].values():
        assert per_key[key["key_alias"]] == keys[key["key_alias"]]
