"""Start-up checks: what a web process needs before it serves (Django's system check framework).

The apps register their checks with the STARTUP tag as warnings, so that management commands
(`migrate`, `collectstatic`, ...) still run and say what is missing. A server is stricter:
fashionsite.wsgi and fashionsite.asgi call `stop_unless_ready`, which turns them into errors
that stop it before it answers, instead of a 500 on each request later.
"""

from django.core.checks import run_checks
from django.core.management.base import SystemCheckError

STARTUP = "startup"  # the tag of the checks a server must pass


def stop_unless_ready():
    """Run the STARTUP checks; raises SystemCheckError naming each problem found (those not in
    SILENCED_SYSTEM_CHECKS), with its hint."""
    problems = [problem for problem in run_checks(tags=[STARTUP]) if not problem.is_silenced()]
    if problems:
        lines = [f"{problem.id}: {problem.msg} HINT: {problem.hint}" for problem in problems]
        raise SystemCheckError("The shop cannot serve until these are mended:\n" + "\n".join(lines))
