#!/usr/bin/env python3
"""Slowloris driver for bench/durability.sh, loopback only and bounded in sockets and time.

Opens SOCKETS connections to TARGET from SOURCES loopback addresses (127.0.<i // 250 + 1>.<i % 250 + 1>,
so the per-client cap sees SOURCES clients; with --sources 1 they all come from 127.0.0.2), sends an
unfinished request line, then one header line every INTERVAL seconds on each socket still open. Meanwhile
it asks /healthz from 127.0.0.1 every 0.5 s on a fresh connection and counts the server's open file
descriptors (/proc/PID/fd). Stops when every socket is closed or after DURATION seconds, and prints one
line of key=value results.
"""

import argparse
import http.client
import os
import select
import socket
import threading
import time


def source_address(i, sources):
    if sources == 1:
        return "127.0.0.2"
    k = i % sources
    return f"127.0.{k // 250 + 1}.{k % 250 + 1}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True, help="HOST:PORT on 127.0.0.0/8")
    p.add_argument("--sockets", type=int, default=3000)
    p.add_argument("--sources", type=int, default=1)
    p.add_argument("--interval", type=float, default=3.0)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--pid", type=int, required=True, help="the server's process id (fd counts)")
    a = p.parse_args()
    host, port = a.target.rsplit(":", 1)
    port = int(port)
    assert host.startswith("127."), "loopback only"
    assert 1 <= a.sockets <= 10000 and 1 <= a.sources <= 5000 and a.duration <= 120

    stop = threading.Event()
    health = []  # (seconds since start, status or error, ms)
    fds = []  # (seconds since start, open descriptors)
    start = time.monotonic()

    def count_fds():
        try:
            return len(os.listdir(f"/proc/{a.pid}/fd"))
        except OSError:
            return -1

    def prober():
        while not stop.is_set():
            t = time.monotonic()
            try:
                c = http.client.HTTPConnection(host, port, timeout=2, source_address=("127.0.0.1", 0))
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                outcome = r.status
                c.close()
            except Exception as e:  # noqa: BLE001 - any failure is a failed probe
                outcome = type(e).__name__
            health.append((t - start, outcome, (time.monotonic() - t) * 1000))
            fds.append((time.monotonic() - start, count_fds()))
            stop.wait(0.5)

    fd_before = count_fds()
    probe = threading.Thread(target=prober, daemon=True)
    probe.start()

    def close(fd):
        s, t0 = opened_at.pop(fd)
        lifetimes.append(time.monotonic() - t0)
        poller.unregister(fd)
        s.close()

    def reap(timeout_ms):
        for fd, _ in poller.poll(timeout_ms):
            if fd not in opened_at:
                continue
            try:
                opened_at[fd][0].recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                pass
            # Any answer at all (the server never gets a whole request) or a close ends the socket.
            close(fd)

    opened_at = {}  # fd -> (socket, time opened)
    lifetimes = []  # seconds from connect to the server closing it
    refused_at_connect = 0
    poller = select.poll()
    for i in range(a.sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source_address(i, a.sources), 0))
            s.settimeout(2)
            s.connect((host, port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n")
            s.setblocking(False)
        except OSError:
            refused_at_connect += 1
            lifetimes.append(0.0)
            s.close()
            continue
        opened_at[s.fileno()] = (s, time.monotonic())
        poller.register(s.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        # Notice the server closing sockets while still connecting the rest: lifetimes stay exact.
        if i % 50 == 49:
            reap(0)
    connected = time.monotonic() - start

    n = 0
    next_line = time.monotonic() + a.interval
    while opened_at and time.monotonic() - start < a.duration:
        reap(100)
        if time.monotonic() >= next_line:
            n += 1
            for fd in list(opened_at):
                try:
                    opened_at[fd][0].send(f"X-Slow-{n}: 1\r\n".encode())
                except OSError:
                    close(fd)
            next_line += a.interval
    still_open = len(opened_at)
    for fd in list(opened_at):
        close(fd)
    stop.set()
    probe.join(timeout=5)
    time.sleep(0.5)
    fd_after = count_fds()

    lifetimes.sort()
    ok = sum(1 for _, s, _ in health if s == 200)
    failed = [h for h in health if h[1] != 200]
    quick = sum(1 for t in lifetimes if t < 1.0)
    later = [t for t in lifetimes if t >= 1.0]
    print(
        " ".join(
            f"{k}={v}"
            for k, v in [
                ("sockets", a.sockets),
                ("sources", a.sources),
                ("connect_s", f"{connected:.1f}"),
                ("refused_at_connect", refused_at_connect),
                ("closed_within_1s", quick),
                ("closed_later", len(lifetimes) - quick - still_open),
                ("still_open_at_end", still_open),
                ("later_min_s", f"{later[0]:.1f}" if later else "-"),
                ("later_median_s", f"{later[len(later) // 2]:.1f}" if later else "-"),
                ("later_max_s", f"{later[-1]:.1f}" if later else "-"),
                ("healthz_ok", ok),
                ("healthz_failed", len(failed)),
                ("healthz_max_ms", f"{max(h[2] for h in health):.0f}" if health else "-"),
                ("fd_before", fd_before),
                ("fd_max", max(f for _, f in fds) if fds else -1),
                ("fd_after", fd_after),
                ("seconds", f"{time.monotonic() - start:.1f}"),
            ]
        )
    )
    if failed:
        print("healthz failures:", ", ".join(f"{t:.1f}s {s}" for t, s, _ in failed[:10]))


if __name__ == "__main__":
    main()
