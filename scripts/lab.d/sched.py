#!/usr/bin/env python3
"""The lab's scheduler experiments, each printing one JSON object of what /proc/PID/stat said, for
`lab_check` to hold against the sched widget's model.

    sched.py lifecycle   one child taken through the widget's grep's life, the state letter (field 3)
                         read after each event: it computes (R), reads an empty pipe (S), gets data
                         and computes again (R), waits uninterruptibly (D), computes, SIGSTOP (T),
                         SIGCONT (R), exits (Z), is reaped (gone)
    sched.py queue       two busy loops pinned to CPU 0 (sched_setaffinity): both R, both on CPU 0
                         (field 39), each getting about half of it; then unpinned, where they run

D needs a task the kernel puts to sleep uninterruptibly on demand; disk I/O cannot be made to wait at
will here (no device-mapper delay target in the lab's kernel), so the child's D is a vfork parent:
posix_spawn (clone with CLONE_VFORK) whose child blocks opening a FIFO, with the parent in
TASK_KILLABLE, which /proc shows as D — the same state as a disk wait, for another reason.
"""
import json
import os
import signal
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    """(state letter, processor, utime+stime in ticks) from /proc/PID/stat, or None once gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # After the comm: field 3 is [0], utime 14 is [11], stime 15 is [12], processor 39 is [36].
    return fields[0], int(fields[36]), int(fields[11]) + int(fields[12])


def state(pid):
    s = stat(pid)
    return s[0] if s else "gone"


def settle(pid, want, timeout=3.0):
    """The state once it is `want` (sampled every 5 ms), or the last one seen."""
    end = time.monotonic() + timeout
    seen = state(pid)
    while seen != want and time.monotonic() < end:
        time.sleep(0.005)
        seen = state(pid)
    return seen


def busy_until(fd):
    """Computes until a byte can be read from fd (non-blocking check), then reads it."""
    os.set_blocking(fd, False)
    while True:
        try:
            if os.read(fd, 1):
                break
        except BlockingIOError:
            pass
        for _ in range(20000):
            pass
    os.set_blocking(fd, True)


def lifecycle():
    tmp = tempfile.mkdtemp(prefix="lab-sched-")
    fifo = os.path.join(tmp, "disk")
    os.mkfifo(fifo)
    go_r, go_w = os.pipe()  # "compute until told", one byte per phase
    data_r, data_w = os.pipe()  # the pipe grep reads
    child = os.fork()
    if child == 0:
        os.close(go_w)
        os.close(data_w)
        signal.signal(signal.SIGUSR2, lambda *_: None)  # a signal it catches, sent while in D
        busy_until(go_r)  # 1: computing
        os.read(data_r, 1)  # 2: reads the empty pipe
        busy_until(go_r)  # 3: data arrived, computing again
        # 4: waits uninterruptibly until the FIFO has a writer (the spawned child's open blocks).
        pid = os.posix_spawn("/bin/true", ["true"], {}, file_actions=[(os.POSIX_SPAWN_OPEN, 0, fifo, os.O_RDONLY, 0)])
        os.waitpid(pid, 0)
        busy_until(go_r)  # 5: computing; stopped and continued meanwhile
        os._exit(0)  # 6: exits
    os.close(go_r)
    os.close(data_r)
    states = []

    def note(event, want):
        states.append({"event": event, "state": settle(child, want)})

    try:
        note("compute", "R")
        os.write(go_w, b".")
        note("read-pipe", "S")
        with open(f"/proc/{child}/wchan") as f:
            wchan = f.read()
        os.write(data_w, b".")
        note("pipe-data", "R")
        os.write(go_w, b".")
        note("disk-read", "D")
        # A signal does not wake an uninterruptible sleep: a caught one stays pending, the task D.
        os.kill(child, signal.SIGUSR2)
        time.sleep(0.05)
        still_d = state(child)
        w = os.open(fifo, os.O_WRONLY)  # the "disk" answers
        os.close(w)
        note("disk-done", "R")
        os.kill(child, signal.SIGSTOP)
        note("stop", "T")
        os.kill(child, signal.SIGCONT)
        note("cont", "R")
        os.write(go_w, b".")
        note("exit", "Z")
        os.waitpid(child, 0)
        note("wait", "gone")
        print(
            json.dumps(
                {
                    "states": states,
                    "read_pipe_wchan": wchan,
                    "d_after_signal": still_d,
                    "d_killed_by_sigkill": killable(fifo),
                }
            )
        )
    finally:
        try:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.unlink(fifo)
        os.rmdir(tmp)


def killable(fifo):
    """Whether SIGKILL ends the same D: this sleep is TASK_KILLABLE, which Linux also shows as D."""
    child = os.fork()
    if child == 0:
        os.posix_spawn("/bin/true", ["true"], {}, file_actions=[(os.POSIX_SPAWN_OPEN, 0, fifo, os.O_RDONLY, 0)])
        os._exit(0)
    settle(child, "D")
    os.kill(child, signal.SIGKILL)
    killed = False
    for _ in range(200):
        pid, st = os.waitpid(child, os.WNOHANG)
        if pid:
            killed = os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL
            break
        time.sleep(0.005)
    # The spawned child still waits in open(): give the FIFO a writer so it runs true and exits.
    w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    os.close(w)
    return killed


def spin():
    while True:
        pass


def queue():
    cpus = sorted(os.sched_getaffinity(0))
    loops = []
    try:
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                os.sched_setaffinity(0, {cpus[0]})
                spin()
            loops.append(pid)
        time.sleep(0.1)
        before = [stat(p) for p in loops]
        samples = []
        for _ in range(20):
            samples.append([stat(p)[0] for p in loops])
            time.sleep(0.01)
        time.sleep(0.3)
        after = [stat(p) for p in loops]
        ticks = sum(a[2] - b[2] for a, b in zip(after, before))
        elapsed = 0.5 * CLK_TCK
        pinned = {
            "cpu": [a[1] for a in after],
            "states": sorted({s for row in samples for s in row}),
            # Both together use about one CPU: one runs while the other waits in the queue.
            "cpus_used": round(ticks / elapsed, 2),
        }
        # Unpinned: the kernel may move one to another CPU (its load balancing); where they end up
        # depends on what else the machine is running, so the lab reports it without judging.
        for p in loops:
            os.sched_setaffinity(p, set(cpus))
        time.sleep(0.5)
        unpinned = sorted({stat(p)[1] for p in loops})
        print(json.dumps({"cpus": len(cpus), "pinned": pinned, "unpinned_cpus": unpinned}))
    finally:
        for p in loops:
            os.kill(p, signal.SIGKILL)
            os.waitpid(p, 0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "lifecycle":
        lifecycle()
    elif cmd == "queue":
        queue()
    else:
        sys.exit(f"unknown experiment {cmd}")
