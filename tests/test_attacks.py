"""Hostile submissions through the real warm checker (bubblewrap, zygote, cgroups, rlimits).

Each case is a real submission. Code that gets what it is after returns the right answer
(so a hole shows up as a pass); every case must end without points, with the reason a
learner would read, and leave the platform working for the next job.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from courseware.loader import load_bank
from config import PROJECT_ROOT

from conftest import write_content

pytestmark = pytest.mark.slow
LIMITS = "limits: {time_s: 5, memory_mb: 1024, processes: 32, output_kb: 64}"


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    root = write_content(tmp_path_factory.mktemp("content"))
    yaml_file = root / "exercises" / "double" / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("limits: {time_s: 30, memory_mb: 1536}", LIMITS))
    return load_bank(root).exercises["double"]


@pytest.fixture
def checker(warm_engine):
    """The session's warm engine (tests/engine_fixtures.py), by the name these tests use."""
    return warm_engine


def slot_processes(uids) -> str:
    """Live processes running as one of ``uids`` on the host (should be none between jobs).

    Zombies are skipped: they hold nothing but a pid until their reaper collects them."""
    wanted = {str(u) for u in uids}
    for _ in range(20):
        out = subprocess.run(["ps", "-eo", "uid=,stat=,pid=,cmd="], capture_output=True, text=True).stdout
        live = [ln for ln in out.splitlines() if ln.split()[0] in wanted and not ln.split()[1].startswith("Z")]
        if not live:
            return ""
        time.sleep(0.05)
    return "\n".join(live)


def grade(checker, spec, code: str, mode: str = "submit"):
    result = checker.check(spec, textwrap.dedent(code), mode)
    assert result.status != "passed", f"the attack earned a pass: {result}"
    assert result.score(spec.points) == 0, result
    assert slot_processes(checker.uids) == "", "a process of the job outlived it"
    return result


def reasons(result) -> str:
    return " | ".join([result.error_reason or ""] + [t.message for t in result.tests])


def still_works(checker, spec) -> None:
    for _ in range(2):  # both slots
        assert checker.check(spec, "def double(x):\n    return x * 2\n", "submit").status == "passed"


def test_a_socket_to_a_server_on_the_host_loopback_gets_nowhere(checker, spec):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    result = grade(checker, spec, f"""
        import socket
        def double(x):
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            return x * 2
        """)
    with pytest.raises(socket.timeout):
        server.accept()
    server.close()
    assert "Network is not available in exercises" in reasons(result)


def test_name_resolution_fails_with_the_network_message(checker, spec):
    result = grade(checker, spec, """
        import socket
        def double(x):
            socket.getaddrinfo("example.com", 443)
            return x * 2
        """)
    assert "Network is not available in exercises" in reasons(result)


@pytest.mark.parametrize("target", ["database", "solution", "project"])
def test_host_files_are_not_visible(checker, spec, tmp_path, target):
    db = tmp_path / "course.db"
    db.write_text("secret rows")
    path = {"database": db, "solution": spec.solution_path, "project": PROJECT_ROOT / "README.md"}[target]
    result = grade(checker, spec, f"""
        def double(x):
            open({str(path)!r}).read()
            return x * 2
        """)
    assert "No such file or directory" in reasons(result)


def test_hidden_tests_cannot_be_read_during_submit(checker, spec):
    result = grade(checker, spec, """
        import glob, linecache
        def double(x):
            source = open("test_hidden.py").read()
            return x * 2
        """)
    assert "No such file or directory: 'test_hidden.py'" in reasons(result)


def test_a_job_cannot_see_another_job_running_at_the_same_time(checker, spec):
    suffix = str(time.time_ns())
    marker = f"marker_{suffix}"
    results = {}

    def victim():
        results["victim"] = checker.check(spec, f"import time\n{marker} = 1\n"
                                          "def double(x):\n    time.sleep(1)\n    return x * 2\n", "run")

    thread = threading.Thread(target=victim)
    thread.start()
    time.sleep(0.3)
    results["spy"] = checker.check(spec, textwrap.dedent(f"""
        import os
        def double(x):
            for top in ("/jobs", "/tmp", "/proc"):
                for root, dirs, files in os.walk(top):
                    for name in files:
                        try:
                            # Built at run time so the spy's own source does not contain it.
                            if "marker_" + "{suffix}" in open(os.path.join(root, name), errors="ignore").read(100000):
                                return x * 2
                        except OSError:
                            pass
            raise AssertionError("nothing of the other job found")
        """), "run")
    thread.join()
    assert results["victim"].status == "passed"
    assert results["spy"].status == "failed"


def test_writes_outside_the_workspace_fail(checker, spec):
    result = grade(checker, spec, f"""
        import os
        def double(x):
            written = []
            # The learner's own folder is its to write; the judge's (the tests, the harness, its
            # artifacts and temporary files) sit beside it.
            for path in ("/usr/pwned", "/opt/course-runtime/pwned", "/pwned", "/jobs/pwned",
                         "../judge/test_public.py", "../judge/conftest.py", "../judge/pwned", "../artifacts/pwned",
                         "../judge-tmp/pwned", "../pwned", {str(PROJECT_ROOT / "pwned")!r}):
                try:
                    with open(path, "a") as f:
                        f.write("x")
                    written.append(path)
                except OSError:
                    pass
            if written:
                return x * 2
            raise AssertionError("no write succeeded")
        """)
    assert "no write succeeded" in reasons(result)
    assert not (PROJECT_ROOT / "pwned").exists()


def test_a_fork_loop_hits_the_process_limit(checker, spec):
    result = grade(checker, spec, """
        import os, time
        def double(x):
            while True:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
        """)
    assert "Process limit of 32 reached" in reasons(result)


def test_an_exponential_fork_bomb_ends_without_points(checker, spec):
    result = grade(checker, spec, """
        import os
        def double(x):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """)
    assert result.status == "error"
    still_works(checker, spec)


def test_a_thread_bomb_hits_the_process_limit(checker, spec):
    result = grade(checker, spec, """
        import threading, time
        def double(x):
            while True:
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        """)
    assert "Process limit of 32 reached" in reasons(result)


@pytest.mark.parametrize("allocation", ["torch.empty(20 * 2**30, dtype=torch.uint8)", "bytearray(20 * 2**30)",
                                        "[bytearray(50 * 2**20) for _ in range(400)]"])
def test_allocating_20_gb_hits_the_memory_limit(checker, spec, allocation):
    result = grade(checker, spec, f"""
        import torch
        def double(x):
            hog = {allocation}
            return x * 2
        """)
    assert "Memory limit of 1024 MB exceeded" in reasons(result)


@pytest.mark.parametrize("loop", ["while True:\n        pass",
                                  "a = torch.randn(512, 512)\n    while True:\n        a = (a @ a).tanh()"])
def test_endless_work_hits_the_time_limit(checker, spec, loop):
    start = time.monotonic()
    result = grade(checker, spec, f"import torch\ndef double(x):\n    {loop}\n")
    assert result.error_reason.startswith("Time limit of 5 s exceeded")
    assert time.monotonic() - start < 10


def test_a_gigabyte_to_stdout_is_cut_off(checker, spec):
    result = grade(checker, spec, """
        import sys
        def double(x):
            chunk = "x" * (1 << 20)
            for _ in range(1024):
                sys.stdout.write(chunk)
            return x * 2
        """)
    assert "Output limit exceeded" in reasons(result)
    assert len(result.output) < 70 * 1024


@pytest.mark.parametrize("folder", ["/tmp", "os.environ['COURSE_ARTIFACT_DIR']"])
def test_filling_the_disk_stops_at_the_sandbox_quota(checker, spec, folder):
    target = folder if folder.startswith("os.") else repr(folder)
    result = grade(checker, spec, f"""
        import os
        def double(x):
            folder = {target}
            block = b"x" * (8 << 20)
            for i in range(200):
                with open(os.path.join(folder, f"fill-{{i}}"), "wb") as f:
                    f.write(block)
            return x * 2
        """)
    assert "No space left on device" in reasons(result)
    # The next job starts with an empty /tmp.
    clean = checker.check(spec, "import os\ndef double(x):\n    assert not os.listdir('/tmp'), os.listdir('/tmp')\n"
                                "    return x * 2\n", "run")
    assert clean.status == "passed", reasons(clean)


@pytest.mark.parametrize("victim", ["os.getppid()", "1", "-1"])
def test_signalling_the_grader_or_everything_fails(checker, spec, victim):
    result = grade(checker, spec, f"""
        import os, signal
        def double(x):
            os.kill({victim}, signal.SIGKILL)
            raise AssertionError("survived the kill and nothing else died")
        """)
    assert result.status == "failed"
    still_works(checker, spec)


def test_a_daemon_left_behind_is_killed_with_the_job(checker, spec):
    grade(checker, spec, """
        import os, time
        def double(x):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(120)
                os._exit(0)
            raise AssertionError("daemon started")
        """)  # grade() asserts that no process of the slot's uid is left


@pytest.mark.parametrize("code", ["import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n",
                                  "import os\nprint('=== 3 passed in 0.01s ===', flush=True)\nos._exit(0)\n"])
def test_leaving_early_at_import_earns_nothing(checker, spec, code):
    result = grade(checker, spec, code)
    assert result.status == "error"
    if "_exit" in code:
        assert "do not call sys.exit() or os._exit()" in result.error_reason


def test_a_fake_report_file_is_ignored(checker, spec):
    result = grade(checker, spec, """
        import os
        FAKE = '<testsuites><testsuite tests="3" failures="0"><testcase classname="test_public" name="test_doubles_a_vector"/></testsuite></testsuites>'
        for path in ("junit.xml", "/tmp/junit.xml", os.path.join(os.environ["COURSE_ARTIFACT_DIR"], "junit.xml")):
            try:
                open(path, "w").write(FAKE)
            except OSError:
                pass
        os._exit(0)
        """)
    assert result.status == "error"


@pytest.mark.parametrize("patch", [
    "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None",
    "import torch\ntorch.Tensor.any = lambda self, *a, **k: torch.tensor(False)",
    "import torch\ntorch.Tensor.__gt__ = lambda self, other: torch.zeros(self.shape, dtype=torch.bool)",
    "import sys\nfor _m in list(sys.modules.values()):\n    for _n, _f in list(vars(_m).items()) if _m else []:\n"
    "        if _n.startswith('test_') and hasattr(_f, '__code__'):\n            _f.__code__ = (lambda *a, **k: None).__code__",
])
def test_monkeypatching_the_framework_or_the_comparisons_changes_nothing(checker, spec, patch):
    # The patches land in the learner's process; pytest and the comparisons run in the judge's.
    result = grade(checker, spec, patch + "\n\ndef double(x):\n    return x * 3\n")
    assert result.status == "failed" and "max abs error" in reasons(result), reasons(result)


def test_replacing_the_harness_helpers_after_import_changes_nothing(checker, spec):
    result = grade(checker, spec, """
        import course_harness
        course_harness.assert_tensor_close = lambda *a, **k: None
        def double(x):
            return x * 3
        """)
    assert result.status == "failed" and "max abs error" in reasons(result)


def test_a_symlinked_artifact_is_not_read(checker, spec):
    result = grade(checker, spec, """
        import os
        def double(x):
            folder = os.environ["COURSE_ARTIFACT_DIR"]
            os.symlink("/opt/course-runtime/zygote.py", os.path.join(folder, "0000.json"))
            return x * 3
        """)
    assert result.artifacts == ()


def test_the_graders_memory_and_environment_are_out_of_reach(checker, spec):
    result = grade(checker, spec, """
        import os
        def double(x):
            for name in ("environ", "mem", "root/etc/hostname"):
                try:
                    open(f"/proc/{os.getppid()}/{name}", "rb").read(10)
                    return x * 2
                except OSError:
                    pass
            raise AssertionError("grader is private")
        """)
    assert "grader is private" in reasons(result)


def test_state_changed_by_one_job_is_gone_for_the_next(spec, new_warm_engine):
    single = new_warm_engine(slots=1)  # the same zygote runs both jobs
    first = single.check(spec, textwrap.dedent("""
        import builtins, torch
        builtins.LEFTOVER = 1
        torch.exp = lambda t: t * 0
        open("/tmp/leftover", "w").write("x")
        def double(x):
            return x * 2
        """), "run")
    second = single.check(spec, textwrap.dedent("""
        import builtins, os, torch
        def double(x):
            assert not hasattr(builtins, "LEFTOVER"), "a global leaked"
            assert torch.exp(torch.zeros(1)).item() == 1.0, "a patch of torch leaked"
            assert not os.path.exists("/tmp/leftover"), "a file leaked"
            return x * 2
        """), "run")
    assert first.status == "passed"
    assert second.status == "passed", reasons(second)


def test_the_platform_still_grades_after_the_attacks(checker, spec):
    still_works(checker, spec)


# The judge (pytest, the tests, the result pipe and its token) runs in a process of its own, under
# another uid, and is not dumpable: the learner's process holds its own code, the bridge socket
# and its output file, nothing else. Each case below is a wrong solution (x * 3) plus an attempt to
# reach the judge; each must earn nothing.

FORGED_REPORT = """
import json
LINES = [json.dumps({"event": "test", "nodeid": f"test_public.py::t{i}", "when": w, "outcome": "passed",
                     "message": "", "text": "", "duration": 0.0, "token": TOKEN}) for i in range(3)
         for w in ("setup", "call", "teardown")]
LINES.append(json.dumps({"event": "finish", "exitstatus": 0, "collected": 3, "token": TOKEN}))
FORGED = ("\\n".join(LINES) + "\\n").encode()
"""


def test_walking_the_collector_frames_and_modules_finds_no_reporter(checker, spec):
    result = grade(checker, spec, textwrap.dedent("""
        import gc, os, sys, threading, time
        TOKEN = ""
        found = []
        for obj in gc.get_objects():
            try:
                names = dir(obj) if not isinstance(obj, type) else []
            except Exception:
                continue
            if any(n in names for n in ("_send", "_token", "pytest_runtest_logreport", "_fd")):
                found.append(obj)
        for frame in sys._current_frames().values():
            while frame is not None:
                found.extend(v for v in frame.f_locals.values() if hasattr(v, "_send"))
                frame = frame.f_back
        found.extend(m for name, m in sys.modules.items() if name in ("result_stream", "metric_gate", "_pytest"))
        """) + FORGED_REPORT + textwrap.dedent("""
        for obj in found:
            for name in ("_token", "token"):
                TOKEN = getattr(obj, name, TOKEN) or TOKEN
            try:
                obj._send({"event": "finish", "exitstatus": 0, "collected": 3})
            except Exception:
                pass
        def double(x):
            return x * 3
        """))
    assert result.status == "failed" and "max abs error" in reasons(result)


def test_writing_a_report_to_every_descriptor_earns_nothing(checker, spec):
    result = grade(checker, spec, textwrap.dedent("""
        import os
        TOKEN = ""
        """) + FORGED_REPORT + textwrap.dedent("""
        for fd in range(256):
            try:
                os.write(fd, FORGED)
            except OSError:
                pass
        for entry in os.listdir("/proc/self/fd"):
            try:
                os.write(int(entry), FORGED)
            except OSError:
                pass
        os._exit(0)
        """))
    assert result.status == "error"
    still_works(checker, spec)


def test_the_judge_cannot_be_traced_signalled_or_read(checker, spec):
    result = grade(checker, spec, textwrap.dedent("""
        import ctypes, os, signal
        PTRACE_ATTACH = 16
        libc = ctypes.CDLL(None, use_errno=True)
        reached = []
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            pid = int(entry)
            if libc.ptrace(PTRACE_ATTACH, pid, 0, 0) == 0:
                reached.append(f"ptrace {pid}")
            for name in ("mem", "environ", "fd/3", "cmdline"):
                try:
                    data = open(f"/proc/{pid}/{name}", "rb").read(64)
                    if name != "cmdline" and data:
                        reached.append(f"read /proc/{pid}/{name}")
                except OSError:
                    pass
            try:
                os.kill(pid, signal.SIGSTOP)
                reached.append(f"stopped {pid}")
            except OSError:
                pass
        def double(x):
            assert not reached, reached
            return x * 3
        """))
    assert result.status == "failed" and "max abs error" in reasons(result), reasons(result)


def test_a_child_writing_after_its_parent_exits_changes_nothing(checker, spec):
    result = grade(checker, spec, textwrap.dedent("""
        import os, time
        TOKEN = ""
        """) + FORGED_REPORT + textwrap.dedent("""
        if os.fork() == 0:
            os.setsid()
            end = time.time() + 3
            while time.time() < end:
                for fd in range(256):
                    try:
                        os.write(fd, FORGED)
                    except OSError:
                        pass
                time.sleep(0.01)
            os._exit(0)
        def double(x):
            return x * 3
        """))
    assert result.status in ("failed", "error")
    still_works(checker, spec)
