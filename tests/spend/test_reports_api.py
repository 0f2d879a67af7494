"""/spend/logs, /spend/tags and /global/spend/* over the URL conf, with LiteLLM's shapes."""
import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from gateway.config.schema import GatewayConfig, GeneralSettings, LitellmSettings
from gateway.proxy import runtime
from keys.models import Team
from keys.services.common import MASTER
from keys.services.keys import key_generate
from keys.services.users import user_create
from spend.models import SpendLog
from spend.rollup import day_bounds, local_today, roll_up_day
from tests.spend.test_rollup import spend_log

pytestmark = pytest.mark.django_db(transaction=True)
MASTER_KEY = "sk-spend-master"


@pytest.fixture(autouse=True)
def served_config():
    config = GatewayConfig(path=None, general_settings=GeneralSettings(master_key=MASTER_KEY),
                           litellm_settings=LitellmSettings(extra={"max_budget": 250}))
    runtime.install(runtime.build_runtime(config))
    yield
    runtime.reset()


def get(path: str, key: str = MASTER_KEY, **params):
    return APIClient().get(path, params, HTTP_AUTHORIZATION=f"Bearer {key}")


TODAY = local_today("UTC")
YESTERDAY, TWO_DAYS_AGO = TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=2)


def at(day: dt.date, minutes: int = 5) -> dt.datetime:
    return day_bounds(day, "UTC")[0] + dt.timedelta(minutes=minutes)


@pytest.fixture
def cast():
    """Two keys of two teams over three days; the days before today are rolled up, today is not."""
    Team.objects.create(team_id="team-search", team_alias="Search")
    jira, jira_raw = key_generate(MASTER, {"key_alias": "jira", "team_id": "team-search"})
    docs, docs_raw = key_generate(MASTER, {"key_alias": "docs"})
    spend_log(start=at(TWO_DAYS_AGO), spend="1", api_key=jira.token, team_id="team-search", user_id="ann",
              request_tags=["billing"])
    spend_log(start=at(YESTERDAY), spend="2", api_key=docs.token, end_user="acme", model_group="mock-gpt",
              request_tags=["billing", "batch"])
    spend_log(start=at(TODAY), spend="4", api_key=jira.token, team_id="team-search", user_id="ann",
              prompt_tokens=30, completion_tokens=10, total_tokens=40)
    spend_log(start=at(TODAY, 6), spend="8", api_key=docs.token, end_user="acme", request_tags=["batch"])
    roll_up_day(TWO_DAYS_AGO)
    roll_up_day(YESTERDAY)
    return {"jira": jira, "jira_raw": jira_raw, "docs": docs, "docs_raw": docs_raw}


def test_spend_logs_answers_with_litellms_row_fields(cast):
    answer = get("/spend/logs", request_id=SpendLog.objects.get(spend=4).request_id)

    assert answer.status_code == 200, answer.content
    [row] = answer.json()
    assert set(row) >= {"request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
                        "completion_tokens", "startTime", "endTime", "model", "model_id", "model_group",
                        "custom_llm_provider", "api_base", "user", "metadata", "cache_hit", "request_tags",
                        "team_id", "end_user", "messages", "response", "status"}
    assert row["api_key"] == cast["jira"].token and row["spend"] == 4.0 and row["total_tokens"] == 40
    assert row["user"] == "ann" and row["team_id"] == "team-search" and row["cache_hit"] == "False"
    assert dt.datetime.fromisoformat(row["startTime"]) == at(TODAY)


def test_spend_logs_filter_by_the_raw_key_or_its_hash(cast):
    by_raw = get("/spend/logs", api_key=cast["docs_raw"]).json()
    by_hash = get("/spend/logs", api_key=cast["docs"].token).json()

    assert by_raw == by_hash
    assert [row["spend"] for row in by_raw] == [8.0, 2.0]  # newest first


def test_spend_logs_with_dates_and_summarize_off_lists_the_rows_of_those_days(cast):
    answer = get("/spend/logs", start_date=YESTERDAY.isoformat(), end_date=TODAY.isoformat(), summarize="false")

    assert sorted(row["spend"] for row in answer.json()) == [2.0, 4.0, 8.0]


def test_spend_logs_with_dates_summarize_per_day_including_today(cast):
    answer = get("/spend/logs", start_date=TWO_DAYS_AGO.isoformat(), end_date=TODAY.isoformat())

    jira, docs = cast["jira"].token, cast["docs"].token
    assert answer.json() == [
        {"startTime": TWO_DAYS_AGO.isoformat(), "spend": 1.0, jira: 1.0, "users": {"ann": 1.0},
         "models": {"gpt-4.1": 1.0}},
        {"startTime": YESTERDAY.isoformat(), "spend": 2.0, docs: 2.0, "users": {"": 2.0}, "models": {"mock-gpt": 2.0}},
        {"startTime": TODAY.isoformat(), "spend": 12.0, jira: 4.0, docs: 8.0, "users": {"ann": 4.0, "": 8.0},
         "models": {"gpt-4.1": 12.0}},
    ]


def test_a_virtual_key_reads_only_its_own_spend_logs(cast):
    own = get("/spend/logs", key=cast["jira_raw"])
    other = get("/spend/logs", key=cast["jira_raw"], api_key=cast["docs"].token)

    assert own.status_code == 200 and {row["api_key"] for row in own.json()} == {cast["jira"].token}
    assert other.status_code == 403


def test_global_views_need_the_master_key_or_an_admin_viewer(cast):
    assert get("/global/spend", key=cast["jira_raw"]).status_code == 401
    assert get("/spend/tags", key=cast["jira_raw"]).status_code == 401
    assert APIClient().get("/global/spend").status_code == 401

    _, viewer_key, viewer_raw = user_create(MASTER, {"user_role": "proxy_admin_viewer"})
    assert get("/global/spend", key=viewer_raw).status_code == 200


def test_global_spend_adds_rolled_up_days_to_todays_live_log(cast):
    assert get("/global/spend").json() == {"spend": 15.0, "max_budget": 250.0}


def test_today_is_read_from_the_log_not_from_an_older_roll_up(cast):
    roll_up_day(TODAY)
    spend_log(start=at(TODAY, 7), spend="16")

    assert get("/global/spend").json()["spend"] == 31.0


def test_the_spend_report_groups_each_day_by_team(cast):
    answer = get("/global/spend/report", start_date=TWO_DAYS_AGO.isoformat(), end_date=TODAY.isoformat())

    assert answer.status_code == 200, answer.content
    days = answer.json()
    assert [day["group_by_day"] for day in days] == [f"{d.isoformat()}T00:00:00+00:00"
                                                    for d in (TWO_DAYS_AGO, YESTERDAY, TODAY)]
    today = {team["team_name"]: team for team in days[2]["teams"]}
    assert set(today) == {"Search", "Unassigned Team"}
    assert today["Search"]["total_spend"] == 4.0
    assert today["Search"]["metadata"] == [{"model": "gpt-4.1", "api_key": cast["jira"].token, "key_alias": "jira",
                                            "spend": 4.0, "total_tokens": 40}]


@pytest.mark.parametrize(("group_by", "plural"), [("customer", "customers"), ("api_key", "api_keys")])
def test_the_spend_report_groups_by_customer_or_key(cast, group_by, plural):
    answer = get("/global/spend/report", start_date=YESTERDAY.isoformat(), end_date=YESTERDAY.isoformat(),
                 group_by=group_by)

    [day] = answer.json()
    expected = {"customer": "acme"} if group_by == "customer" else {
        "api_key": cast["docs"].token, "key_alias": "docs", "key_name": cast["docs"].key_name}
    assert day[plural] == [{**expected, "total_spend": 2.0, "metadata": [
        {"model": "mock-gpt", "api_key": cast["docs"].token, "key_alias": "docs", "spend": 2.0,
         "total_tokens": 15}]}]


def test_the_spend_report_needs_dates_and_a_known_grouping(cast):
    assert get("/global/spend/report").status_code == 400
    bad = get("/global/spend/report", start_date=TODAY.isoformat(), end_date=TODAY.isoformat(), group_by="model")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "group_by"
    assert get("/spend/logs", start_date="yesterday", end_date=TODAY.isoformat()).status_code == 400


def test_tag_spend_counts_each_tag_of_a_request(cast):
    answer = get("/spend/tags", start_date=TWO_DAYS_AGO.isoformat(), end_date=TODAY.isoformat())

    assert answer.json() == [
        {"individual_request_tag": "batch", "log_count": 2, "total_spend": 10.0},
        {"individual_request_tag": "billing", "log_count": 2, "total_spend": 3.0},
    ]


def test_tag_spend_keeps_to_its_dates(cast):
    answer = get("/spend/tags", start_date=TWO_DAYS_AGO.isoformat(), end_date=TWO_DAYS_AGO.isoformat())

    assert answer.json() == [{"individual_request_tag": "billing", "log_count": 1, "total_spend": 1.0}]


def test_top_keys_and_models_by_spend(cast):
    keys = get("/global/spend/keys", limit="1").json()
    models = get("/global/spend/models").json()

    assert keys == [{"api_key": cast["docs"].token, "total_spend": 10.0, "key_alias": "docs",
                     "key_name": cast["docs"].key_name}]
    assert models == [{"model": "gpt-4.1", "total_spend": 13.0}, {"model": "mock-gpt", "total_spend": 2.0}]
    assert get("/global/spend/keys", limit="0").status_code == 400


def test_money_keeps_its_decimals(cast):
    spend_log(start=at(TODAY, 8), spend="0.0000001")

    assert Decimal(str(get("/global/spend").json()["spend"])) == Decimal("15.0000001")
