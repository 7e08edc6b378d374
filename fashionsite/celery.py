"""The Celery app: settings under the CELERY_ namespace, tasks found in every app's tasks.py.

With no REDIS_URL the tasks run in-process (CELERY_TASK_ALWAYS_EAGER), so the shop
needs no broker on a laptop.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

app = Celery("fashionsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
