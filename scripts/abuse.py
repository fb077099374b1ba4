#!/usr/bin/env python3
"""Load and abuse figures for nursecare-server (issue 16's goals), printed, not asserted.

    cargo build --release -p nursecare-server
    python3 scripts/abuse.py [--server target/release/nursecare-server]

Starts the server on a throwaway database with its open-files limit at 1,024 (as a default
Linux session has it) and measures, each against a fresh server:
  1. 200 concurrent logins with unknown emails, from 200 addresses (127.0.x.y; from one address
     the login limiter answers most at once): the server's peak RSS (VmHWM) and a real login's
     time meanwhile, from a computer that signed in before (the goal) and from a new one.
                                             Goals: RSS < 300 MB, real login < 1 s.
  2. 1,100 slow or idle connections from 5 addresses (a request line only, headers a line every
     2 s, nothing at all): when each is closed, and a real login's time meanwhile.
                                             Goals: closed within the header timeout (10 s),
                                                    real login < 1 s.
  3. 60 concurrent wrong passwords for one account from one address: how many were checked
     (401) and how many refused before checking (429).   Goal: at most 5 checked.
Linux only (loopback addresses beyond 127.0.0.1, /proc). Python 3.9+, no packages.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PASSWORD = "a long enough secret 42"
EMAIL = "amara.okafor@clinic.test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, workdir):
        self.binary, self.workdir = binary, workdir
        self.db = os.path.join(workdir, "abuse.db")
        env = dict(os.environ, NURSECARE_USER_PASSWORD=PASSWORD, RUST_LOG="warn")
        subprocess.run([binary, "--db", self.db, "--create-user", EMAIL, "--role", "NURSE"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        self.port = free_port()
        # A default session's soft limit; the server raises it as far as the hard one allows.
        self.proc = subprocess.Popen(
            ["sh", "-c", 'ulimit -Sn 1024; exec "$0" "$@"', binary, "--db", self.db,
             "--bind", f"127.0.0.1:{self.port}", "--jwt-secret", "abuse-test-secret-0123456789"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "server.log"), "a"))
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start; see " + os.path.join(workdir, "server.log"))

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def open_files_limit(self):
        with open(f"/proc/{self.proc.pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return line.split()[3]
        return "?"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def post_login(port, email, password, source="127.0.0.1"):
    """One POST /auth/login on its own connection: (status, seconds)."""
    body = json.dumps({"email": email, "password": password}).encode()
    start = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        writer.write(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 60)
        writer.close()
        status = int(line.split()[1]) if line else 0
    except (OSError, asyncio.TimeoutError, IndexError, ValueError):
        status = 0
    return status, time.monotonic() - start


def tally(statuses):
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{k or 'no answer'}×{v}" for k, v in sorted(counts.items()))


async def real_login_during(port, other, delay=0.3):
    """Starts `other`, then logs in for real after `delay` from the nurse's computer, which
    signed in before (as a ward's computer has), and from a computer new to the server."""
    await post_login(port, EMAIL, PASSWORD, source="127.0.9.9")
    task = asyncio.ensure_future(other)
    await asyncio.sleep(delay)
    known, new = await asyncio.gather(post_login(port, EMAIL, PASSWORD, source="127.0.9.9"),
                                      post_login(port, EMAIL, PASSWORD, source="127.0.9.10"))
    return task, known, new


def real(known, new):
    return (f"a real login meanwhile from a computer that signed in before: {known[0]} in "
            f"{known[1]:.2f} s (goal < 1 s); from a new one: {new[0]} in {new[1]:.2f} s")


async def logins_flood(server):
    port = server.port
    before = server.peak_rss_mb()
    flood = asyncio.gather(*[
        post_login(port, f"nobody-{i}@clinic.test", "guess-it-123", source=f"127.0.{1 + i // 250}.{1 + i % 250}")
        for i in range(200)])
    task, known, new = await real_login_during(port, flood)
    answers = await task
    peak = server.peak_rss_mb()
    print(f"1. 200 concurrent unknown-email logins from 200 addresses: peak RSS {peak:.0f} MB "
          f"(idle {before:.0f} MB; goal < 300 MB); answers {tally(s for s, _ in answers)}; "
          f"{real(known, new)}")
    one = await asyncio.gather(*[post_login(port, f"x{i}@clinic.test", "guess-it-123", source="127.0.5.5")
                                 for i in range(200)])
    print(f"   the same 200 from one address: {tally(s for s, _ in one)} (the address's budget: 30)")


async def hold_slow(port, source, kind, closed_after):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        closed_after.append(("refused", 0.0))
        return
    # From the moment the connection is up (opening 1,100 takes this script a while).
    start = time.monotonic()
    try:
        if kind == "line":
            writer.write(b"GET /messaging/unread-count HTTP/1.1\r\n")
        elif kind == "drip":
            writer.write(b"GET /messaging/unread-count HTTP/1.1\r\n")

            async def drip():
                for i in range(60):
                    await asyncio.sleep(2)
                    writer.write(b"X-%d: y\r\n" % i)
                    await writer.drain()
            dripping = asyncio.ensure_future(drip())
        await writer.drain()
        while await asyncio.wait_for(reader.read(4096), 60):
            pass
        closed_after.append((kind, time.monotonic() - start))
    except (OSError, asyncio.TimeoutError):
        closed_after.append((kind, time.monotonic() - start))
    finally:
        if kind == "drip":
            dripping.cancel()
        writer.close()


async def slow_connections(server):
    port = server.port
    closed = []
    kinds = ["line", "drip", "idle"]
    holders = asyncio.gather(*[
        hold_slow(port, f"127.0.6.{1 + i % 5}", kinds[i % 3], closed) for i in range(1100)])
    task, known, new = await real_login_during(port, holders, delay=2.0)
    await task
    times = sorted(t for _, t in closed)
    by_kind = {k: max((t for kk, t in closed if kk == k), default=0) for k in kinds}
    print(f"2. 1,100 slow or idle connections from 5 addresses (open-files limit of the server: "
          f"{server.open_files_limit()}): closed after median {statistics.median(times):.2f} s, "
          f"longest {times[-1]:.2f} s (request line only {by_kind['line']:.2f} s, headers every 2 s "
          f"{by_kind['drip']:.2f} s, nothing sent {by_kind['idle']:.2f} s; goal: within the 10 s "
          f"header timeout); {real(known, new)}")


async def wrong_passwords(server):
    answers = await asyncio.gather(*[post_login(server.port, EMAIL, f"wrong-{i}") for i in range(60)])
    statuses = [s for s, _ in answers]
    print(f"3. 60 concurrent wrong passwords for one account from one address: "
          f"{statuses.count(401)} checked (401), {statuses.count(429)} refused unchecked (429), "
          f"other: {tally(s for s in statuses if s not in (401, 429)) or 'none'} (goal: at most 5 checked)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", default=os.path.join(here, "..", "target", "release", "nursecare-server"))
    args = p.parse_args()
    if not os.path.exists(args.server):
        raise SystemExit(f"{args.server} not found: cargo build --release -p nursecare-server")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"server: {os.path.relpath(args.server)}; {os.cpu_count()} cores")
    for step in (logins_flood, slow_connections, wrong_passwords):
        work = tempfile.mkdtemp(prefix="nursecare-abuse-")
        server = Server(args.server, work)
        try:
            asyncio.run(step(server))
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
