"""A real HTTP server for tests that need true concurrency (TestClient runs one request
at a time): uvicorn in a background thread, serving the test's app on a free port.

    with running_server(app) as base_url:
        httpx.post(f"{base_url}/api/v1/scans", ...)

Fire concurrent requests with `concurrently`: every call waits on one barrier, so they hit
the server together.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(app: FastAPI, *, timeout: float = 20.0, **config: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yields the base URL, stops the server after."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the test server did not start within {timeout} s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def concurrently(n: int, call: Callable[[httpx.Client, int], T], base_url: str) -> list[T]:
    """Run `call(client, index)` in `n` threads, each with its own httpx client, released
    together by a barrier. Returns the results in index order."""
    barrier = threading.Barrier(n, timeout=30)

    def run(index: int) -> T:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            client.get("/healthz")  # open the connection before the race
            barrier.wait()
            return call(client, index)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))
