"""The grading service: submissions in the database, queues, workers, verdicts stored.

``service`` is what pages call (submit, read a verdict); ``intake`` checks code before it is
queued; ``jobs`` runs one queued submission through a ``sandbox`` engine (database in, database
out); ``queue`` and ``celery_queue`` carry submission ids to jobs, locally or over Redis;
``worker`` and ``worker_registry`` are the Celery workers and their recovery; ``live`` holds the
charts a running job keeps replacing.
"""
