"""Fill SpendDailyBy for the days rolled up before it existed, so an upgraded
database shows their spend on the dashboard. Sums SpendDaily as
spend.rollup.roll_up_day does: key, team and model rows from the tag == ""
rows, tag rows from the tagged ones. One INSERT ... SELECT per dimension,
in SQL that PostgreSQL and SQLite both read. Days a roll-up has
already written (it may run while this migrates) are left as they are."""
from django.db import migrations

# dimension: (SpendDaily column, which rows)
DIMENSIONS = {"key": ("api_key", "tag = ''"), "team": ("team_id", "tag = ''"),
              "model": ("model_group", "tag = ''"), "tag": ("tag", "tag <> ''")}
FILL = """
INSERT INTO spend_spenddailyby (day, dimension, value, spend, prompt_tokens, completion_tokens, requests,
                                failed_requests)
SELECT day, %s, {column}, SUM(spend), SUM(prompt_tokens), SUM(completion_tokens), SUM(requests),
       SUM(failed_requests)
FROM spend_spenddaily
WHERE {rows} AND day NOT IN (SELECT day FROM spend_spenddailyby WHERE dimension = %s)
GROUP BY day, {column}
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for dimension, (column, rows) in DIMENSIONS.items():
            cursor.execute(FILL.format(column=column, rows=rows), [dimension, dimension])


class Migration(migrations.Migration):
    dependencies = [("spend", "0003_spend_daily_by_dimension")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
