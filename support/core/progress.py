"""Progress bars for management commands: long work reports `progress(done, total)`, the command draws it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

Progress = Callable[[int, int], None]


@contextmanager
def command_progress(command: Any, *, desc: str, unit: str, disable: bool = False) -> Iterator[Progress]:
    """A `progress(done, total)` callback drawing a bar on the command's stderr for the block (none when
    `disable`, as for `--no-progress`)."""
    with tqdm(desc=desc, unit=unit, disable=disable, file=command.stderr._out) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress
