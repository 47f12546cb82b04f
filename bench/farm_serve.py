"""Pages/s served by the farm server on loopback, against Python's ThreadingHTTPServer on the same files.

Usage: .venv/bin/python bench/farm_serve.py [--sites 200] [--requests 20000] [--clients 8] [--seconds 20]

Builds a farm (or reuses --farm DIR), starts the farm server in a child process, and drives it with
``--clients`` client processes, each keeping one HTTP/1.1 connection per site it visits and fetching a mix
of homepages, column pages and articles across many sites. The baseline is ``http.server``'s
ThreadingHTTPServer (also a child process) serving one site directory, driven by the same clients with the
same number of requests. Both runs stop at ``--requests`` or after ``--seconds``, whichever comes first.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from govinspect.farm import build_farm, load_farm, serving
from govinspect.farm.server import free_port


def _client(targets: list[tuple[str, int, str]], n: int, deadline: float, out) -> None:
    conns: dict[tuple[str, int], http.client.HTTPConnection] = {}
    done = errors = 0
    rng = random.Random(len(targets) + n)
    while done + errors < n and time.monotonic() < deadline:
        host, port, path = targets[rng.randrange(len(targets))]
        conn = conns.get((host, port))
        if conn is None:
            conn = conns[(host, port)] = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", path, headers={"User-Agent": "Mozilla/5.0 bench"})
            resp = conn.getresponse()
            resp.read()
            done += resp.status == 200
            errors += resp.status != 200
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conns.pop((host, port), None)
    out.put((done, errors))


def _drive(targets, total: int, clients: int, seconds: float) -> tuple[float, int, int]:
    q: mp.Queue = mp.Queue()
    deadline = time.monotonic() + seconds
    procs = [
        mp.Process(target=_client, args=(targets, total // clients, deadline, q)) for _ in range(clients)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    ok = sum(r[0] for r in results)
    return ok / elapsed, ok, sum(r[1] for r in results)


def _targets(farm, site_filter, base=None) -> list[tuple[str, int, str]]:
    out = []
    for site in farm.sites:
        if site.behaviour or not site_filter(site):
            continue
        root = farm.site_dir(site)
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and "@" not in p.name and p.suffix in (".html", ".shtml")
        )
        rng = random.Random(site.site_code)
        for p in rng.sample(files, min(40, len(files))):
            host, port = base or (site.host, site.port)
            out.append((host, port, "/" + p.relative_to(root).as_posix()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--farm", type=Path, default=None)
    args = ap.parse_args()
    tmp = None
    if args.farm and (args.farm / "farm.json").exists():
        farm = load_farm(args.farm)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="farm-bench-")
        t0 = time.perf_counter()
        farm = build_farm(
            args.farm or Path(tmp.name), sites=args.sites, seed=args.seed, port=free_port(args.sites)
        )
        print(f"build: {len(farm.sites)} sites in {time.perf_counter() - t0:.1f} s")

    targets = _targets(farm, lambda s: s.tls is None)  # plain HTTP, as the baseline
    with serving(farm.root, mode="process"):
        rate, ok, err = _drive(targets, args.requests, args.clients, args.seconds)
    sites = len({(h, p) for h, p, _ in targets})
    print(f"farm server : {rate:8.0f} pages/s  ({ok} pages, {err} errors, {sites} sites)")

    one = next(s for s in farm.sites if not s.behaviour and s.style == "trs")
    port = free_port(0)  # the baseline listens on 127.0.0.2 only
    base_targets = _targets(farm, lambda s: s is one, base=("127.0.0.2", port))
    base_targets = [t for _ in range(max(1, len(targets) // max(1, len(base_targets)))) for t in base_targets]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.2",
            "--directory",
            str(farm.site_dir(one)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.2", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        brate, bok, berr = _drive(base_targets, args.requests, args.clients, args.seconds)
    finally:
        proc.terminate()
        proc.wait()
    print(
        f"baseline    : {brate:8.0f} pages/s  ({bok} pages, {berr} errors, http.server ThreadingHTTPServer, 1 site)"
    )
    print(f"ratio       : {rate / brate:8.2f}x")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
