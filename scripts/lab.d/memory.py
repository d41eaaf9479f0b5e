#!/usr/bin/env python3
"""The lab's memory experiments for the race and procmem widgets, each printing one JSON object of what
the kernel did.

    memory.py cow          `counter++` in parent and child after fork, on a private page: what each sees
                           afterwards, in both orders; and the page's physical frame from
                           /proc/PID/pagemap (root only) — shared after fork, copied on the child's
                           write, kept by the parent when it then writes as the page's last user
    memory.py maps         /proc/PID/maps of a running sleep(1): the order of its regions (the program's
                           file mappings, [heap], shared libraries, [stack])
    memory.py fork|exec|thread [cloexec] [handler|ignore|default]
                           the widget's process — fd 3 a log, fd 4 a socket (close-on-exec or not),
                           SIGINT caught, ignored or default, SIGPIPE ignored, SIGUSR1 blocked, in a
                           scratch cwd — then fork, execve (of sleep) or a second thread; every
                           component as /proc shows it before and after
"""
import ctypes
import fcntl
import json
import mmap
import os
import pty
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

PAGE = mmap.PAGESIZE


def pfn(pid, addr):
    """The physical frame behind addr in PID (bits 0-54 of its pagemap entry; 0 without CAP_SYS_ADMIN)."""
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        f.seek(addr // PAGE * 8)
        entry = struct.unpack("<Q", f.read(8))[0]
    return entry & ((1 << 55) - 1) if entry >> 63 else None


def cow():
    def run(child_first):
        page = mmap.mmap(-1, PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        counter = ctypes.c_long.from_buffer(page)
        addr = ctypes.addressof(counter)
        counter.value = 0  # touched: the page is present
        parent_pfn = pfn(os.getpid(), addr)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(to_child_w)
            os.close(from_child_r)
            if not child_first:
                os.read(to_child_r, 1)  # the parent goes first
            before = pfn(os.getpid(), addr)
            r = counter.value  # load, add, store
            counter.value = r + 1
            after = pfn(os.getpid(), addr)
            os.write(from_child_w, json.dumps([counter.value, before, after]).encode())
            os.read(to_child_r, 1)  # stays alive until the parent is done looking
            os._exit(0)
        os.close(to_child_r)
        os.close(from_child_w)
        if child_first:
            child_value, child_before, child_after = json.loads(os.read(from_child_r, 4096))
        mine_before = pfn(os.getpid(), addr)
        r = counter.value
        counter.value = r + 1
        mine_after = pfn(os.getpid(), addr)
        if not child_first:
            os.write(to_child_w, b".")
            child_value, child_before, child_after = json.loads(os.read(from_child_r, 4096))
        os.write(to_child_w, b".")
        os.waitpid(child, 0)
        result = {"child_first": child_first, "parent_value": counter.value, "child_value": child_value}
        del counter
        page.close()
        if parent_pfn:
            if child_first:
                result["shared_after_fork"] = child_before == parent_pfn
                result["copied_on_first_write"] = child_after != parent_pfn
                result["last_user_writes_in_place"] = mine_after == mine_before == parent_pfn
            else:
                result["shared_after_fork"] = mine_before == parent_pfn
                result["copied_on_first_write"] = mine_after != parent_pfn
                result["last_user_writes_in_place"] = child_after == child_before == parent_pfn
        return result

    print(json.dumps({"start": 0, "runs": [run(True), run(False)], "root": os.geteuid() == 0}))


def maps():
    child = os.fork()
    if child == 0:
        os.execvp("sleep", ["sleep", "5"])
    try:
        for _ in range(200):
            if os.readlink(f"/proc/{child}/exe").endswith("sleep"):
                break
            time.sleep(0.005)
        time.sleep(0.05)
        exe = os.readlink(f"/proc/{child}/exe")
        with open(f"/proc/{child}/maps") as f:
            lines = f.read().splitlines()
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    regions = []
    for line in lines:
        parts = line.split()
        path = parts[5] if len(parts) > 5 else ""
        if path == exe:
            kind = {"r-xp": "text", "rw-p": "data"}.get(parts[1], "rodata")
        elif path == "[heap]":
            kind = "heap"
        elif path == "[stack]":
            kind = "stack"
        elif ".so" in path:
            kind = "lib"
        elif path.startswith("["):
            kind = path  # [vvar], [vdso], [vsyscall]
        elif path:
            kind = "file"  # mapped data files (locale archives)
        else:
            kind = "anon"
        regions.append({"kind": kind, "perms": parts[1], "start": parts[0].split("-")[0]})
    print(json.dumps({"program": os.path.basename(exe), "regions": regions}))


# ---- fork, execve, a thread -----------------------------------------------------------------------

WATCHED = {"SIGINT": 2, "SIGPIPE": 13, "SIGUSR1": 10, "SIGTERM": 15}


def masks(path):
    with open(path) as f:
        st = dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)

    def names(key):
        m = int(st[key], 16)
        return sorted(n for n, s in WATCHED.items() if m >> (s - 1) & 1)

    return {"caught": names("SigCgt"), "ignored": names("SigIgn"), "blocked": names("SigBlk"), "uid": st["Uid"].split()[0], "gid": st["Gid"].split()[0]}


def view(pid, tid=None):
    """The process (seen from thread tid) as /proc shows it."""
    fds = {}
    for fd in range(5):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:"):
            target = "socket"
        elif target.endswith("server.log"):
            target = "log"
        elif target.startswith("/dev/pts/"):
            target = "tty"
        fds[str(fd)] = target
    with open(f"/proc/{pid}/stat") as f:
        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    tid = tid or pid
    with open(f"/proc/{pid}/maps") as f:
        maps = f.read().splitlines()
    status = masks(f"/proc/{pid}/task/{tid}/status")
    return {
        "pid": pid,
        "ppid": ppid,
        "tid": tid,
        "exe": os.path.basename(os.readlink(f"/proc/{pid}/exe")),
        "fds": fds,
        "cwd": os.readlink(f"/proc/{pid}/cwd"),
        "creds": f"{status['uid']}/{status['gid']}",
        "caught": status["caught"],
        "ignored": status["ignored"],
        "blocked": status["blocked"],
        "maps": len(maps),
        "text": next((l.split()[0] for l in maps if " r-xp " in l), ""),
        "stack": stack_of(pid, tid, maps),
    }


def stack_of(pid, tid, maps):
    """The mapping that holds thread tid's stack pointer (field 29 kstkesp is 0 nowadays, so: the main
    thread's is [stack]; another's is the anonymous mapping its pthread stack lives in)."""
    if tid == pid:
        return next((l.split()[0] + " [stack]" for l in maps if l.endswith("[stack]")), "?")
    for _ in range(200):  # until the thread sleeps in a system call ("running" has no registers)
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            fields = f.read().split()
        if len(fields) > 2:
            break
        time.sleep(0.005)
    sp = int(fields[-2], 16)
    for line in maps:
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if lo <= sp < hi:
            return line.split()[0]
    return "?"


def place(fd, target, inheritable):
    """Moves fd to number target, with or without close-on-exec."""
    if fd != target:
        os.dup2(fd, target)
        os.close(fd)
    os.set_inheritable(target, inheritable)


def high(fd):
    """fd moved above the widget's 0-4, close-on-exec."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


def setup(cloexec, sigint):
    """The widget's server: fd 3 a log, fd 4 a socket, SIGINT as asked, SIGPIPE ignored, SIGUSR1 blocked."""
    scratch = tempfile.mkdtemp(prefix="lab-procmem-")
    os.chdir(scratch)
    place(os.open("server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 3, True)
    place(socket.socket().detach(), 4, not cloexec)
    signal.signal(signal.SIGINT, {"handler": lambda *_: None, "ignore": signal.SIG_IGN, "default": signal.SIG_DFL}[sigint])
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    return scratch


def operation(op, cloexec, sigint):
    parent_r, child_w = map(high, os.pipe())  # notes from the server, above fd 4
    go_r, go_w = map(high, os.pipe())  # "go on"; its EOF ends everything
    master, slave = pty.openpty()  # the server's terminal, as the widget's has one
    server = os.fork()
    if server == 0:
        os.close(parent_r)
        os.close(go_w)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        os.close(master)
        scratch = setup(cloexec, sigint)
        os.write(child_w, f"{scratch}\n".encode())
        os.read(go_r, 1)
        if op == "fork":
            child = os.fork()
            if child == 0:
                os.read(go_r, 1)
                os._exit(0)
            os.write(child_w, f"{child}\n".encode())
            os.waitpid(child, 0)
        elif op == "exec":
            os.execvp("sleep", ["sleep", "10"])
        else:
            stop = threading.Event()
            t = threading.Thread(target=stop.wait)
            t.start()
            os.write(child_w, f"{t.native_id}\n".encode())
            os.read(go_r, 1)
            stop.set()
            t.join()
        os._exit(0)
    os.close(child_w)
    os.close(go_r)
    os.close(slave)
    notes = os.fdopen(parent_r)
    scratch = notes.readline().strip()
    try:
        before = view(server)
        with open(f"/proc/{server}/maps") as f:
            before_maps = f.read().splitlines()
        os.write(go_w, b".")
        if op == "fork":
            after = view(int(notes.readline()))
        elif op == "exec":
            for _ in range(300):
                if os.readlink(f"/proc/{server}/exe").endswith("sleep"):
                    break
                time.sleep(0.005)
            after = view(server)
        else:
            tid = int(notes.readline())
            after = view(server, tid)
            # The new thread's stack is a mapping of its own; the process has two threads now.
            after["threads"] = len(os.listdir(f"/proc/{server}/task"))
            with open(f"/proc/{server}/maps") as f:
                now = f.read().splitlines()
            after["new_mappings"] = [l.split()[1] for l in now if l not in before_maps]
        print(json.dumps({"op": op, "cloexec": cloexec, "sigint": sigint, "before": before, "after": after}))
    finally:
        os.close(go_w)  # EOF: the server (and its child or thread) end
        for _ in range(200):
            if os.waitpid(server, os.WNOHANG)[0]:
                break
            time.sleep(0.01)
        else:
            os.kill(server, signal.SIGKILL)
            os.waitpid(server, 0)
        os.close(master)
        for name in os.listdir(scratch):
            os.unlink(os.path.join(scratch, name))
        os.rmdir(scratch)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "cow":
        cow()
    elif cmd == "maps":
        maps()
    elif cmd in ("fork", "exec", "thread"):
        operation(cmd, sys.argv[2] == "cloexec", sys.argv[3])
    else:
        sys.exit(f"unknown experiment {cmd}")
