"""Continuous monitoring: availability probe rounds, the probe history a check judges, uptime per site, and the
single-machine scheduler (``govinspect monitor``). The same round and inspection functions run on Celery
workers (govinspect/tasks.py) when a broker is configured."""
