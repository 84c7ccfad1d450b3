"""The warm grader that lives inside the sandbox and forks two children per job.

    bwrap … python zygote.py --uid 61000 --judge-uid 61001 [--cgroup-memory DIR] [--cgroup-pids DIR]

Started once per worker slot by ``sandbox.warm``. It imports torch and pytest, runs pytest
once so its internals are loaded, freezes the heap, then reads jobs as JSON lines on stdin
and answers each with one JSON line on stdout. Each job forks

- the **learner's process**: the slot's learner uid, a folder holding only ``submission.py``;
  it imports the learner's code when the judge first asks and answers the judge's requests
  (``bridge.serve``);
- the **judge**: its own uid, not dumpable (no ptrace, no reading its memory through
  ``/proc``), a folder with the tests the learner's uid cannot read; it runs pytest, reaches
  the learner's code only through the socket (``bridge``) and alone holds the result pipe.

Both join the slot's cgroups and take rlimits. Afterwards every process of both uids is
killed and the workspace and /tmp are wiped, so nothing leaks into the next job.

This process is trusted: learner code only ever runs in the learner's child.
"""
from __future__ import annotations

import argparse
import ctypes
import errno
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time

from contract import (CODE_FILE, JUDGE_HARNESS, ENV_ARTIFACT_DIR, ENV_BRIDGE_FD, ENV_CORPUS, ENV_INPUT_DIR, ENV_SHARED_DIR,
                      ENV_MODELS_DIR, MODELS_INSIDE, OFFLINE_ENV,
                      ENV_SUBMISSION_SOURCE, EXIT_OUTPUT_LIMIT, EXIT_SETUP_FAILED, MAX_ARTIFACT_BYTES,
                      MAX_ARTIFACTS, MAX_FILE_BYTES, MAX_OPEN_FILES, Answer, Failure, Job, Live, Ready)

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
RUNTIME = os.path.dirname(os.path.abspath(__file__))
JOBS = "/jobs"
OUTPUT = "/output"
MAX_LIVE = 4
LIVE_INTERVAL_S = 1.0
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
SHARED_DIR = "shared"
"""Per job, the one folder both children may write: tests' ``tmp_path`` lives there, so a test
can hand the learner's code a path to save a checkpoint to and read it back."""
MAX_RESULT_STREAM_BYTES = 8 * 1024 * 1024
"""More than this on the judge's result pipe is a flood, not a report: the job ends."""
CPU_GRACE_S = 2
"""CPU seconds a job's processes get beyond its wall-clock limit (the wall clock ends it first)."""


def warm_up() -> None:
    """Import the heavy modules and run pytest once, single-threaded (a forked child of a
    process that ran multi-threaded OpenMP work hangs), then freeze the heap for cheap forks."""
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import pytest  # noqa: F401
    import torch.nn.functional  # noqa: F401

    sys.path.insert(0, RUNTIME)
    import bridge  # noqa: F401
    import course_harness  # noqa: F401
    import metric_gate  # noqa: F401  (loaded by each job's pytest with -p metric_gate)
    import result_stream  # noqa: F401

    # Modules exercises commonly use, imported once here instead of in every job.
    for name in ("torch.nn", "torch.optim", "torch.optim.lr_scheduler", "torch.distributions", "torch.utils.data",
                 "numpy", "tokenizers"):  # not sklearn: importing it starts a thread
        try:
            __import__(name)
        except ImportError:
            pass
    # The first autograd call imports hundreds of modules lazily; pay for that here.
    x = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
    torch.autograd.grad((torch.softmax(x @ x, dim=-1) ** 2).sum(), x)
    y = torch.softmax(x @ x, dim=-1)
    torch.autograd.grad(y, x, torch.ones_like(y))  # explicit grad_outputs import sympy via torch.fx
    torch.nn.functional.scaled_dot_product_attention(x[None], x[None], x[None]).sum().backward()
    # The first optimizer step imports torch._dynamo (1–2 s).
    p = torch.nn.Parameter(torch.randn(3))
    for optimizer in (torch.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.Adam([p]), torch.optim.AdamW([p])):
        p.grad = torch.ones(3)
        optimizer.step()

    warm = "/tmp/warm"
    os.makedirs(warm, exist_ok=True)
    with open(f"{warm}/test_zygote_warmup.py", "w") as f:
        f.write("import torch\n\ndef test_warm():\n    assert torch.ones(2).sum().item() == 2\n")
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(devnull, 1), os.dup2(devnull, 2)
    try:
        pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", warm, warm])
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(saved[0], 1), os.dup2(saved[1], 2)
        os.close(devnull)
    sys.modules.pop("test_zygote_warmup", None)
    shutil.rmtree(warm, ignore_errors=True)
    gc.collect()
    gc.freeze()
    threads = _thread_count()
    if threads != 1:  # a forked child of a multi-threaded parent can hang in OpenMP
        raise RuntimeError(f"zygote must stay single-threaded before forking, has {threads} threads")


def _thread_count() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def vm_size_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def write_workspace(job: Job) -> dict:
    """Create the job's folders: the judge's (tests), the learner's (their code), a shared one,
    artifacts (the judge's) and the output file."""
    root = f"{JOBS}/{job['id']}"
    # The output file lives on its own tmpfs, where neither child can write but through the
    # descriptor it is given, so a full workspace cannot stop pytest from reporting.
    paths = {"root": root, "code": f"{root}/judge", "learner": f"{root}/learner", "shared": f"{root}/{SHARED_DIR}",
             "artifacts": f"{root}/artifacts", "output": f"{OUTPUT}/{job['id']}.txt"}
    os.makedirs(root, mode=0o755)
    os.chmod(root, 0o755)
    # The judge's folder is its uid's only (it deletes the hidden tests once collected); the
    # files stay root's and read-only. The learner's uid cannot even list it.
    os.makedirs(paths["code"], mode=0o700)
    os.chown(paths["code"], job["judge_uid"], job["judge_uid"])
    os.makedirs(paths["learner"], mode=0o700)
    os.chown(paths["learner"], job["uid"], job["uid"])
    os.makedirs(f"{paths['learner']}/artifacts", mode=0o700)  # the learner's own scratch (COURSE_ARTIFACT_DIR)
    os.chown(f"{paths['learner']}/artifacts", job["uid"], job["uid"])
    # Shared with the learner's process (``tmp_path`` in tests): setgid to the learner's group, so
    # what either child makes there is writable by the other (both use umask 002).
    os.makedirs(paths["shared"], mode=0o2770)
    os.chown(paths["shared"], 0, job["uid"])
    os.chmod(paths["shared"], 0o2770)
    paths["judge_tmp"] = f"{root}/judge-tmp"
    os.makedirs(paths["judge_tmp"], mode=0o700)
    os.chown(paths["judge_tmp"], job["judge_uid"], job["judge_uid"])
    for name, text in job["files"].items():
        folder = paths["learner"] if name == CODE_FILE else paths["code"]
        with open(f"{folder}/{name}", "w", encoding="utf-8") as f:
            f.write(text)
    # The judge reads the learner's source (tests look for forbidden calls in it) but never runs it:
    # the copy is outside its import path, and the judge refuses to import ``submission``.
    paths["source"] = f"{paths['code']}/source/submission.py"
    os.makedirs(os.path.dirname(paths["source"]), mode=0o755)
    with open(paths["source"], "w", encoding="utf-8") as f:
        f.write(job["files"].get(CODE_FILE, ""))
    for name in JUDGE_HARNESS:
        shutil.copyfile(f"{RUNTIME}/{name}", f"{paths['code']}/{name}")
    os.makedirs(paths["artifacts"], mode=0o700)
    os.chown(paths["artifacts"], job["judge_uid"], job["judge_uid"])
    if job.get("inputs") is not None:
        # The learner's own files (a playground run): root's, read-only to both children, plain names only.
        paths["inputs"] = f"{root}/inputs"
        os.makedirs(paths["inputs"], mode=0o755)
        for name, text in job["inputs"].items():
            if "/" in name or name.startswith("."):
                raise ValueError(f"refusing input file name {name!r}")
            with open(f"{paths['inputs']}/{name}", "w", encoding="utf-8") as f:
                f.write(text)
    open(paths["output"], "wb").close()
    return paths


GPU = False
"""Set by --gpu: this slot's jobs may use the GPU."""

UNUSED_PLUGINS = [arg for name in ("cacheprovider", "debugging", "doctest", "faulthandler", "junitxml", "legacypath",
                                   "logging", "pastebin", "setuponly", "setupplan", "stepwise", "subtests", "unittest")
                  for arg in ("-p", f"no:{name}")]
"""pytest's plugins no judged test needs: each costs the judge's pytest set-up and per-test hooks (about
10 ms a job together; bench/verdict_latency.py). The tests are plain functions (no unittest or doctest
cases); results travel on the result stream, not JUnit; the judge has no terminal to debug on; and the
learner's code (and its logging) runs in the learner's process, whose output is not pytest's to capture."""


def confine(job: Job, paths: dict, uid: int, keep: tuple[int, ...], cgroups: dict,
            groups: tuple[int, ...] = ()) -> None:
    """In a forked child: join the slot's cgroups, take the job's rlimits, keep only the
    descriptors in ``keep`` (plus output on 1 and 2) and become ``uid`` (with ``groups``)."""
    os.setsid()
    for controller, directory in cgroups.items():
        with open(f"{directory}/tasks", "w") as f:
            f.write(str(os.getpid()))
    limits = job["limits"]
    memory = int(limits["memory_mb"]) * 1024 * 1024
    if not (GPU and "memory" in cgroups):
        # CUDA maps far more address space than it uses; GPU jobs rely on the cgroup instead.
        address_space = vm_size_bytes() + memory
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    cpu = int(limits["time_s"]) + CPU_GRACE_S
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["processes"]), int(limits["processes"])))
    out = os.open(paths["output"], os.O_WRONLY | os.O_APPEND)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0), os.dup2(out, 1), os.dup2(out, 2)
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    os.setgroups(list(groups))
    os.setgid(uid)
    os.setuid(uid)  # from here on: no capabilities, no root
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # Files made in the shared folder (its setgid group is the learner's) stay writable by both.
    os.umask(0o002)
    os.environ.update({"HOME": "/tmp", "PYTHONHASHSEED": "0", **OFFLINE_ENV})
    if job.get("corpus"):
        os.environ[ENV_CORPUS] = "/data/tinyshakespeare.txt"
    if job.get("models"):
        os.environ[ENV_MODELS_DIR] = MODELS_INSIDE
    if "inputs" in paths:
        os.environ[ENV_INPUT_DIR] = paths["inputs"]
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)


def learner_child(job: Job, paths: dict, sock: int, cgroups: dict) -> None:
    """The learner's process: runs their code for the judge, nothing else. Never returns."""
    try:
        confine(job, paths, job["uid"], (sock,), cgroups)
        os.chdir(paths["learner"])
        os.environ[ENV_ARTIFACT_DIR] = f"{paths['learner']}/artifacts"  # theirs; the judge's are not
        sys.path[:] = [paths["learner"]] + [p for p in sys.path if p != RUNTIME]
        import bridge

        bridge.serve(sock)
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(0)
    except BaseException as exc:
        _die(exc)


def judge_child(job: Job, paths: dict, result_w: int, sock: int, cgroups: dict) -> None:
    """The judge: pytest with the tests; the learner's code only through ``sock``. Never returns."""
    try:
        # The judge is in the learner's group only for the shared folder's files (see write_workspace).
        confine(job, paths, job["judge_uid"], (result_w, sock), cgroups, groups=(job["uid"],))
        # A temporary folder of its own: nothing the learner plants in /tmp (a compiler cache…) is read here.
        os.environ.update({"TMPDIR": paths["judge_tmp"], "HOME": paths["judge_tmp"]})
        tempfile.tempdir = None
        # Not dumpable: no other process of any unprivileged uid may ptrace it or read its memory.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        os.chdir(paths["code"])
        os.environ.update({ENV_ARTIFACT_DIR: paths["artifacts"], ENV_SHARED_DIR: paths["shared"],
                           ENV_BRIDGE_FD: str(sock), ENV_SUBMISSION_SOURCE: paths["source"]})
        sys.path[:] = [paths["code"]] + [p for p in sys.path if p != RUNTIME]
        import bridge
        import pytest
        from result_stream import ResultStream

        bridge.guard_judge_imports()
        hidden = [f"{paths['code']}/{name}" for name in job["hidden"]]
        # Only the plugin keeps the token that marks its lines as genuine.
        stream = ResultStream(result_w, hide=hidden, token=job.pop("token"))
        # The harness's plugins are imported before pytest could rewrite them: that warning is about
        # the grader, not the learner's code (sandbox/cold.py passes the same filter).
        code = pytest.main(["-q", *UNUSED_PLUGINS, "-p", "metric_gate", "-o", "addopts=", "--tb=short",
                            "-W", "ignore::pytest.PytestAssertRewriteWarning",
                            "--rootdir", paths["code"], *job["tests"]],
                           plugins=[stream])
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(int(code))
    except BaseException as exc:
        _die(exc)


def _die(exc: BaseException) -> None:
    """End a child whose set-up failed, saying why on its output."""
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        # CPython ignores SIGXFSZ, so hitting the file-size limit surfaces here as EFBIG.
        os._exit(EXIT_OUTPUT_LIMIT)
    try:
        import traceback

        os.write(2, f"grader child failed: {exc!r}\n{traceback.format_exc()[-1500:]}".encode())
    finally:
        os._exit(EXIT_SETUP_FAILED)


def _drain(fd: int, into: list[bytes]) -> bool:
    """Read what is available without blocking; False once the pipe is closed."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        into.append(chunk)


def processes_of(uid: int) -> list[int]:
    """Live (non-zombie) processes in this sandbox whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = f.read()
        except OSError:
            continue  # it exited while we looked
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)] and not fields.get("State", "").strip().startswith("Z"):
            found.append(int(entry))
    return found


def kill_uid(uid: int) -> int:
    """Kill every process of the slot user (daemons that left the job's group included) until
    none is left; returns how many rounds that took (1: nothing was running)."""
    for rounds in range(1, 1001):
        pids = processes_of(uid)
        if not pids:
            return rounds
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.002)
    return rounds


def read_cgroup(directory: str | None, name: str) -> int:
    if not directory:
        return 0
    try:
        with open(f"{directory}/{name}") as f:
            text = f.read()
    except OSError:
        return 0
    if name == "memory.oom_control":
        for line in text.splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0
    return int(text.strip() or 0)


def run_job(job: Job, cgroups: dict) -> Answer:
    """Grade one job and describe what happened; the host turns this into a CheckResult."""
    start = time.monotonic()
    phases = {}
    paths = write_workspace(job)
    memory_dir = cgroups.get("memory")
    if memory_dir:
        with open(f"{memory_dir}/memory.limit_in_bytes", "w") as f:
            f.write(str(int(job["limits"]["memory_mb"]) * 1024 * 1024))
    oom_before = read_cgroup(memory_dir, "memory.oom_control")
    phases["workspace"] = time.monotonic() - start
    judge_end, learner_end = socket.socketpair()
    learner_pid = os.fork()
    if learner_pid == 0:
        judge_end.close()
        learner_child(job, paths, learner_end.fileno(), cgroups)
    learner_end.close()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        judge_child(job, paths, result_w, judge_end.fileno(), cgroups)
    judge_end.close()
    os.close(result_w)
    phases["forked"] = time.monotonic() - start
    records, buffer, timed_out = [], b"", False
    deadline = start + float(job["limits"]["time_s"])
    # Watch both the result pipe and the child itself: processes the child forked may hold the
    # pipe open long after pytest has finished.
    pidfd = os.pidfd_open(pid)
    selector = selectors.DefaultSelector()
    selector.register(result_r, selectors.EVENT_READ, "pipe")
    selector.register(pidfd, selectors.EVENT_READ, "child")
    os.set_blocking(result_r, False)
    pipe_open, child_running = True, True
    live = LivePoller(job["id"], f"{paths['artifacts']}/live")
    while pipe_open and child_running:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        live.poll()
        for key, _ in selector.select(timeout=min(remaining, LIVE_INTERVAL_S)):
            if key.data == "child":
                child_running = False
            else:
                pipe_open = _drain(result_r, buffer_parts := [])
                buffer += b"".join(buffer_parts)
        if len(buffer) > MAX_RESULT_STREAM_BYTES:
            break  # a flood on the result pipe is not a report
    if pipe_open:
        _drain(result_r, rest := [])
        buffer += b"".join(rest)
    selector.close()
    os.close(pidfd)
    os.close(result_r)
    phases["tests"] = time.monotonic() - start
    # The pipe can close while the child lives on; kill its group, reap it, then anything of
    # the slot's uid that escaped the group (a daemon). A zombie would still count as alive.
    for group in (pid, learner_pid):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, usage = os.wait4(pid, 0)
    _, learner_status, learner_usage = os.wait4(learner_pid, 0)
    kill_rounds = max(kill_uid(job["uid"]), kill_uid(job["judge_uid"]))
    phases["reaped"] = time.monotonic() - start
    for line in buffer.split(b"\n"):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append({"event": "garbage"})
    collected = next((r.get("at") for r in records if isinstance(r, dict) and r.get("event") == "collected"), None)
    if type(collected) is float and start <= collected <= start + phases["tests"]:
        phases["collected"] = collected - start  # the judge's word, only for the latency log
    output, size = b"", os.path.getsize(paths["output"])
    with open(paths["output"], "rb") as f:
        output = f.read(int(job["limits"]["output_kb"]) * 1024)
    answer: Answer = {
        "id": job["id"], "records": records, "timed_out": timed_out,
        "returncode": os.waitstatus_to_exitcode(status),
        "learner_returncode": os.waitstatus_to_exitcode(learner_status),
        "output": output.decode("utf-8", errors="replace"), "output_truncated": size > len(output),
        "oom": read_cgroup(memory_dir, "memory.oom_control") > oom_before,
        "artifacts": read_artifacts(paths["artifacts"]),
        "duration_s": time.monotonic() - start, "phases": phases,
        "cpu_s": usage.ru_utime + usage.ru_stime + learner_usage.ru_utime + learner_usage.ru_stime,
    }
    phases["kill_rounds"] = kill_rounds
    phases["answered"] = time.monotonic() - start
    return answer


def clean_up(job: Job) -> None:
    """Remove what a job left (its workspace, output file and anything in ``/tmp``).

    Runs after the answer is sent, so the learner does not wait for it; the next job is read
    from stdin only after it, so no job ever sees another's files. Every process of the slot's
    uids is already dead (``run_job``), so nothing writes here any more."""
    root = f"{JOBS}/{job['id']}"
    shutil.rmtree(root, ignore_errors=True)
    try:
        os.unlink(f"{OUTPUT}/{job['id']}.txt")
    except FileNotFoundError:
        pass
    for entry in os.listdir("/tmp"):
        shutil.rmtree(f"/tmp/{entry}", ignore_errors=True) if os.path.isdir(f"/tmp/{entry}") \
            else os.unlink(f"/tmp/{entry}")


class LivePoller:
    """Forwards the charts a running job keeps replacing (``artifacts().live_line``) to the host,
    as ``{"id": ..., "live": [json text, ...]}`` lines on stdout, at most once per interval."""

    def __init__(self, job_id: str, folder: str) -> None:
        self.job_id = job_id
        self.folder = folder
        self.last: list[str] = []
        self.next_check = time.monotonic() + LIVE_INTERVAL_S

    def poll(self) -> None:
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + LIVE_INTERVAL_S
        found = []
        try:
            names = sorted(n for n in os.listdir(self.folder) if n.endswith(".json"))[:MAX_LIVE]
        except OSError:
            return
        for name in names:
            try:
                # Not following links, not waiting on a FIFO: the folder is the learner's to write.
                fd = os.open(f"{self.folder}/{name}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    continue
                data = f.read(MAX_ARTIFACT_BYTES + 1)
            if len(data) <= MAX_ARTIFACT_BYTES:
                found.append(data.decode("utf-8", errors="replace"))
        if found and found != self.last:
            self.last = found
            live: Live = {"id": self.job_id, "live": found}
            sys.stdout.write(json.dumps(live) + "\n")
            sys.stdout.flush()


def read_artifacts(folder: str) -> list[dict]:
    """The artifacts the tests wrote, as raw JSON text; symlinks and oversize files are ignored."""
    found = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        path = f"{folder}/{name}"
        if len(found) >= MAX_ARTIFACTS or not name.endswith(".json") or os.path.islink(path):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as f:
                data = f.read(MAX_ARTIFACT_BYTES + 1)
        except OSError:
            continue
        if len(data) <= MAX_ARTIFACT_BYTES:
            found.append(data.decode("utf-8", errors="replace"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uid", type=int, required=True, help="the learner's process runs as this uid")
    parser.add_argument("--judge-uid", type=int, required=True, help="the judge (pytest) runs as this uid")
    parser.add_argument("--cgroup-memory")
    parser.add_argument("--cgroup-pids")
    parser.add_argument("--gpu", action="store_true", help="jobs may use the GPU (device nodes are mounted)")
    args = parser.parse_args()
    global GPU
    GPU = args.gpu
    cgroups = {k: v for k, v in (("memory", args.cgroup_memory), ("pids", args.cgroup_pids)) if v}
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.chmod("/tmp", 0o1777)  # the jobs' uid writes pytest's capture files here
    warm_up()
    out = sys.stdout
    ready: Ready = {"ready": True, "pid": os.getpid()}
    out.write(json.dumps(ready) + "\n")
    out.flush()
    for line in sys.stdin:
        job: Job = json.loads(line)
        try:
            answer = run_job(job, cgroups)
        except Exception as exc:  # report, and stay alive for the next job
            failure: Failure = {"id": job.get("id"), "internal_error": repr(exc)}
            answer = failure
        out.write(json.dumps(answer) + "\n")
        out.flush()
        clean_up(job)


if __name__ == "__main__":
    main()
