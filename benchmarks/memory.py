"""Proportional set size (PSS) of a server's process tree, from ``/proc/PID/smaps_rollup``.

PSS divides each shared page among the processes that map it, so the sum over a process tree
is what the tree really costs the machine, and pages shared by forked workers count once.
"""

from __future__ import annotations

from pathlib import Path

_PROC = Path("/proc")


def children(pid: int) -> list[int]:
    """Every descendant of ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the parent id is the second field after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in parents.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def pss_mb(pid: int) -> float:
    """PSS of one process in MB (10^6 bytes)."""
    for line in (_PROC / str(pid) / "smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise ValueError(f"no Pss line for process {pid}")


def tree_pss_mb(pid: int) -> dict[int, float]:
    """PSS in MB of ``pid`` and each of its descendants."""
    return {p: pss_mb(p) for p in [pid, *children(pid)]}
