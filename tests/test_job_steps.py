"""A warm job's steps: timed in order for the latency log, and a job's leftovers gone before the next.

The zygote answers before it cleans up (so the learner does not wait for the clean-up); these
tests hold it to cleaning up before it reads the next job.
"""
from __future__ import annotations

import pytest

from courseware.loader import load_bank

from conftest import write_content

pytestmark = pytest.mark.slow

SNOOPING = '''
import os
SEEN = ("left-behind.txt" in os.listdir("/tmp"), len(os.listdir("/jobs")), len(os.listdir("/output")))
with open("/tmp/left-behind.txt", "w") as f:
    f.write("from the previous job")

def double(x):
    if SEEN != (False, 1, 1):
        raise RuntimeError(f"saw /tmp, /jobs and /output as {SEEN}")
    return x * 2
'''


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return load_bank(write_content(tmp_path_factory.mktemp("content"))).exercises["double"]


def test_the_warm_engine_times_each_step_of_a_job_in_order(warm_engine, spec):
    result = warm_engine.check(spec, spec.solution_path.read_text(), "submit")
    assert result.status == "passed", result
    steps = ["workspace", "forked", "collected", "tests", "reaped", "answered", "report"]
    assert list(result.phases) == steps
    times = [result.phases[name] for name in steps]
    assert times == sorted(times), result.phases
    assert times[-1] - times[0] < result.duration_s + 5  # one job's steps, not seconds apart


def test_a_jobs_files_are_gone_before_the_next_job_on_its_slot_starts(new_warm_engine, spec):
    engine = new_warm_engine(slots=1)  # both jobs on the same zygote
    for _ in range(2):
        # Each job sees only its own workspace and output file, and none of the last job's /tmp.
        result = engine.check(spec, SNOOPING, "run")
        assert result.status == "passed", [t.message for t in result.tests] or result.error_reason
