"""The Celery app (`celery -A gateway worker -B`). Tasks live in the apps'
tasks.py; the beat schedule is collected here as they land."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {}


@app.task(name="gateway.ping")
def ping() -> str:
    """A no-op task for checking that workers consume the broker."""
    return "pong"
