"""Backups on a timer inside the app (BACKUP_EVERY_HOURS), keeping the newest BACKUP_KEEP.

One daemon thread per app process; a failed backup is logged and tried again at the next tick.
Deployments with several app processes, or none running at night, use cron or a systemd timer
with ``python -m portal backup --keep N`` instead (see the README).
"""
from __future__ import annotations

import logging
import threading

from config import Settings
from portal.backup import BackupError, backup, default_backup_dir, prune

log = logging.getLogger(__name__)


class BackupSchedule:
    """A thread that backs up every ``settings.backup_every_hours`` hours until stopped."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduled-backups", daemon=True)

    @classmethod
    def start(cls, settings: Settings) -> "BackupSchedule":
        """Start the timer; the first backup is taken one interval after start."""
        schedule = cls(settings)
        schedule._thread.start()
        return schedule

    def run_once(self) -> None:
        """Take one backup and prune to BACKUP_KEEP; errors are logged, never raised."""
        try:
            folder, manifest = backup(self.settings)
            removed = prune(default_backup_dir(self.settings), self.settings.backup_keep)
            log.info("scheduled backup %s (%d bytes, %.1f s); %d old backup(s) removed",
                     folder, manifest.size_bytes, manifest.seconds, len(removed))
        except (BackupError, OSError) as exc:
            log.error("scheduled backup failed: %s", exc)

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.backup_every_hours * 3600):
            self.run_once()

    def stop(self) -> None:
        """Stop the timer (a backup in progress finishes first)."""
        self._stop.set()
        self._thread.join(timeout=60)
