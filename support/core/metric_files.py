"""The folder of prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR), kept apart from the
metrics themselves: gunicorn's master tidies it before any metric exists, and importing
`support.core.metrics` there would make one."""

from __future__ import annotations

import glob
import os


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def multiprocess_dir_reset() -> None:
    """Create the folder, and remove the value files a previous run of this process tree left (they would
    add to the new counts). Called by the process that starts the tree, before it forks: gunicorn's
    master, Celery's main process. So one folder serves one tree, never two at once."""
    folder = multiprocess_dir()
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def process_dead(pid: int) -> None:
    """A process of the tree exited: its live gauges stop counting (counters and histograms stay)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
