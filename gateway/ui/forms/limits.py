"""The budget and rate-limit inputs that keys, teams and users share, named as
the API's fields. Each form lists its own fields first (`field_order`); these
follow."""
from __future__ import annotations

from django import forms


class BudgetAndLimitFields(forms.Form):
    max_budget = forms.CharField(required=False, label="Max budget (USD)")
    budget_duration = forms.CharField(required=False, max_length=16, label="Budget resets every",
                                      help_text='e.g. "30d", "1mo"; empty: never.')
    rpm_limit = forms.CharField(required=False, label="Requests / minute")
    tpm_limit = forms.CharField(required=False, label="Tokens / minute")
    max_parallel_requests = forms.CharField(required=False, label="Parallel requests")
