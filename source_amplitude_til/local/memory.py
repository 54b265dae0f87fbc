"""Memory of a process and its descendants (PyAirbyte runs the connector as a child), from /proc.

Each process counts its proportional set size (PSS): RSS with shared pages split among their
sharers. A child just forked shares all of PyAirbyte's 300 MB, so summed RSS would count them
twice, and the kernel's own peaks (getrusage) are per process, never of the sum.
"""

import os
import threading
from pathlib import Path


def _children() -> dict:
    """Parent pid -> child pids."""
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # the command name may hold spaces and parentheses: fields restart after the last ')'
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def tree_mb(pid: int) -> float:
    """PSS of `pid` and all its descendants, in MB."""
    tree, pending, total = _children(), [pid], 0
    while pending:
        current = pending.pop()
        try:
            total += _pss_kb(current)
        except OSError:  # it ended between the listing and now
            continue
        pending += tree.get(current, [])
    return total / 1024


class PeakSampler:
    """The largest `tree_mb(pid)` seen while in the `with` block, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak_mb = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak_mb = max(self.peak_mb, tree_mb(self.pid))
            self._done.wait(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        self._thread.join()
