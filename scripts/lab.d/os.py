#!/usr/bin/env python3
"""The lab's OS experiments: real processes doing what the fork-tree widget's scenarios show, each
printing one JSON object of what the kernel did, for `lab_check` to hold against the model.

    os.py fork-loop N          for (i = 0; i < N; i++) fork();  — how many processes, how many children each
    os.py orphan SUBREAPER     sh -c 'sleep 5 &' under a "bash" that is (1) or is not (0) a child subreaper,
                               in a PID namespace of its own so that "init" is ours: who adopts sleep, and is
                               sh a zombie until it is waited for
    os.py exec-pid             does a child keep its PID across execve
    os.py pipeline             cat | grep as a shell builds it: which fds each holds (/proc/PID/fd)
"""
import ctypes
import json
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def state_of(pid):
    """The one-letter state in /proc/PID/stat (proc(5)): R, S, D, T, Z…"""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def ppid_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def wait_all():
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def fork_loop(n):
    r, w = os.pipe()
    root = os.getpid()
    for _ in range(n):
        os.fork()
    # Every process reports itself while its parent is still alive (parents wait for their children).
    os.write(w, f"{os.getpid()} {os.getppid()}\n".encode())
    wait_all()
    if os.getpid() != root:
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    procs = [tuple(map(int, line.split())) for line in data.decode().splitlines()]
    pids = {p for p, _ in procs}
    children = sorted(sum(1 for _, pp in procs if pp == p) for p in pids)
    print(json.dumps({"n": n, "processes": len(procs), "children": children}))


def orphan(subreaper):
    if os.getpid() != 1:
        # Become init of a new PID namespace, so that an orphan without a subreaper comes to us.
        os.execvp("unshare", ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, __file__, "orphan", str(subreaper)])
    r, w = os.pipe()
    bash = os.fork()
    if bash == 0:
        os.close(r)
        if subreaper:
            libc = ctypes.CDLL(None, use_errno=True)
            assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        sh = subprocess.Popen(["sh", "-c", "sleep 5 & echo $!"], stdout=subprocess.PIPE)
        sleep = int(sh.stdout.readline())
        sh.stdout.close()
        # sh has exited but nobody has waited for it yet.
        for _ in range(100):
            if state_of(sh.pid) == "Z":
                break
            time.sleep(0.01)
        sh_state = state_of(sh.pid)
        time.sleep(0.05)
        adopter = ppid_of(sleep)
        sh.wait()
        sh_gone = not os.path.exists(f"/proc/{sh.pid}")
        result = {
            "subreaper": bool(subreaper),
            "sh_state_before_wait": sh_state,
            "sh_gone_after_wait": sh_gone,
            "sleep_adopted_by": "bash" if adopter == os.getpid() else ("init" if adopter == 1 else str(adopter)),
        }
        os.kill(sleep, 9)
        if subreaper:
            os.waitpid(sleep, 0)
        os.write(w, json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    wait_all()  # init reaps bash, and the orphaned sleep if it came here
    print(data.decode())


def exec_pid():
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        os.dup2(w, 1)
        os.write(1, f"{os.getpid()}\n".encode())
        os.execvp("sh", ["sh", "-c", "echo $$"])
    os.close(w)
    out = b""
    while chunk := os.read(r, 65536):
        out += chunk
    os.waitpid(child, 0)
    before, after = map(int, out.decode().split())
    print(json.dumps({"forked_pid": child, "pid_before_exec": before, "pid_after_exec": after}))


def pipe_fds(pid):
    """fd number → target for the fds of PID that are pipes."""
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # the fd listdir itself used, already closed
            continue
        if target.startswith("pipe:"):
            out[int(fd)] = target
    return out


def pipeline():
    # The shell's part: pipe, two forks, dup2 and closes, execs — as the fork-tree's pipeline scenario.
    feed_r, feed_w = os.pipe()  # cat's stdin, held open by us so both stay alive while we look
    pr, pw = os.pipe()
    cat = os.fork()
    if cat == 0:
        os.dup2(feed_r, 0)
        os.dup2(pw, 1)
        for fd in (feed_r, feed_w, pr, pw):
            os.close(fd)
        os.execvp("cat", ["cat"])
    grep = os.fork()
    if grep == 0:
        os.dup2(pr, 0)
        for fd in (feed_r, feed_w, pr, pw):
            os.close(fd)
        devnull = os.open("/dev/null", os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp("grep", ["grep", "Error"])
    os.close(pr)
    os.close(pw)
    os.close(feed_r)
    time.sleep(0.2)  # both have exec'd
    cat_fds, grep_fds = pipe_fds(cat), pipe_fds(grep)
    shell_fds = pipe_fds(os.getpid())
    the_pipe = cat_fds.get(1)
    result = {
        "cat_parent_is_shell": ppid_of(cat) == os.getpid(),
        "grep_parent_is_shell": ppid_of(grep) == os.getpid(),
        "cat_stdout_is_pipe": the_pipe is not None,
        "grep_stdin_is_same_pipe": the_pipe is not None and grep_fds.get(0) == the_pipe,
        "cat_other_ends": sorted(fd for fd, t in cat_fds.items() if t == the_pipe and fd != 1),
        "grep_other_ends": sorted(fd for fd, t in grep_fds.items() if t == the_pipe and fd != 0),
        "shell_holds_pipe": the_pipe in shell_fds.values(),
        "grep_state_while_waiting": state_of(grep),
    }
    os.close(feed_w)  # cat sees EOF, exits; the last writer gone, grep sees EOF and exits
    _, cat_status = os.waitpid(cat, 0)
    _, grep_status = os.waitpid(grep, 0)
    result["cat_exit"] = os.waitstatus_to_exitcode(cat_status)
    result["grep_exit"] = os.waitstatus_to_exitcode(grep_status)
    print(json.dumps(result))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "fork-loop":
        fork_loop(int(sys.argv[2]))
    elif cmd == "orphan":
        orphan(int(sys.argv[2]))
    elif cmd == "exec-pid":
        exec_pid()
    elif cmd == "pipeline":
        pipeline()
    else:
        sys.exit(f"unknown experiment {cmd}")
