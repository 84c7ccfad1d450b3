"""The code that runs inside the sandbox, kept apart from the rest of the project.

These files are mounted read-only into the warm engine's sandbox and copied beside the tests
of every run (``contract.JUDGE_HARNESS``); there each is imported by its bare name
(``import bridge``), so none may import anything of the project but ``contract``. The host reads
``harness.contract`` for the same messages, limits and names.
"""
