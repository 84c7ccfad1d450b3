"""Warm grading: one long-lived sandboxed zygote per worker slot, forking a child per job.

    checker = WarmChecker(python=sys.executable, slots=2, corpus=corpus_file(settings.data_dir))
    result = checker.check(spec, code, "submit")      # same API as sandbox.cold.Checker
    checker.close()

Importing torch costs over a second; the zygote pays it once, so a verdict costs a fork and
the tests themselves. What confines each job (see ``harness/zygote.py`` for the inside):

- bubblewrap: new network, PID, IPC, UTS and mount namespaces; a read-only system; no view
  of the project folder, the database, the reference solutions or other slots;
- each job is two children: the learner's code runs in one, as the slot's learner uid; the
  tests (the judge) run in the other, as the slot's judge uid, not dumpable, reaching the
  learner's code only through a socket (``harness/bridge.py``). Neither can signal the zygote
  or other slots, and the learner's process cannot signal, trace or read the judge;
- cgroup v1 ``memory`` and ``pids`` limits per slot, when the host allows it (root);
- rlimits on address space, file size, CPU time and open files;
- size-capped tmpfs for the workspace and ``/tmp``, wiped after every job, and every
  process of the slot's two uids killed after every job.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import secrets
import selectors
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from sandbox.metrics import metrics_from_stream
from sandbox.inputs import checked_for_workspace
from sandbox.report import ReportError, outcomes_from_stream
from sandbox.result import Artifact, CheckResult
from harness.contract import CODE_FILE, EXIT_LEARNER_GONE, MODELS_INSIDE, Answer, Failure, Job
from sandbox.outcome import decode_artifacts, error_for_crash, learner_gone_reason
from sandbox.gpu import GpuAccess
from sandbox.isolation import SandboxUnavailable, python_install, system_mounts
from sandbox.workspace import HARNESS_DIR, expected_tests, selected_tests
from courseware.spec import ExerciseSpec

log = logging.getLogger(__name__)
RUNTIME = HARNESS_DIR
SLOT_UID_BASE = 61000
UIDS_PER_INSTANCE = 64
UIDS_PER_SLOT = 2  # the learner's process and the judge each have their own
SLOTS_PER_INSTANCE = UIDS_PER_INSTANCE // UIDS_PER_SLOT
MAX_INSTANCES = 60  # uids 61000..64839, below nobody (65534)
LOCK_DIR = Path("/run/course-checker")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_GROUP = "course-checker"
START_TIMEOUT_S = 120
ANSWER_GRACE_S = 30
"""How long past a job's time limit the host waits for the zygote's answer before it restarts the slot
(the zygote itself kills the job at the limit; this only catches a zygote that went silent)."""
JOBS_TMPFS_BYTES = 256 * 1024 * 1024
TMP_TMPFS_BYTES = 128 * 1024 * 1024
OUTPUT_TMPFS_BYTES = 32 * 1024 * 1024  # above the 16 MB file-size limit
ZYGOTE_STEPS = ("workspace", "forked", "collected", "tests", "reaped")
"""The zygote's answer times these steps of a job (seconds from when it read the job)."""


@dataclass
class Protections:
    """Which isolation mechanisms are active on this machine (shown to admins at start-up)."""

    namespaces: bool = True
    uid_drop: bool = False
    cgroup_memory: bool = False
    cgroup_pids: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line per mechanism: on or off, and why."""
        lines = [f"{'on ' if on else 'OFF'} {name}" for name, on in (
            ("bubblewrap namespaces (no network, private filesystem view)", self.namespaces),
            ("unprivileged uid per slot (process limit, no signals to the grader)", self.uid_drop),
            ("cgroup memory limit", self.cgroup_memory), ("cgroup process limit", self.cgroup_pids))]
        return "\n".join(lines + self.notes)


def _cgroup_dir(controller: str, uid: int) -> Path | None:
    """Create the slot's cgroup under ``controller``; None when cgroups are not writable here."""
    base = CGROUP_ROOT / controller
    if not (base / "tasks").exists():
        return None
    path = base / CGROUP_GROUP / f"uid-{uid}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / "tasks").open("a").close()
    except OSError:
        return None
    return path


class Slot:
    """One zygote process and the pipe to it."""

    def __init__(self, index: int, uid: int, python: str, corpus: Path | None, protections: Protections,
                 gpu: GpuAccess | None = None, models: Path | None = None) -> None:
        self.index = index
        self.gpu = gpu
        self.uid = uid
        self.judge_uid = uid + 1
        self.python = python
        self.corpus = corpus
        self.models = models
        self.protections = protections
        self.proc: subprocess.Popen | None = None
        self.init_pid: int | None = None
        self._buffer = b""
        self.cgroups = {c: _cgroup_dir(c, uid) for c in ("memory", "pids")}

    def command(self) -> list[str]:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap is not installed: run `sudo apt-get install bubblewrap`.")
        # No user namespace: inside one, uid 0 is the only mapped uid and the child could not
        # drop to the slot's own uid. The zygote is trusted; the child is a real unprivileged user.
        cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               # Not --die-with-parent: that ties the sandbox to the *thread* that started it. The
               # zygote exits instead when this process's end of its stdin pipe closes.
               "--unshare-cgroup-try", "--new-session", "--hostname", "sandbox",
               "--proc", "/proc", "--dev", "/dev",
               "--size", str(TMP_TMPFS_BYTES), "--tmpfs", "/tmp",
               "--size", str(JOBS_TMPFS_BYTES), "--tmpfs", "/jobs",
               "--size", str(OUTPUT_TMPFS_BYTES), "--tmpfs", "/output", *system_mounts(self.python),
               "--perms", "0755", "--dir", "/opt", "--ro-bind", str(RUNTIME), "/opt/course-runtime"]
        if self.corpus is not None:
            cmd += ["--perms", "0755", "--dir", "/data", "--ro-bind", str(self.corpus), "/data/tinyshakespeare.txt"]
        if self.models is not None:
            # The folder, not each model: a build finished after the zygote started is seen too.
            cmd += ["--perms", "0755", "--dir", MODELS_INSIDE, "--ro-bind", str(self.models), MODELS_INSIDE]
        args = ["--uid", str(self.uid), "--judge-uid", str(self.judge_uid)]
        if self.gpu is not None:
            cmd += self.gpu.bwrap_args()
            args += ["--gpu"]
        for controller, path in self.cgroups.items():
            if path is not None:
                cmd += ["--perms", "0755", "--dir", "/cgroup", "--bind", str(path), f"/cgroup/{controller}"]
                args += [f"--cgroup-{controller}", f"/cgroup/{controller}"]
        cmd += ["--remount-ro", "/", "--chdir", "/tmp", "--",
                python_install(self.python).interpreter, "/opt/course-runtime/zygote.py", *args]
        return cmd

    def start(self) -> None:
        """Start the zygote and wait until it has warmed up."""
        self.stop()
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        if self.gpu is not None:
            env |= self.gpu.env()
        pids = self.cgroups.get("pids")
        if pids is not None:
            (pids / "pids.max").write_text("max")
        info_r, info_w = os.pipe()
        cmd = self.command()
        cmd[1:1] = ["--info-fd", str(info_w)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(info_w,),
                                     env=env, start_new_session=True)  # stderr: the app log
        os.close(info_w)
        with os.fdopen(info_r, "rb") as info:
            # The sandbox's init: killing it tears down the whole PID namespace (zygote and jobs).
            self.init_pid = json.loads(info.read() or b"{}").get("child-pid")
        self._buffer = b""
        ready = self._read_line(time.monotonic() + START_TIMEOUT_S)
        if not ready or not ready.get("ready"):
            self.stop()
            raise SandboxUnavailable(f"the grading sandbox (slot {self.index}) did not start")

    def set_process_limit(self, processes: int) -> None:
        pids = self.cgroups.get("pids")
        if pids is not None:
            (pids / "pids.max").write_text(str(processes))

    def run(self, job: Job, timeout_s: float,
            on_live: Callable[[list[str]], None] | None = None) -> Answer | Failure | None:
        """Send one job; the answer, or None if the zygote died or went silent.

        ``on_live`` receives the running job's live charts (JSON texts) as the zygote forwards them.
        """
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            return None
        deadline = time.monotonic() + timeout_s
        while True:
            answer = self._read_line(deadline)
            if answer is None or "live" not in answer:
                break
            if on_live is not None and answer.get("id") == job["id"] and isinstance(answer["live"], list):
                try:
                    on_live([t for t in answer["live"] if isinstance(t, str)])
                except Exception:  # showing progress must never cost the verdict
                    log.exception("live progress callback failed")
        if answer is None:
            self.stop()
        return answer

    def _read_line(self, deadline: float) -> dict | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                while b"\n" in self._buffer:
                    line, self._buffer = self._buffer.split(b"\n", 1)
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue  # stray output is not part of the protocol
                    if isinstance(message, dict):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if not sel.select(timeout=remaining):
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                self._buffer += chunk

    def stop(self) -> None:
        """Kill the zygote and everything in its sandbox."""
        if self.proc is not None:
            for kill, target in ((os.kill, self.init_pid), (os.killpg, self.proc.pid)):
                try:
                    if target:
                        kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream:
                    stream.close()
            self.proc = None


def authentic(records: list, token: str) -> list[dict]:
    """The result records, each one not marked with this job's token replaced by ``garbage``.

    Only the plugin was given the token, so a line without it was written to the pipe by
    something else (the learner's code found the descriptor); such a run is not trusted.
    """
    return [r if isinstance(r, dict) and r.get("token") == token else {"event": "garbage"} for r in records]


def _claim_instance() -> tuple[int, object]:
    """A uid range of our own: engines in other processes on this machine (the app, a
    validation run, a test) must never share a uid or a cgroup, or one would kill or
    limit the other's jobs. The lock is held for the engine's lifetime."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for n in range(MAX_INSTANCES):
        handle = open(LOCK_DIR / f"instance-{n}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return n, handle
        except BlockingIOError:
            handle.close()
    raise SandboxUnavailable(f"{MAX_INSTANCES} grading engines already run on this machine")


class WarmChecker:
    """Grades with warm zygotes; same ``check`` API as the cold ``sandbox.cold.Checker``."""

    def __init__(self, python: str, slots: int = 2, corpus: Path | None = None, start: bool = True,
                 gpu: GpuAccess | None = None, models: Path | None = None) -> None:
        if os.geteuid() != 0:
            raise SandboxUnavailable("warm grading needs root (to drop each job to its own uid); "
                                     "use CHECKER_MODE=cold")
        self.protections = Protections(uid_drop=True)
        self.corpus = corpus
        self.models = models
        """The course's pre-trained models folder (``courseware.pretrained``), mounted read-only."""
        self._slots: queue.Queue[Slot] = queue.Queue()
        self._instance, self._lock = _claim_instance()
        base = SLOT_UID_BASE + self._instance * UIDS_PER_INSTANCE
        self.gpu = gpu
        self._all = [Slot(i, base + UIDS_PER_SLOT * i, python, corpus, self.protections, gpu, models)
                     for i in range(min(slots, SLOTS_PER_INSTANCE))]
        first = self._all[0].cgroups
        self.protections.cgroup_memory = first["memory"] is not None
        self.protections.cgroup_pids = first["pids"] is not None
        if not self.protections.cgroup_memory:
            self.protections.notes.append("memory is limited by RLIMIT_AS only (no writable cgroup v1 memory)")
        if gpu is not None:
            self.protections.notes.append(
                f"GPU: jobs see {', '.join(gpu.devices)} only; CUDA reserves huge address space, so GPU jobs are "
                "held by the cgroup memory limit instead of RLIMIT_AS"
                + ("" if self.protections.cgroup_memory else " (NONE here: no cgroup v1 memory; host memory unlimited)"))
        for slot in self._all:
            self._slots.put(slot)
        if start:
            threads = [threading.Thread(target=s.start, daemon=True) for s in self._all]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    def check(self, spec: ExerciseSpec, code: str, mode: str, inputs: dict[str, str] | None = None,
              on_live: Callable[[list[Artifact]], None] | None = None) -> CheckResult:
        """Grade ``code``: ``run`` = public tests, ``submit`` = all tests.

        With ``inputs`` (the learner's own files, ``run`` only) the playground file runs instead
        of the public tests; the files are written read-only into the job's workspace.
        ``on_live`` receives the charts the run keeps replacing while it goes on (display only).
        """
        chosen = selected_tests(spec, mode, playground=inputs is not None)
        test_files = {name: visibility for name, (_, visibility) in chosen.items()}
        sources = {name: source for name, (source, _) in chosen.items()}
        files = {name: sources[name].read_text(encoding="utf-8") for name in test_files}
        files |= {p.name: p.read_text(encoding="utf-8") for p in spec.support_files}
        slot = self._slots.get()
        try:
            slot.set_process_limit(spec.limits.processes)
            token = secrets.token_hex(16)
            job: Job = {"id": f"job-{uuid.uuid4().hex}", "uid": slot.uid, "judge_uid": slot.judge_uid,
                   "tests": list(test_files), "token": token,
                   "files": {CODE_FILE: code, **files}, "corpus": self.corpus is not None,
                   "models": self.models is not None,
                   "hidden": [name for name, visibility in test_files.items() if visibility == "hidden"],
                   "inputs": checked_for_workspace(inputs) if inputs is not None else None,
                   "limits": {"time_s": spec.limits.time_s, "memory_mb": spec.limits.memory_mb,
                              "processes": spec.limits.processes, "output_kb": spec.limits.output_kb}}
            sent = time.monotonic()
            answer = slot.run(job, spec.limits.time_s + ANSWER_GRACE_S,
                              on_live=(lambda texts: on_live(decode_artifacts(texts))) if on_live else None)
            answered = time.monotonic()
        finally:
            self._slots.put(slot)
        if answer is None or "internal_error" in answer:
            log.warning("slot %s failed: %s", slot.index, (answer or {}).get("internal_error", "no answer"))
            return CheckResult.from_error("The grader restarted while running your code; it was not judged. "
                                          "Please submit again.")
        result = self._result(spec, test_files, sources, answer, token)
        # The zygote's steps are counted from when it read the job, about when it was sent.
        steps = {name: sent + answer["phases"][name] for name in ZYGOTE_STEPS if name in answer["phases"]}
        return replace(result, phases=steps | {"answered": answered, "report": time.monotonic()})

    def _result(self, spec, test_files, sources, answer: Answer, token: str) -> CheckResult:
        output = answer["output"] + ("\n[output truncated]" if answer["output_truncated"] else "")
        duration = answer["duration_s"]
        expected = {name: expected_tests(sources[name]) for name in test_files}
        records = authentic(answer["records"], token)
        try:
            tests = outcomes_from_stream(records, test_files, expected, spec.limits)
        except ReportError as exc:
            tests, reason = None, str(exc)
        if answer["timed_out"]:
            return CheckResult.from_error(f"Time limit of {spec.limits.time_s:g} s exceeded: look for an "
                                          "endless loop or work that is far too large.", output, duration)
        rc = answer["returncode"]
        if rc == EXIT_LEARNER_GONE:  # the harness conftest: the learner's process ended mid-run
            return CheckResult.from_error(learner_gone_reason(answer.get("learner_returncode"), spec, output,
                                                              oom=answer["oom"],
                                                              output_truncated=answer["output_truncated"]),
                                          output, duration)
        crash = error_for_crash(rc, spec, output, oom=answer["oom"], output_truncated=answer["output_truncated"])
        if crash is not None:
            return CheckResult.from_error(crash, output, duration)
        if tests is None:
            return CheckResult.from_error(reason, output, duration)
        all_passed = all(t.outcome == "passed" for t in tests)
        if (rc == 0) != all_passed:
            return CheckResult.from_error("The test run's exit status contradicts its results; "
                                          "the run was not trusted.", output, duration, tuple(tests))
        return CheckResult(status="passed" if all_passed else "failed", tests=tuple(tests),
                           artifacts=tuple(decode_artifacts(answer["artifacts"])),
                           metrics=metrics_from_stream(records, test_files), output=output,
                           duration_s=duration, cpu_s=answer.get("cpu_s"))

    def describe(self) -> str:
        """Which protections are active, one per line."""
        return "engine: warm zygotes\n" + self.protections.describe()

    @property
    def uids(self) -> list[int]:
        """The unprivileged uids this engine's jobs run as (learners' processes and judges)."""
        return [uid for slot in self._all for uid in (slot.uid, slot.judge_uid)]

    def close(self) -> None:
        """Stop every zygote and free this engine's uid range."""
        for slot in self._all:
            slot.stop()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
