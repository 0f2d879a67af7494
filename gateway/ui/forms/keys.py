"""The key form of /ui (create and edit). Input names are the API's, and the
contract the end-to-end tests rely on (key_alias, team_id, user_id, models...)."""
from __future__ import annotations

from django import forms

from gateway.ui.forms.limits import BudgetAndLimitFields

from gateway.ui.forms.service import comma_list, shown
from keys.models import Team, VirtualKey


def team_choices(team_ids: list[str] | None) -> list[tuple[str, str]]:
    """Teams for the select, by alias; `team_ids` limits them (None: every team)."""
    rows = Team.objects.order_by("team_alias", "team_id")
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return [("", "— no team —")] + [(team_id, alias or team_id) for team_id, alias in
                                     rows.values_list("team_id", "team_alias")]


class KeyForm(BudgetAndLimitFields):
    field_order = ("key_alias", "team_id", "user_id", "models")  # then the limits, then duration

    key_alias = forms.CharField(required=False, max_length=255, label="Alias",
                                help_text="A name to find the key by; shown in logs and spend reports.")
    team_id = forms.ChoiceField(required=False, label="Team", choices=())
    user_id = forms.CharField(required=False, max_length=255, label="User id",
                              help_text="The internal user the key acts as.")
    models = forms.CharField(required=False, label="Models",
                             help_text="Comma-separated model groups; empty: every model the team may use.")
    duration = forms.CharField(required=False, max_length=16, label="Expires after",
                               help_text='e.g. "7d", "12h"; empty: never expires.')

    def __init__(self, *args, team_ids: list[str] | None = None, is_edit: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team_id"].choices = team_choices(team_ids)
        for name in ("max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "size": 12})
        if is_edit:
            self.fields["duration"].help_text = ('Counted from now, e.g. "7d"; empty: the expiry stays as it is.')

    def api_fields(self, *, is_edit: bool) -> dict:
        """The values as /key/generate (new) or /key/update (edit) takes them."""
        values = {}
        for name, value in self.cleaned_data.items():
            value = value.strip() if isinstance(value, str) else value
            if name == "models":
                values[name] = comma_list(value)
                if not values[name] and not is_edit:
                    del values[name]
            elif value:
                values[name] = value
            elif is_edit and name != "duration":
                values[name] = None  # emptied on the form: cleared
        return values


def key_initial(key: VirtualKey) -> dict:
    names = ("key_alias", "user_id", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
             "max_parallel_requests")
    return {"team_id": key.team_id or "", **{name: shown(getattr(key, name)) for name in names}}
