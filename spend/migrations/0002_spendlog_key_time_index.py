"""An index on (api_key, start_time) for the keys page's "last used" column:
the newest spend-log row of a key is one index probe, even with millions of rows.

Raw SQL with no model state, so the model (owned by spend/) stays as it is."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("spend", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS spendlog_key_time ON spend_spendlog (api_key, start_time)",
            reverse_sql="DROP INDEX IF EXISTS spendlog_key_time",
        ),
    ]
