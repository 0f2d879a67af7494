"""The Celery app (`celery -A gateway worker -B`). Tasks live in the apps'
tasks.py; the beat schedule is collected here as they land."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Without Redis there is no beat: gateway/scheduler.py runs the same tasks on
# the same wall-clock marks inside the serving process. Keep the two in step.
# `expires`: a run not started by the next mark is dropped, not queued behind it.
app.conf.beat_schedule = {
    "spend-reset-budgets": {"task": "spend.reset_budgets", "schedule": crontab(),  # every minute, on the minute
                            "options": {"expires": 55}},
    "spend-roll-up-daily": {"task": "spend.roll_up_daily", "schedule": crontab(minute="*/10"),
                            "options": {"expires": 9 * 60}},
    "spend-prune-logs": {"task": "spend.prune_logs", "schedule": crontab(hour=3, minute=17),
                         "options": {"expires": 60 * 60}},
}


@app.task(name="gateway.ping")
def ping() -> str:
    """A no-op task for checking that workers consume the broker."""
    return "pong"
