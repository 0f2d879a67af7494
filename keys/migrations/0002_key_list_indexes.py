"""Indexes for the /ui keys list at 100,000 keys: its default order (newest
first) and the alias search (a substring match: a trigram index on
PostgreSQL, when the pg_trgm extension can be created; without it the search
scans the table, which is correct, only slower)."""
from django.db import migrations, models, transaction


def add_alias_trigram_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute("CREATE INDEX IF NOT EXISTS key_alias_trigram ON keys_virtualkey "
                                  "USING gin (UPPER(key_alias) gin_trgm_ops)")
    except Exception:  # noqa: BLE001  (no right to create extensions: the search still works)
        pass


def drop_alias_trigram_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS key_alias_trigram")


class Migration(migrations.Migration):
    dependencies = [("keys", "0001_initial")]

    operations = [
        migrations.AddIndex(model_name="virtualkey",
                            index=models.Index(fields=["-created_at", "-token"], name="key_newest_first")),
        migrations.AddIndex(model_name="virtualkey", index=models.Index(fields=["expires"], name="key_expires")),
        migrations.RunPython(add_alias_trigram_index, drop_alias_trigram_index),
    ]
