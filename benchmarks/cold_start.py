"""Cold start: seconds from ``modelworks serve`` to the first ``/readyz`` 200, per service.

    python -m benchmarks.cold_start [--starts 5] [--services resumes,interests,...]

Each service is started alone, ``--starts`` times, from a home where its live model is
registered (trained once, first); the median and the range are printed. The server is
pinned to one core, as in ``make bench-peers``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.peers.run import MAIN_PYTHON, REPO, free_port, prepare_home, write_doc

SERVICES = ("interests", "movies", "genres", "resumes", "similarity")


def one_start(home: Path, service: str) -> float:
    """Seconds to the first 200 of ``/readyz``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}
    env.update(MODELWORKS_HOME=str(home), MODELWORKS_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    server = subprocess.Popen(["taskset", "-c", "0", str(MAIN_PYTHON), "-m", "modelworks",
                               "serve", "--services", service, "--port", str(port)],
                              env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"{service} exited with {server.returncode}")
    finally:
        os.killpg(server.pid, 15)
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--home", type=Path, default=REPO / ".modelworks-peers")
    parser.add_argument("--no-doc", action="store_true", help="print the table only")
    args = parser.parse_args()
    services = args.services.split(",")
    prepare_home(args.home, set(services))
    os.sched_setaffinity(0, {1})
    lines = [f"One run of `python -m benchmarks.cold_start` ({time.strftime('%Y-%m-%d')}): "
             f"each service started alone {args.starts} times, server pinned to one core.", "",
             f"| service | cold start to /readyz 200, median of {args.starts} (s) | range (s) |",
             "|---|---|---|"]
    for service in services:
        times = [one_start(args.home, service) for _ in range(args.starts)]
        lines.append(f"| {service} | {statistics.median(times):.2f} | "
                     f"{min(times):.2f} to {max(times):.2f} |")
        print(lines[-1], flush=True)
    if not args.no_doc:
        write_doc("\n".join(lines), "<!-- cold:begin -->", "<!-- cold:end -->")


if __name__ == "__main__":
    sys.exit(main())
