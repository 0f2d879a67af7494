"""The spend log (one row per request, written once) and its daily roll-up."""
from __future__ import annotations

from django.db import models

MONEY = {"max_digits": 18, "decimal_places": 10}


class SpendLog(models.Model):
    """One proxied request: who, what, how much. Never the prompt or the answer
    unless general_settings.store_prompts_in_spend_logs asks for them."""

    request_id = models.CharField(primary_key=True, max_length=64)  # also x-litellm-call-id
    call_type = models.CharField(max_length=32)  # chat/completions, completions, embeddings, responses...
    start_time = models.DateTimeField(db_index=True)
    end_time = models.DateTimeField()
    api_key = models.CharField(max_length=64, db_index=True, blank=True, default="")  # key hash; "" for master
    key_alias = models.CharField(max_length=255, null=True, blank=True)
    team_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    user_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    end_user = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    model_group = models.CharField(max_length=255, blank=True, default="")
    model = models.CharField(max_length=255, blank=True, default="")  # provider model
    model_id = models.CharField(max_length=255, blank=True, default="")  # deployment id
    custom_llm_provider = models.CharField(max_length=64, blank=True, default="")
    api_base = models.CharField(max_length=500, blank=True, default="")
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    total_tokens = models.IntegerField(default=0)
    spend = models.DecimalField(default=0, **MONEY)
    is_priced = models.BooleanField(default=True)  # False: no known price, logged at 0
    latency_ms = models.FloatField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)  # streams: time to the first chunk
    status = models.CharField(max_length=16, default="success")  # success | failure
    error_class = models.CharField(max_length=64, null=True, blank=True)
    error_status = models.IntegerField(null=True, blank=True)
    cache_hit = models.BooleanField(default=False)
    request_tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    messages = models.JSONField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)


class SpendDaily(models.Model):
    """Spend per day x key x team x model group x tag; reports read this, not the log."""

    day = models.DateField()
    api_key = models.CharField(max_length=64, blank=True, default="")
    team_id = models.CharField(max_length=255, blank=True, default="")
    user_id = models.CharField(max_length=255, blank=True, default="")
    end_user = models.CharField(max_length=255, blank=True, default="")
    model_group = models.CharField(max_length=255, blank=True, default="")
    tag = models.CharField(max_length=255, blank=True, default="")  # "" = the request had no tag
    spend = models.DecimalField(default=0, **MONEY)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    failed_requests = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["day", "api_key", "team_id", "user_id", "end_user", "model_group", "tag"],
            name="one_rollup_row_per_group")]
        indexes = [models.Index(fields=["day"]),
                   models.Index(fields=["user_id", "day"], name="spenddaily_user_day")]  # an internal user's dashboard


class SpendDailyBy(models.Model):
    """SpendDaily summed per day and one dimension: key, team, model group or tag.

    Written with the day's SpendDaily rows (spend.rollup.roll_up_day), so that
    everyone's spend by key (or team, model, tag) over a month is a read of one
    row per day and group, not a grouping of every combination. Key, team and
    model rows sum the tag == "" rows (each request once); tag rows sum the
    tagged ones (once per tag).
    """

    DIMENSIONS = {"key": "api_key", "team": "team_id", "model": "model_group", "tag": "tag"}  # -> SpendDaily field

    day = models.DateField()
    dimension = models.CharField(max_length=8, choices=[(name, name) for name in DIMENSIONS])
    value = models.CharField(max_length=255, blank=True, default="")  # the key hash, team id, model group or tag
    spend = models.DecimalField(default=0, **MONEY)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    requests = models.BigIntegerField(default=0)
    failed_requests = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "dimension", "value"], name="one_row_per_day_and_group")]
        indexes = [models.Index(fields=["dimension", "day"], name="spenddailyby_dimension_day"),
                   models.Index(fields=["dimension", "value", "day"], name="spenddailyby_group_day"),
                   # the biggest days first: where the dashboard's ranking looks for its candidates
                   models.Index(fields=["dimension", "-spend"], name="spenddailyby_dimension_spend")]
