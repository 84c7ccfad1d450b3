"""Grading: build a workspace, run pytest on learner code in a sandbox, read the report.

Layers, from the inside out: ``sandbox`` (run a command under limits), ``workspace``
(the files one run sees), ``report`` (JUnit XML → per-test outcomes), ``run``
(one check, no database), ``jobs`` (one queued submission, database in and out),
``queue`` (backends that run jobs), ``service`` (what the pages call).
Nothing here imports torch: only the sandboxed pytest process does.
"""
