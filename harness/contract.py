"""What the host and the sandbox agree on: messages, limits, exit codes, names.

One file, read by both sides: the host imports it as ``harness.contract``; inside the
sandbox the zygote and the judge's plugins import it as ``contract`` (the harness folder is on
their path). Nothing here may import anything but the standard library, because the zygote
loads it before torch. ``tests/test_contract.py`` fails if either side reads or writes a message
key that is not declared here.

The warm engine talks to the zygote in JSON lines: the host writes one :class:`Job`, the zygote
answers :class:`Ready` once, then per job any number of :class:`Live` lines and one
:class:`Answer` (or :class:`Failure`).
"""
from __future__ import annotations

from typing import TypedDict

# -- limits ---------------------------------------------------------------------------------
MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest single file a run may write (reports, artifacts, captured output): RLIMIT_FSIZE."""
MAX_ARTIFACTS = 20
"""Plots and texts a run may publish; the rest are dropped."""
MAX_ARTIFACT_BYTES = 256 * 1024
"""Largest published artifact (JSON text); larger ones are dropped."""
ARTIFACT_KINDS = ("line", "heatmap", "text")
"""The kinds of artifact a page knows how to draw."""
MAX_OPEN_FILES = 256
"""RLIMIT_NOFILE of every sandboxed process."""

# -- exit codes -----------------------------------------------------------------------------
EXIT_SETUP_FAILED = 70
"""The zygote's child could not set the job up (a grader fault, never the learner's)."""
EXIT_OUTPUT_LIMIT = 71
"""A process's output went past the file-size limit."""
EXIT_LEARNER_GONE = 72
"""The judge (harness conftest): the learner's process ended while the tests needed it."""

# -- environment names, as the tests and the learner's process see them ---------------------
ENV_ARTIFACT_DIR = "COURSE_ARTIFACT_DIR"
"""A folder the process may write files to during the run (never read back by the host)."""
ENV_SHARED_DIR = "COURSE_SHARED_DIR"
"""The one folder both the judge and the learner's process may write (tests' ``tmp_path``)."""
ENV_BRIDGE_FD = "COURSE_BRIDGE_FD"
"""The judge's end of the socket to the learner's process."""
ENV_SUBMISSION_SOURCE = "COURSE_SUBMISSION_SOURCE"
"""A copy of the learner's code the judge may read (for tests that look at the source)."""
ENV_INPUT_DIR = "COURSE_INPUT_DIR"
"""The learner's own files for a playground run (read-only)."""
ENV_CORPUS = "COURSE_CORPUS"
"""Tiny Shakespeare, read-only, where the exercise uses it."""
ENV_MODELS_DIR = "COURSE_MODELS_DIR"
"""The course's own pre-trained models and vectors (``python -m courseware models build``), read-only."""
MODELS_INSIDE = "/data/models"
"""Where the sandbox mounts the models folder."""
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
               "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
               "TOKENIZERS_PARALLELISM": "false"}
"""Set in every sandboxed process: jobs have no network, so Hugging Face libraries must not try it
(and their progress bars and advice would only clutter the learner's output)."""

# -- files ----------------------------------------------------------------------------------
CODE_FILE = "submission.py"
"""The learner's code, as the tests import it (``course_harness.submission()``)."""
PUBLIC_TEST_FILE = "test_public.py"
HIDDEN_TEST_FILE = "test_hidden.py"
JUDGE_HARNESS = ("conftest.py", "course_harness.py", "metric_gate.py", "bridge.py", "contract.py")
"""Copied beside the tests in every run: the judge's conftest, the tests' helpers, the metric
plugin, the wire to the learner's process and this file."""
LEARNER_HARNESS = ("bridge.py", "contract.py")
"""Beside the learner's code in the cold engine's learner sandbox: what ``bridge.serve`` needs."""
RUNTIME_ONLY = ("zygote.py", "result_stream.py")
"""Used by the warm engine from its read-only runtime folder, never copied into a workspace."""
RESERVED_NAMES = (CODE_FILE, *JUDGE_HARNESS, *RUNTIME_ONLY)
"""Names an exercise's support files may not take: they would replace a harness file."""


# -- messages -------------------------------------------------------------------------------
class JobLimits(TypedDict):
    """An exercise's limits as the zygote applies them."""

    time_s: float
    memory_mb: int
    processes: int
    output_kb: int


class Job(TypedDict):
    """One grading run, host → zygote."""

    id: str
    """Unique per run; every line about this job carries it."""
    uid: int
    """The learner's process runs as this uid (the slot's)."""
    judge_uid: int
    """The judge (pytest and the tests) runs as this uid."""
    token: str
    """Secret that authenticates the judge's result records (the learner never sees it)."""
    files: dict[str, str]
    """Workspace files by name: ``submission.py`` goes to the learner, the rest to the judge."""
    tests: list[str]
    """The test files pytest runs, in order."""
    hidden: list[str]
    """Those of ``tests`` whose details the learner must not see."""
    corpus: bool
    """Whether tiny Shakespeare is mounted for this exercise."""
    models: bool
    """Whether the models folder is mounted (at ``MODELS_INSIDE``)."""
    inputs: dict[str, str] | None
    """The learner's own files for a playground run, or None."""
    limits: JobLimits


class Ready(TypedDict):
    """The zygote's first line: warmed up and waiting for jobs."""

    ready: bool
    pid: int


class Live(TypedDict):
    """A running job's live charts (JSON texts), sent as they change."""

    id: str
    live: list[str]


class Answer(TypedDict):
    """How one job ended, zygote → host."""

    id: str
    records: list[dict]
    """The judge's result records (each carries the job's token when authentic)."""
    timed_out: bool
    returncode: int
    """The judge's exit code."""
    learner_returncode: int
    """The learner's process's exit code."""
    output: str
    """What both processes printed, cut at the output limit."""
    output_truncated: bool
    oom: bool
    """The slot's memory cgroup killed something."""
    artifacts: list[str]
    """Published plots and texts (JSON), at most MAX_ARTIFACTS."""
    duration_s: float
    cpu_s: float
    phases: dict[str, float]
    """Seconds from the job's start to each step (setup, child, waited, …), for the latency log."""


class Failure(TypedDict):
    """The zygote could not run the job at all; it stays up for the next one."""

    id: str | None
    internal_error: str


MESSAGE_KEYS: dict[str, frozenset[str]] = {
    message.__name__: frozenset(message.__annotations__)
    for message in (Job, JobLimits, Ready, Live, Answer, Failure)
}
"""Every key each message may carry (the contract test checks both sides against these)."""
