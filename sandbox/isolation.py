"""Run one command under limits: bubblewrap namespaces plus kernel rlimits.

    sandbox = make_sandbox("bwrap", python="/path/.venv/bin/python")
    outcome = sandbox.run(["python", "-m", "pytest"], mounts=..., limits=Limits(), env={...})

What the bubblewrap sandbox gives a run: its own network namespace with no interfaces
but loopback (so no network), its own PID/IPC/UTS namespaces, a read-only view of the
system and of the Python install only (the project folder, the database, the reference
solutions and other workspaces are simply not mounted), a size-capped tmpfs ``/tmp``,
and rlimits on address space, file size, open files and CPU time. The wall-clock limit
is enforced from outside by killing the whole process group.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from courseware.spec import Limits
from harness.contract import MAX_FILE_BYTES, MAX_OPEN_FILES

TMPFS_BYTES = 64 * 1024 * 1024
CPU_GRACE_S = 5
"""CPU seconds beyond the wall-clock limit (a fresh interpreter's start-up counts here; the wall clock ends it first)."""


class SandboxUnavailable(RuntimeError):
    """The configured sandbox cannot run on this machine; the message says what to install."""


@dataclass(frozen=True)
class Mount:
    """A host path made visible inside the sandbox at ``target``."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class ProcessOutcome:
    """How the sandboxed command ended."""

    returncode: int
    output: str
    """stdout and stderr together, cut at the output limit."""
    output_truncated: bool
    timed_out: bool
    duration_s: float
    signal: int | None = None
    """The signal that killed the command, if one did."""


class Sandbox(ABC):
    """Runs a command with limits; subclasses decide how isolated it is."""

    name: str = "abstract"

    def __init__(self, python: str) -> None:
        self.python = python

    @property
    def interpreter(self) -> str:
        """The path at which commands inside this sandbox run ``python``."""
        return self.python

    @abstractmethod
    def command(self, argv: list[str], mounts: list[Mount], workdir: str, limits: Limits) -> list[str]:
        """The full command line that runs ``argv`` in this sandbox."""

    @abstractmethod
    def path_inside(self, mount: Mount) -> str:
        """The path at which code inside the sandbox sees ``mount``."""

    def spawn(self, argv: list[str], *, mounts: list[Mount], workdir: str, limits: Limits,
              env: dict[str, str], output_file: Path, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen:
        """Start ``argv`` in this sandbox and return at once; output goes to ``output_file``.
        ``pass_fds`` stay open (same numbers) inside. The caller ends it with ``kill_group``."""
        cmd = self.command(argv, mounts, workdir, limits)
        with open(output_file, "wb") as out:
            return subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, preexec_fn=functools.partial(_apply_rlimits, limits),
                cwd=workdir if self.name == "none" else None, pass_fds=pass_fds,
            )

    def run(self, argv: list[str], *, mounts: list[Mount], workdir: str, limits: Limits,
            env: dict[str, str], output_file: Path, pass_fds: tuple[int, ...] = ()) -> ProcessOutcome:
        """Run ``argv`` and wait at most ``limits.time_s``; output goes through ``output_file``."""
        start = time.monotonic()
        timed_out = False
        proc = self.spawn(argv, mounts=mounts, workdir=workdir, limits=limits, env=env,
                          output_file=output_file, pass_fds=pass_fds)
        try:
            proc.wait(timeout=limits.time_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            kill_group(proc)
        duration = time.monotonic() - start
        output, truncated = _read_capped(output_file, limits.output_kb * 1024)
        rc = proc.returncode
        return ProcessOutcome(rc, output, truncated, timed_out, duration, -rc if rc < 0 else None)


def _apply_rlimits(limits: Limits) -> None:
    """Runs in the child between fork and exec: limits the kernel enforces on the whole run."""
    memory = int(limits.memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    cpu = int(limits.time_s) + CPU_GRACE_S
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Ignored for root (see the README's threat model); effective for an unprivileged worker.
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def kill_group(proc: subprocess.Popen) -> None:
    """Kill everything the run started, finished or not, so nothing outlives the job."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read_capped(path: Path, limit: int) -> tuple[str, bool]:
    size = path.stat().st_size
    with open(path, "rb") as f:
        data = f.read(limit)
    return data.decode("utf-8", errors="replace"), size > limit


class Bubblewrap(Sandbox):
    """Linux namespaces through bubblewrap (``bwrap``)."""

    name = "bwrap"
    SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin")
    ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                 "/etc/alternatives", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf")

    def __init__(self, python: str) -> None:
        super().__init__(python)
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise SandboxUnavailable(
                "bubblewrap is not installed: run `sudo apt-get install bubblewrap` "
                "(or set CHECKER_SANDBOX=none on a single-user machine you trust)."
            )

    def path_inside(self, mount: Mount) -> str:
        return mount.target

    @property
    def interpreter(self) -> str:
        return python_install(self.python).interpreter

    def command(self, argv: list[str], mounts: list[Mount], workdir: str, limits: Limits) -> list[str]:
        cmd = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
               "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev",
               "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", *system_mounts(self.python)]
        for m in mounts:
            cmd += ["--bind" if m.writable else "--ro-bind", str(m.source), m.target]
        cmd += ["--chdir", workdir, "--"]
        return cmd + argv


class NoSandbox(Sandbox):
    """Runs on the host with rlimits only. For a single trusted user; never for a cohort."""

    name = "none"

    def path_inside(self, mount: Mount) -> str:
        return str(mount.source)

    def command(self, argv: list[str], mounts: list[Mount], workdir: str, limits: Limits) -> list[str]:
        return list(argv)


# Where a virtual environment appears inside every sandbox, wherever the clone lives: never
# inside the job's /tmp or workspace (a clone under /tmp would otherwise put the venv in the
# job's tmpfs, where the per-job wipe walks it and paths differ between clones).
VENV_INSIDE = "/opt/course-python"


@dataclass(frozen=True)
class PythonInstall:
    """An interpreter as the sandbox mounts it: host folders, their places inside, the path to run."""

    binds: tuple[tuple[str, str], ...]
    """(host folder, folder inside) pairs, read-only."""
    interpreter: str
    """The interpreter's path inside the sandbox."""


def system_mounts(python: str) -> list[str]:
    """bwrap arguments giving a read-only view of the system and of ``python``'s install only."""
    args: list[str] = []
    for d in Bubblewrap.SYSTEM_DIRS:
        if os.path.exists(d):
            # /bin and /lib are symlinks into /usr on modern Debian.
            args += ["--symlink", os.readlink(d), d] if os.path.islink(d) else ["--ro-bind", d, d]
    for f in Bubblewrap.ETC_FILES:
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    binds = python_install(python).binds
    # bwrap creates missing parents as 0700, which an unprivileged job could not traverse.
    parents = sorted({str(p) for _, inside in binds for p in Path(inside).parents if str(p) != "/"}, key=len)
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for host, inside in binds:
        args += ["--ro-bind", host, inside]
    return args


@functools.lru_cache(maxsize=8)
def python_install(python: str) -> PythonInstall:
    """How ``python`` is mounted: a venv at ``VENV_INSIDE``, the base install it links to in place."""
    probe = subprocess.run(
        [python, "-c", "import sys, os; print(sys.prefix); print(sys.base_prefix);"
                       "print(os.path.realpath(sys.executable))"],
        capture_output=True, text=True, timeout=60,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(f"CHECKER_PYTHON={python} does not run: {probe.stderr.strip()[:200]}")
    prefix, base, real = probe.stdout.split("\n")[:3]
    dirs = {base}
    if not real.startswith(base + os.sep):
        dirs.add(os.path.dirname(os.path.dirname(real)))
    # Nested folders would be mounted twice; keep the outermost.
    binds = [(d, d) for d in sorted(dirs) if not any(d != o and d.startswith(o + os.sep) for o in dirs)]
    for host, _ in binds:
        if host == "/tmp" or host.startswith("/tmp/"):
            raise SandboxUnavailable(
                f"the Python install {host} is under /tmp, which every job replaces with its own "
                "empty folder: install Python (or point CHECKER_PYTHON) elsewhere.")
    interpreter = python
    if prefix != base:
        binds.append((prefix, VENV_INSIDE))
        # Run it by its path in the venv (not the resolved base binary), so it finds pyvenv.cfg.
        venv_python = os.path.abspath(python)
        if not venv_python.startswith(prefix + os.sep):
            venv_python = os.path.join(prefix, "bin", "python")
        interpreter = VENV_INSIDE + venv_python[len(prefix):]
    return PythonInstall(tuple(binds), interpreter)


def make_sandbox(kind: str, python: str | None = None) -> Sandbox:
    """The sandbox named by CHECKER_SANDBOX (``bwrap`` or ``none``)."""
    python = python or sys.executable
    if kind == "bwrap":
        return Bubblewrap(python)
    if kind == "none":
        return NoSandbox(python)
    raise SandboxUnavailable(f"unknown sandbox {kind!r}: use 'bwrap' or 'none'")
