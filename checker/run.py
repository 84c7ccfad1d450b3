"""One grading run, start to finish, with no database: code in, CheckResult out.

    from checker.run import Checker
    checker = Checker.from_settings(get_settings())
    result = checker.check(spec, code, mode="submit")
"""
from __future__ import annotations

import json
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from checker.inputs import INPUT_DIR_ENV
from checker.metrics import metrics_from_junit
from checker.report import ReportError, parse_junit
from checker.result import Artifact, CheckResult
from checker.sandbox import Mount, Sandbox, kill_group, make_sandbox
from checker.workspace import build_workspace, expected_tests
from courseware.corpus import corpus_file
from courseware.settings import Settings
from courseware.spec import ExerciseSpec

EXIT_OUTPUT_LIMIT = 71  # the zygote's child: the output file hit its size limit
EXIT_LEARNER_GONE = 72  # the judge (harness conftest): the learner's process ended while the tests needed it
MAX_ARTIFACTS = 20
MAX_ARTIFACT_BYTES = 256 * 1024
ARTIFACT_KINDS = ("line", "heatmap", "text")
QUIET_WARNINGS = "ignore::pytest.PytestAssertRewriteWarning"
"""The harness's plugins are imported before pytest can rewrite them; the warning that says so is
about the grader, not the learner's code (harness/zygote.py passes the same filter)."""


@dataclass
class Checker:
    """Runs exercise tests against learner code inside a sandbox."""

    sandbox: Sandbox
    workspaces: Path
    corpus: Path | None = None
    """Tiny Shakespeare, mounted read-only for exercises that sample from it, when present."""
    keep_workspaces: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "Checker":
        """A checker configured by the platform settings."""
        settings.workspaces_dir.mkdir(parents=True, exist_ok=True)
        return cls(make_sandbox(settings.checker_sandbox, settings.checker_python),
                   settings.workspaces_dir, corpus_file(settings.data_dir))

    def close(self) -> None:
        """Nothing to release: each run is its own process."""

    def describe(self) -> str:
        """Which protections are active, one per line."""
        if self.sandbox.name == "none":
            return ("engine: cold runs\nOFF sandbox (CHECKER_SANDBOX=none): learners' code can read and write "
                    "whatever this user can\non  rlimits (address space, file size, CPU time, open files)")
        return ("engine: cold runs\non  bubblewrap namespaces (no network, private filesystem view)\n"
                "OFF unprivileged uid per job (runs as the app's user; the process limit is not enforced for root)\n"
                "OFF cgroup limits\non  rlimits (address space, file size, CPU time, open files)")

    def check(self, spec: ExerciseSpec, code: str, mode: str, inputs: dict[str, str] | None = None,
              on_live: object = None) -> CheckResult:
        """Grade ``code``: ``mode="run"`` runs the public tests, ``"submit"`` all of them.

        ``on_live`` is accepted for the engines' common API; cold runs report no live charts.

        With ``inputs`` (the learner's own files, mode ``run`` only) the exercise's playground
        file runs instead of the public tests, with the files in a read-only folder.
        """
        ws = build_workspace(spec, code, mode, self.workspaces, inputs)
        try:
            return self._run(spec, ws)
        finally:
            if not self.keep_workspaces:
                ws.remove()

    def _run(self, spec, ws) -> CheckResult:
        # Two sandboxes, each with its own PID namespace, joined by a socket: the learner's code in
        # one (their file only), the tests in the other (harness/bridge.py carries every use of the
        # learner's code across). The learner's process cannot see, signal or trace the judge.
        judge_end, learner_end = socket.socketpair()
        try:
            learner = self._start_learner(spec, ws, learner_end)
        except BaseException:
            judge_end.close()
            raise
        finally:
            learner_end.close()
        try:
            return self._judge(spec, ws, judge_end, learner)
        finally:
            judge_end.close()
            kill_group(learner)

    def _start_learner(self, spec, ws, sock: socket.socket):
        mounts = [Mount(ws.learner, "/workspace"), Mount(ws.shared, "/shared", writable=True),
                  Mount(ws.scratch, "/artifacts", writable=True)]
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        # Its own folder for files it wants to keep during the run (as in the warm engine); never read back.
        env["COURSE_ARTIFACT_DIR"] = self.sandbox.path_inside(mounts[2])
        self._add_data(ws, mounts, env)
        fd = sock.fileno()
        argv = [self.sandbox.interpreter, "-c", f"import sys; sys.path.insert(0, '.'); import bridge; bridge.serve({fd})"]
        return self.sandbox.spawn(argv, mounts=mounts, workdir=self.sandbox.path_inside(mounts[0]),
                                  limits=spec.limits, env=env, output_file=ws.root / "learner-output.txt",
                                  pass_fds=(fd,))

    def _add_data(self, ws, mounts: list[Mount], env: dict[str, str]) -> None:
        """The learner's own files (a playground run) and the corpus, read-only, in either sandbox."""
        if ws.inputs.is_dir():
            inputs_mount = Mount(ws.inputs, "/inputs")
            mounts.append(inputs_mount)
            env[INPUT_DIR_ENV] = self.sandbox.path_inside(inputs_mount)
        if self.corpus is not None:
            corpus_mount = Mount(self.corpus, "/data/tinyshakespeare.txt")
            mounts.append(corpus_mount)
            env["COURSE_CORPUS"] = self.sandbox.path_inside(corpus_mount)

    def _judge(self, spec, ws, sock: socket.socket, learner: subprocess.Popen) -> CheckResult:
        inside = {
            "code": Mount(ws.code, "/workspace"),
            "artifacts": Mount(ws.artifacts, "/artifacts", writable=True),
            "report": Mount(ws.report, "/report", writable=True),
            "shared": Mount(ws.shared, "/shared", writable=True),
        }
        mounts = list(inside.values())
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "COURSE_ARTIFACT_DIR": self.sandbox.path_inside(inside["artifacts"]),
            "COURSE_SHARED_DIR": self.sandbox.path_inside(inside["shared"]),
            "COURSE_BRIDGE_FD": str(sock.fileno()),
            "COURSE_SUBMISSION_SOURCE": f"{self.sandbox.path_inside(inside['code'])}/source/submission.py",
        }
        self._add_data(ws, mounts, env)
        report_file = f"{self.sandbox.path_inside(inside['report'])}/junit.xml"
        # metric_gate files each metric under the test whose own code published it; the JUnit
        # report carries them as that test's properties (see checker.metrics).
        argv = [self.sandbox.interpreter, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "metric_gate",
                "-W", QUIET_WARNINGS, "-o", "addopts=", "-o", "junit_family=xunit2", "--junitxml", report_file,
                "--tb=short",
                "--rootdir", self.sandbox.path_inside(inside["code"]), *ws.test_files]
        proc = self.sandbox.run(argv, mounts=mounts, workdir=self.sandbox.path_inside(inside["code"]),
                                limits=spec.limits, env=env, output_file=ws.root / "output.txt",
                                pass_fds=(sock.fileno(),))
        output = proc.output + ("\n[output truncated]" if proc.output_truncated else "")
        if output.startswith("bwrap:"):
            # The sandbox itself failed to start: a platform fault, not the learner's.
            return CheckResult.from_error("The grading sandbox failed to start; this is not your fault. "
                                          "Please tell your course admin.", output, proc.duration_s)
        if proc.timed_out:
            return CheckResult.from_error(f"Time limit of {spec.limits.time_s:g} s exceeded: "
                                          "look for an endless loop or work that is far too large.",
                                          output, proc.duration_s)
        if proc.returncode == EXIT_LEARNER_GONE:
            try:
                learner.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            return CheckResult.from_error(learner_gone_reason(learner.returncode, spec, output), output,
                                          proc.duration_s)
        crash = error_for_crash(proc.returncode, spec, output, output_truncated=proc.output_truncated)
        if crash is not None:
            return CheckResult.from_error(crash, output, proc.duration_s)
        expected = {name: expected_tests(ws.code / name) for name in ws.test_files}
        try:
            tests = parse_junit(ws.report / "junit.xml", ws.test_files, expected)
        except ReportError as exc:
            return CheckResult.from_error(str(exc), output, proc.duration_s)
        all_passed = all(t.outcome == "passed" for t in tests)
        if (proc.returncode == 0) != all_passed:
            return CheckResult.from_error("The test run's exit status contradicts its report; "
                                          "the run was not trusted.", output, proc.duration_s, tuple(tests))
        return CheckResult(status="passed" if all_passed else "failed", tests=tuple(tests),
                           artifacts=tuple(read_artifacts(ws.artifacts)),
                           metrics=metrics_from_junit(ws.report / "junit.xml", ws.test_files),
                           output=output, duration_s=proc.duration_s)


def error_for_crash(returncode: int, spec: ExerciseSpec, output: str, *, oom: bool = False,
                    output_truncated: bool = False) -> str | None:
    """Why a run that did not end normally is an error, in the learner's words; None if it ended normally."""
    if returncode in (0, 1) and not oom:
        return None
    sig = -returncode if returncode < 0 else None
    if oom or (sig == signal.SIGKILL and "MemoryError" in output):
        return f"Memory limit of {spec.limits.memory_mb} MB exceeded."
    if sig == signal.SIGXFSZ or returncode == EXIT_OUTPUT_LIMIT or output_truncated and returncode not in (0, 1):
        return (f"Output limit exceeded: your code printed or wrote more than 16 MB "
                f"(output truncated at {spec.limits.output_kb} KB). Print less.")
    if sig == signal.SIGXCPU:
        return f"CPU time limit exceeded ({spec.limits.time_s:g} s)."
    if sig is not None:
        return f"The test process was killed by signal {signal.Signals(sig).name} before it finished."
    if returncode == 5:
        return "No tests ran. This is a problem with the exercise; please tell your course lead."
    return (f"pytest stopped with exit status {returncode} before finishing "
            "(a crash at import, sys.exit(), or a memory limit?). Its output is below.")


def learner_gone_reason(returncode: int | None, spec: ExerciseSpec, output: str, *, oom: bool = False,
                        output_truncated: bool = False) -> str:
    """Why the learner's process ended while the tests still needed it, in the learner's words."""
    if returncode not in (None, 0, 1):
        crash = error_for_crash(returncode, spec, output, oom=oom, output_truncated=output_truncated)
        if crash is not None and not crash.startswith("pytest stopped"):
            return crash
    code = f" (exit status {returncode})" if returncode is not None and returncode >= 0 else ""
    return (f"Your code ended the process it runs in{code} before the tests were done with it: "
            "do not call sys.exit() or os._exit() in an exercise.")


def read_artifacts(folder: Path) -> list[Artifact]:
    """Artifacts the tests published in ``folder``, size-checked; malformed ones are skipped."""
    texts = []
    for path in sorted(folder.glob("*.json"))[:MAX_ARTIFACTS]:
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_ARTIFACT_BYTES:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return decode_artifacts(texts)


def decode_artifacts(texts: list[str]) -> list[Artifact]:
    """Artifacts from raw JSON texts; anything that is not a well-formed artifact is dropped."""
    found: list[Artifact] = []
    for text in texts[:MAX_ARTIFACTS]:
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("kind") in ARTIFACT_KINDS:
            found.append(Artifact(str(record.get("name", "artifact"))[:100], record["kind"], json.dumps(record)))
    return found
