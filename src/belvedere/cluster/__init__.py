"""Beyond one process: the bus between processes, Celery workers on Redis, their liveness."""
