"""One grading run, start to finish, with no database: code in, CheckResult out.

    from checker.run import Checker
    checker = Checker.from_settings(get_settings())
    result = checker.check(spec, code, mode="submit")
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker.report import ReportError, parse_junit
from checker.result import Artifact, CheckResult
from checker.sandbox import Mount, Sandbox, make_sandbox
from checker.workspace import build_workspace, expected_tests
from courseware.corpus import corpus_file
from courseware.settings import Settings
from courseware.spec import ExerciseSpec

MAX_ARTIFACTS = 20
MAX_ARTIFACT_BYTES = 256 * 1024
ARTIFACT_KINDS = ("line", "heatmap", "text")


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

    def check(self, spec: ExerciseSpec, code: str, mode: str) -> CheckResult:
        """Grade ``code``: ``mode="run"`` runs the public tests, ``"submit"`` all of them."""
        ws = build_workspace(spec, code, mode, self.workspaces)
        try:
            return self._run(spec, ws)
        finally:
            if not self.keep_workspaces:
                ws.remove()

    def _run(self, spec, ws) -> CheckResult:
        inside = {
            "code": Mount(ws.code, "/workspace"),
            "artifacts": Mount(ws.artifacts, "/artifacts", writable=True),
            "report": Mount(ws.report, "/report", writable=True),
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
        }
        if self.corpus is not None:
            corpus_mount = Mount(self.corpus, "/data/tinyshakespeare.txt")
            mounts.append(corpus_mount)
            env["COURSE_CORPUS"] = self.sandbox.path_inside(corpus_mount)
        report_file = f"{self.sandbox.path_inside(inside['report'])}/junit.xml"
        argv = [self.sandbox.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                "-o", "junit_family=xunit2", "--junitxml", report_file, "--tb=short",
                "--rootdir", self.sandbox.path_inside(inside["code"]), *ws.test_files]
        proc = self.sandbox.run(argv, mounts=mounts, workdir=self.sandbox.path_inside(inside["code"]),
                                limits=spec.limits, env=env, output_file=ws.root / "output.txt")
        output = proc.output + ("\n[output truncated]" if proc.output_truncated else "")
        if output.startswith("bwrap:"):
            # The sandbox itself failed to start: a platform fault, not the learner's.
            return CheckResult.from_error("The grading sandbox failed to start; this is not your fault. "
                                          "Please tell your course admin.", output, proc.duration_s)
        if proc.timed_out:
            return CheckResult.from_error(f"Time limit of {spec.limits.time_s:g} s exceeded: "
                                          "look for an endless loop or work that is far too large.",
                                          output, proc.duration_s)
        if proc.signal is not None or proc.returncode not in (0, 1):
            return CheckResult.from_error(_crash_reason(proc.returncode, proc.signal, spec, output),
                                          output, proc.duration_s)
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
                           artifacts=tuple(read_artifacts(ws.artifacts)), output=output,
                           duration_s=proc.duration_s)


def _crash_reason(returncode: int, sig: int | None, spec: ExerciseSpec, output: str) -> str:
    if "MemoryError" in output or sig == 9 and "Cannot allocate memory" in output:
        return f"Memory limit of {spec.limits.memory_mb} MB exceeded."
    if sig == 25:  # SIGXFSZ
        return "Your code wrote a file larger than 16 MB; print or save less."
    if sig == 24:  # SIGXCPU
        return f"CPU time limit exceeded ({spec.limits.time_s:g} s)."
    if sig is not None:
        return f"The test process was killed by signal {sig} before it finished."
    if returncode == 5:
        return "No tests ran. This is a problem with the exercise; please tell your course lead."
    return (f"pytest stopped with exit status {returncode} before finishing "
            "(a crash at import, sys.exit(), or a memory limit?). Its output is below.")


def read_artifacts(folder: Path) -> list[Artifact]:
    """Artifacts the tests published, size-checked; malformed ones are skipped."""
    import json

    found: list[Artifact] = []
    for path in sorted(folder.glob("*.json"))[:MAX_ARTIFACTS]:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_ARTIFACT_BYTES:
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and record.get("kind") in ARTIFACT_KINDS:
            found.append(Artifact(str(record.get("name", path.stem))[:100], record["kind"],
                                  json.dumps(record)))
    return found
