"""Memory of a process and its descendants (PyAirbyte runs the connector as a child), from /proc.

The kernel's own peak (getrusage, /usr/bin/time) is per process, never of a process tree, so a
thread samples the tree's summed RSS. PSS (RSS with shared pages split among their sharers) is kept
beside it: the two differ by the shared libraries both Pythons map.
"""

import os
import threading
from pathlib import Path
from typing import Tuple


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


def _rss_pss_kb(pid: int) -> Tuple[int, int]:
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def tree_mb(pid: int) -> Tuple[float, float]:
    """(RSS, PSS) of `pid` and all its descendants, summed, in MB."""
    tree, pending, rss, pss = _children(), [pid], 0, 0
    while pending:
        current = pending.pop()
        try:
            process_rss, process_pss = _rss_pss_kb(current)
        except OSError:  # it ended between the listing and now
            continue
        rss, pss = rss + process_rss, pss + process_pss
        pending += tree.get(current, [])
    return rss / 1024, pss / 1024


class PeakSampler:
    """The largest `tree_mb(pid)` seen while in the `with` block, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every = pid, every
        self.peak_mb = self.peak_pss_mb = self._since_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            rss, pss = tree_mb(self.pid)
            self.peak_mb, self.peak_pss_mb = max(self.peak_mb, rss), max(self.peak_pss_mb, pss)
            self._since_mb = max(self._since_mb, rss)
            self._done.wait(self.every)

    def take_peak(self) -> float:
        """The peak RSS since the previous call (or the start), and start again from now."""
        peak, self._since_mb = self._since_mb, tree_mb(self.pid)[0]
        return max(peak, self._since_mb)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        self._thread.join()
