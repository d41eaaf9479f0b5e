#!/usr/bin/env python3
"""The lab's pipe experiments: `cat /var/log/messages | grep Error` built with real processes as the pipe
widget's scenarios build it, each printing one JSON object of what the kernel did, for `lab_check` to
hold against the model.

    pipe.py run SCENARIO   pipeline | early-exit | shell-keeps-w | grep-keeps-w | cat-keeps-r: a "shell"
                           (a forked child on a real pty) makes the pipe, forks cat and grep, dup2s,
                           closes (minus the close the scenario forgets) and execs; every process's fds
                           0-4 from /proc/PID/fd(info) once cat has opened its log; then the log flows
                           and how each process ended, or where it hangs (state, wchan, bytes in the pipe)
    pipe.py statuses       real bash: $? and PIPESTATUS with and without pipefail, `yes | head -1`, kill -l
    pipe.py capacity       F_GETPIPE_SZ, bytes a non-blocking write fits, PIPE_BUF, a blocked writer, EOF
"""
import array
import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time

LOG_SIZE = 150_000  # the widget's default log size
REPORT_FD = 60  # the shell's line back to us, out of the way of fds 0-4 (close-on-exec)
F_GETPIPE_SZ = 1032


def log_bytes(matches):
    """A log of LOG_SIZE bytes; with `matches`, its first line has Error (so grep -m 1 quits at once)."""
    first = b"Jan  1 00:00:00 host app: Error: disk full\n" if matches else b""
    filler = b"Jan  1 00:00:01 host app: ok\n"
    body = first + filler * ((LOG_SIZE - len(first)) // len(filler) + 1)
    return body[:LOG_SIZE]


def state_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def wchan_of(pid):
    with open(f"/proc/{pid}/wchan") as f:
        return f.read().strip()


def slots(pid):
    """fds 0-4 of PID as the widget names them: tty, pipe-r, pipe-w, file or none."""
    out = []
    for fd in range(5):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            out.append("none")
            continue
        if target.startswith("/dev/pts/"):
            out.append("tty")
        elif target.startswith("pipe:"):
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                flags = next(int(l.split()[1], 8) for l in f if l.startswith("flags:"))
            out.append("pipe-w" if flags & 3 == os.O_WRONLY else "pipe-r")
        else:
            out.append("file")
    return out


def shell(scenario, log_path):
    """The shell's part, in a forked child whose 0, 1, 2 are the pty: as bash builds the pipeline."""
    os.closerange(3, REPORT_FD)
    r, w = os.pipe2(0)  # 3 and 4, without O_CLOEXEC, as bash's
    cat = os.fork()
    if cat == 0:
        # Python ignores SIGPIPE and an ignored signal stays ignored across execve: a shell's children
        # have the default.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.dup2(w, 1)
        if scenario != "cat-keeps-r":
            os.close(r)
        os.close(w)
        os.execvp("cat", ["cat", log_path])
    grep = os.fork()
    if grep == 0:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.dup2(r, 0)
        os.close(r)
        if scenario != "grep-keeps-w":
            os.close(w)
        early = scenario in ("early-exit", "cat-keeps-r")
        os.execvp("grep", ["grep", "-m", "1", "Error"] if early else ["grep", "Error"])
    os.close(r)
    if scenario != "shell-keeps-w":
        os.close(w)
    os.write(REPORT_FD, f"{cat} {grep}\n".encode())
    for _ in range(2):
        pid, status = os.waitpid(-1, 0)
        code = os.waitstatus_to_exitcode(status)
        # As bash reports it: 128 + N for a process killed by signal N.
        os.write(REPORT_FD, f"{pid} {code if code >= 0 else 128 - code}\n".encode())
    os._exit(0)


def run(scenario):
    tmp = tempfile.mkdtemp(prefix="lab-pipe-")
    fifo = os.path.join(tmp, "messages")
    os.mkfifo(fifo)
    # cat's log is a FIFO we feed, so cat waits after opening it: the fd tables can be read while
    # nothing moves. Opened read-write here, so cat's open does not wait for a writer.
    hold = os.open(fifo, os.O_RDWR)
    master, slave = pty.openpty()
    rep_r, rep_w = os.pipe()
    sh = os.fork()
    if sh == 0:
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.dup2(rep_w, REPORT_FD, inheritable=False)
        shell(scenario, fifo)
    os.close(slave)
    os.close(rep_w)
    reports = os.fdopen(rep_r, "r")
    cat, grep = map(int, reports.readline().split())
    procs = {"shell": sh, "cat": cat, "grep": grep}
    children = [cat, grep]
    try:
        # Until cat has opened its log and grep waits on the empty pipe.
        for _ in range(300):
            try:
                ready = any(os.readlink(f"/proc/{cat}/fd/{n}") == fifo for n in (3, 4)) and (
                    os.readlink(f"/proc/{grep}/exe").endswith("grep") and state_of(grep) == "S"
                )
            except (FileNotFoundError, ProcessLookupError):
                ready = False
            if ready:
                break
            time.sleep(0.01)
        result = {"scenario": scenario, "fds": {name: slots(pid) for name, pid in procs.items()}}

        feed = os.open(fifo, os.O_WRONLY)
        os.close(hold)

        def feeder():
            data = log_bytes(True)
            try:
                while data:
                    data = data[os.write(feed, data) :]
            except OSError:  # cat is gone (killed by SIGPIPE): nobody reads the log any more
                pass
            os.close(feed)

        threading.Thread(target=feeder, daemon=True).start()

        statuses = {}
        os.set_blocking(rep_r, False)
        still = 0
        deadline = time.monotonic() + 10
        while len(statuses) < 2 and time.monotonic() < deadline:
            for line in iter(reports.readline, ""):
                pid, code = map(int, line.split())
                statuses[pid] = code
            drain(master)
            # A hang: one has ended, the other has slept in the pipe for half a second.
            left = [p for p in children if p not in statuses]
            if len(left) == 1 and state_of(left[0]) == "S" and "pipe" in wchan_of(left[0]):
                still += 1
                if still >= 25:
                    break
            else:
                still = 0
            time.sleep(0.02)
        for name, pid in (("cat", cat), ("grep", grep)):
            result[f"{name}_status"] = statuses.get(pid)
        left = [p for p in children if p not in statuses]
        if left:
            pid = left[0]
            hung = {"who": "cat" if pid == cat else "grep", "state": state_of(pid), "wchan": wchan_of(pid)}
            # Bytes waiting in the pipe: a read end of the same pipe, opened through /proc.
            end = 1 if pid == cat else 0
            fd = os.open(f"/proc/{pid}/fd/{end}", os.O_RDONLY | os.O_NONBLOCK)
            n = array.array("i", [0])
            fcntl.ioctl(fd, termios.FIONREAD, n)
            os.close(fd)
            hung["pipe_bytes"] = n[0]
            # What the model's Ctrl-C does: SIGINT ends it, and the shell sees 128 + 2.
            os.kill(pid, signal.SIGINT)
            os.set_blocking(rep_r, True)
            line = reports.readline()
            hung["status_after_sigint"] = int(line.split()[1]) if line else None
            result["hung"] = hung
        os.waitpid(sh, 0)
        print(json.dumps(result))
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.close(master)
        os.unlink(fifo)
        os.rmdir(tmp)


def drain(master):
    """Reads what grep printed on the terminal, so the pty never fills."""
    os.set_blocking(master, False)
    try:
        while os.read(master, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def statuses():
    tmp = tempfile.mkdtemp(prefix="lab-pipe-")
    logs = {}
    for matches in (True, False):
        path = os.path.join(tmp, f"messages-{int(matches)}")
        with open(path, "wb") as f:
            f.write(log_bytes(matches))
        logs[matches] = path
    runs = []
    try:
        for scenario in ("pipeline", "early-exit"):
            m1 = "-m 1 " if scenario == "early-exit" else ""
            for pipefail in (False, True):
                for matches in (True, False):
                    script = ("set -o pipefail; " if pipefail else "") + (
                        f'cat {logs[matches]} | grep {m1}Error >/dev/null; echo "$? ${{PIPESTATUS[*]}}"'
                    )
                    out = bash(script).split()
                    runs.append(
                        {
                            "scenario": scenario,
                            "pipefail": pipefail,
                            "matches": matches,
                            "status": int(out[0]),
                            "pipestatus": [int(x) for x in out[1:]],
                        }
                    )
        yes = bash('yes | head -1 >/dev/null; echo "${PIPESTATUS[*]}"').split()
        print(
            json.dumps(
                {
                    "log_size": LOG_SIZE,
                    "runs": runs,
                    "yes_head_pipestatus": [int(x) for x in yes],
                    "kill_l_141": bash("kill -l 141").strip(),
                    "kill_l_13": bash("kill -l 13").strip(),
                }
            )
        )
    finally:
        for path in logs.values():
            os.unlink(path)
        os.rmdir(tmp)


def bash(script):
    # subprocess restores SIGPIPE's default in the child, as a login shell has it.
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10, check=True).stdout


def capacity():
    r, w = os.pipe()
    size = fcntl.fcntl(w, F_GETPIPE_SZ)
    pipe_buf = os.fpathconf(r, "PC_PIPE_BUF")
    os.set_blocking(w, False)
    fitted = 0
    try:
        while True:
            fitted += os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    # One more byte from a blocking writer: it sleeps in the kernel until there is room.
    writer = os.fork()
    if writer == 0:
        os.close(r)
        os.set_blocking(w, True)
        os.write(w, b"y")
        os._exit(0)
    for _ in range(100):
        if state_of(writer) == "S":
            break
        time.sleep(0.01)
    time.sleep(0.05)
    blocked = {"state": state_of(writer), "wchan": wchan_of(writer)}
    os.read(r, 4096)  # room: the writer's write() returns and it exits
    _, st = os.waitpid(writer, 0)
    blocked["exit_after_read"] = os.waitstatus_to_exitcode(st)
    os.close(w)  # the last write end: once the pipe is empty, read() returns 0
    left = 0
    while chunk := os.read(r, 65536):
        left += len(chunk)
    eof = os.read(r, 1) == b""
    os.close(r)
    with open("/proc/sys/fs/pipe-max-size") as f:
        max_size = int(f.read())
    print(
        json.dumps(
            {
                "f_getpipe_sz": size,
                "nonblocking_write_fits": fitted,
                "pipe_buf": pipe_buf,
                "pipe_max_size": max_size,
                "blocked_writer": blocked,
                "bytes_read_before_eof": left,
                "eof_after_last_writer_closed": eof,
            }
        )
    )


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "run":
        run(sys.argv[2])
    elif cmd == "statuses":
        statuses()
    elif cmd == "capacity":
        capacity()
    else:
        sys.exit(f"unknown experiment {cmd}")
