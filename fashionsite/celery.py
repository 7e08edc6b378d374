"""The Celery app: settings under the CELERY_ namespace, tasks found in every app's tasks.py.

With no REDIS_URL the tasks run in-process (CELERY_TASK_ALWAYS_EAGER), so the shop
needs no broker on a laptop.
"""

import logging
import os

from celery import Celery
from django.db import transaction
from django.utils import timezone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

app = Celery("fashionsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def tasks_run_in_process():
    """Whether tasks run in the calling process, with no workers (CELERY_TASK_ALWAYS_EAGER)."""
    return app.conf.task_always_eager


def queue_on_commit(task, *args):
    """Send the task once the transaction commits. With the broker down the save still
    succeeds (the send is logged); the periodic catch-up tasks do the work later."""

    def send():
        try:
            task.delay(*args)
        except Exception:  # kombu raises several kinds of connection errors
            logger.exception("Could not queue %s%s; the catch-up task will do it", task.name, args)

    transaction.on_commit(send)


@app.task(name="fashionsite.sessions_clear_expired", acks_late=True)
def sessions_clear_expired():
    """Run by beat: delete the expired sessions (the admin's; visitors have none)."""
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
