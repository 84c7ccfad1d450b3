"""One grading run, start to finish, with no database: code in, CheckResult out.

    from sandbox.cold import Checker
    checker = Checker.from_settings(get_settings())
    result = checker.check(spec, code, mode="submit")
"""
from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.contract import (ENV_ARTIFACT_DIR, ENV_BRIDGE_FD, ENV_CORPUS, ENV_INPUT_DIR, ENV_MODELS_DIR,
                              ENV_SHARED_DIR, ENV_SUBMISSION_SOURCE, EXIT_LEARNER_GONE, MODELS_INSIDE, OFFLINE_ENV)
from sandbox.metrics import metrics_from_junit
from sandbox.report import ReportError, parse_junit
from sandbox.outcome import error_for_crash, learner_gone_reason, read_artifacts
from sandbox.result import CheckResult
from sandbox.isolation import Mount, Sandbox, kill_group, make_sandbox
from sandbox.workspace import build_workspace, expected_tests
from courseware.corpus import corpus_file
from courseware.pretrained import ensure_models_dir
from config import Settings
from courseware.spec import ExerciseSpec

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
    models: Path | None = None
    """The course's pre-trained models folder (``courseware.pretrained``), mounted read-only."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Checker":
        """A checker configured by the platform settings."""
        settings.workspaces_dir.mkdir(parents=True, exist_ok=True)
        return cls(make_sandbox(settings.checker_sandbox, settings.checker_python),
                   settings.workspaces_dir, corpus_file(settings.data_dir), models=ensure_models_dir(settings.data_dir))

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
        env[ENV_ARTIFACT_DIR] = self.sandbox.path_inside(mounts[2])
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
            env[ENV_INPUT_DIR] = self.sandbox.path_inside(inputs_mount)
        if self.corpus is not None:
            corpus_mount = Mount(self.corpus, "/data/tinyshakespeare.txt")
            mounts.append(corpus_mount)
            env[ENV_CORPUS] = self.sandbox.path_inside(corpus_mount)
        if self.models is not None:
            models_mount = Mount(self.models, MODELS_INSIDE)
            mounts.append(models_mount)
            env[ENV_MODELS_DIR] = self.sandbox.path_inside(models_mount)
        env.update(OFFLINE_ENV)

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
            ENV_ARTIFACT_DIR: self.sandbox.path_inside(inside["artifacts"]),
            ENV_SHARED_DIR: self.sandbox.path_inside(inside["shared"]),
            ENV_BRIDGE_FD: str(sock.fileno()),
            ENV_SUBMISSION_SOURCE: f"{self.sandbox.path_inside(inside['code'])}/source/submission.py",
        }
        self._add_data(ws, mounts, env)
        report_file = f"{self.sandbox.path_inside(inside['report'])}/junit.xml"
        # metric_gate files each metric under the test whose own code published it; the JUnit
        # report carries them as that test's properties (see sandbox.metrics).
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
