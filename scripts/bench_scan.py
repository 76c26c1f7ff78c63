"""The scan benchmark: POST /api/v1/scans against the real app, and against the ceiling.

The real app runs as `donations serve` (one process, a SQLite file, the shipped settings,
its access log included) with 20,000 items in transit; 32 concurrent connections send receive scans with a
bearer token. In the same run the *ceiling*, a minimal FastAPI endpoint that only does what a
receive must write (one indexed select of the item by tag, one update of its state, one
insert of an event row, in one SQLite transaction), serves the same load on a copy of the
same database. Both are driven by the same client; the script prints requests per second,
p50 and p99 latency, errors, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 30.0  # seconds: a request stuck longer than this counts as an error
CEILING_APP = """
import sqlite3, threading
from datetime import datetime, timezone
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

DB = {db!r}
app = FastAPI()
local = threading.local()

def conn():
    c = getattr(local, "c", None)
    if c is None:
        c = sqlite3.connect(DB, isolation_level=None, check_same_thread=False, timeout=10)
        c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA busy_timeout=10000")
        local.c = c
    return c

class Scan(BaseModel):
    tag: str
    action: str

@app.post("/api/v1/scans")
def scan(body: Scan):
    c = conn()
    c.execute("BEGIN IMMEDIATE")
    try:
        row = c.execute("SELECT id, state FROM items WHERE tag = ?", (body.tag,)).fetchone()
        if row is None:
            raise HTTPException(404)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        c.execute("UPDATE items SET state = 'received', condition = 'good', received_at = ? WHERE id = ?", (now, row[0]))
        c.execute("INSERT INTO events (at, kind, item_id, source, data) VALUES (?, 'item.received', ?, 'scan', '{{}}')", (now, row[0]))
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise
    return {{"id": row[0], "state": "received"}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_database(path: Path, items: int) -> tuple[str, list[str]]:
    """A migrated SQLite database with `items` items in transit to one post; returns a
    recipient's bearer token and the tags."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert

    from donations import clock, migrate
    from donations.auth import service as auth_service
    from donations.config import Settings
    from donations.db import Database
    from donations.events.service import Actor
    from donations.models import Item, Organisation, Pledge, Shipment
    from donations.tags import new_tag
    from donations.users import service as user_service
    from donations.users.schemas import UserCreate

    database = Database(Settings(database_url=f"sqlite:///{path}"))
    migrate.upgrade(database.engine)
    tags = [new_tag() for _ in range(items)]
    with database.session() as session:
        donor = Organisation(code="KRPOST", name="Korea Post", country="KR", kind="donor")
        post = Organisation(code="TOPOST", name="Tonga Post", country="TO", kind="recipient")
        session.add_all([donor, post])
        session.flush()
        user = user_service.create(
            session,
            user_in=UserCreate(
                username="tonga",
                password="benchmark-password",
                role="recipient",
                organisation="TOPOST",
            ),
            actor=Actor(None, source="cli"),
        )
        pledge = Pledge(donor_id=donor.id, title="Computers", category="computer", quantity=items)
        session.add(pledge)
        session.flush()
        shipment = Shipment(
            tag=new_tag(),
            pledge_id=pledge.id,
            origin_id=donor.id,
            destination_id=post.id,
            mode="air",
            status="dispatched",
            dispatched_at=clock.now(),
        )
        session.add(shipment)
        session.flush()
        for start in range(0, items, 5000):
            session.execute(
                insert(Item),
                [
                    {
                        "pledge_id": pledge.id,
                        "tag": tag,
                        "serial": f"SN{start + n:06d}",
                        "state": "in_transit",
                        "shipment_id": shipment.id,
                        "recipient_id": post.id,
                    }
                    for n, tag in enumerate(tags[start : start + 5000])
                ],
            )
        token, _ = auth_service.issue_token(session, user=user, ttl=timedelta(days=1))
        session.commit()
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return token, tags


def start_server(
    args: list[str], env: dict[str, str], port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """Start a server with its output in `log_path` (a pipe nobody reads would fill up and
    stall it), and wait until it accepts connections."""
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start: {log_path.read_text(errors='replace')[-2000:]}")


async def drive(url: str, token: str, tags: list[str], concurrency: int) -> dict[str, float]:
    """Send one receive per tag from `concurrency` keep-alive connections, each sending its
    next request when the previous answer is in (a closed loop, like scanners waiting for
    their beep). The client speaks HTTP/1.1 itself: a general client (httpx) costs more CPU
    per request than the ceiling's server does, and this machine's cores are shared between
    the client and the server."""
    host, _, port = url.removeprefix("http://").partition(":")
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    queue = iter(tags)
    head = (
        f"POST /api/v1/scans HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    )

    async def worker() -> None:
        nonlocal errors
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for tag in queue:
            body = json.dumps({"tag": tag, "action": "receive"}).encode()
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            t0 = time.perf_counter()
            for attempt in (1, 2):  # once more on a new connection if a kept one was closed
                reused = connection is not None
                try:
                    if connection is None:
                        connection = await asyncio.open_connection(host, int(port))
                    reader, writer = connection
                    writer.write(request)
                    status = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
                except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
                    if connection is not None:
                        connection[1].close()
                    connection = None
                    closed_before_answer = (
                        isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                    )
                    if reused and closed_before_answer and attempt == 1:
                        continue
                    errors += 1
                    break
                latencies.append(time.perf_counter() - t0)
                if status == 200:
                    ok.append(1)
                else:
                    errors += 1
                    statuses[status] = statuses.get(status, 0) + 1
                break
        if connection is not None:
            connection[1].close()

    ok: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    if not latencies:  # nothing answered: say so in the figures rather than crash
        latencies.append(float("nan"))
    return {
        "rps": len(ok) / elapsed,  # receives answered 200 per second
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        "errors": errors,
        "n": len(latencies),
        "statuses": statuses,  # type: ignore[dict-item]
    }


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length body; return its status."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in head[1:] if ":" in line)
    length = {k.strip().lower(): v.strip() for k, v in headers.items()}.get("content-length")
    if length is None:
        raise ValueError("a response without Content-Length")
    await reader.readexactly(int(length))
    return status


def run(items: int, requests: int, concurrency: int) -> int:
    # Stopped with SIGTERM (a timeout, Ctrl-C's cousin), still stop the servers and clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        real_db, ceiling_db = work / "real.db", work / "ceiling.db"
        print(f"building {items:,} items in transit ...", flush=True)
        token, tags = build_database(real_db, items)
        shutil.copyfile(real_db, ceiling_db)
        (work / "ceiling_app.py").write_text(CEILING_APP.format(db=str(ceiling_db)))
        python = sys.executable
        results = {}
        for name in ("ceiling", "real"):
            port = free_port()
            env = os.environ | {
                "DONATIONS_DATABASE_URL": f"sqlite:///{real_db}",
                "PYTHONPATH": f"{work}:{ROOT}",
            }
            if name == "real":  # exactly what a user runs, access log included
                command = [python, "-m", "donations", "serve", "--port", str(port)]
            else:
                command = [
                    python,
                    "-m",
                    "uvicorn",
                    "ceiling_app:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ]
            server = start_server(command, env, port, work / f"{name}.log")
            try:
                batch = tags[:requests]
                asyncio.run(
                    drive(f"http://127.0.0.1:{port}", token, batch[:200], concurrency)
                )  # warm up
                cpu_before = server_cpu_seconds(server.pid)
                results[name] = asyncio.run(
                    drive(f"http://127.0.0.1:{port}", token, batch[200:], concurrency)
                )
                cpu_after = server_cpu_seconds(server.pid)
                results[name]["cpu_ms"] = (
                    (cpu_after - cpu_before) / results[name]["n"] * 1000
                    if cpu_before is not None and cpu_after is not None
                    else float("nan")
                )
            finally:
                server.terminate()
                server.wait(10)
        print(
            f"\nscan benchmark: {requests - 200:,} receives, {concurrency} connections, "
            f"{items:,} items in transit, SQLite ({load_note()})"
        )
        print(
            f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
            f"{'server CPU ms/req':>20}"
        )
        for name in ("ceiling", "real"):
            r = results[name]
            print(
                f"{name:10}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}{int(r['errors']):>8}"
                f"{r['cpu_ms']:>20.2f}"
            )
        for name in ("ceiling", "real"):
            if results[name]["statuses"]:
                print(f"{name} error statuses: {results[name]['statuses']}")
        ratio = results["real"]["rps"] / results["ceiling"]["rps"]
        print(
            f"\nreal / ceiling throughput: {ratio:.0%} (goal: 70% or more); "
            f"real p99 {results['real']['p99']:.0f} ms (goal: under 100 ms); "
            f"errors {int(results['real']['errors'])} (goal: 0)"
        )
        ok = ratio >= 0.7 and results["real"]["p99"] < 100 and results["real"]["errors"] == 0
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the server process has used so far, from /proc (Linux):
    what a request costs the server, whatever the load on the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_note() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    return run(args.items, args.requests, args.concurrency)


if __name__ == "__main__":
    sys.exit(main())
