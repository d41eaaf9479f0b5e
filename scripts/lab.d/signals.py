#!/usr/bin/env python3
"""The lab's signal experiments, each printing one JSON object of what the kernel (and bash) did, for
`lab_check` to hold against the signals widget's model.

    signals.py table           for each of the widget's signals: its number here; what it does to a
                               process that left it at the default (sleep(1), core files allowed in a
                               scratch directory); whether sigaction can catch or ignore it and
                               sigprocmask block it (/proc/self/status SigBlk)
    signals.py bash            the dispositions of an interactive bash on a pty (SigIgn, SigCgt)
    signals.py run SCENARIO    the scenario with a real interactive bash on a pty (job control on): a
                               foreground `cat FIFO | sigprog.py grep …` and a background job, or two
                               background jobs; Ctrl-C, Ctrl-Z, Ctrl-\\ typed on the terminal, kill,
                               bg typed at the prompt; after each, every process's state and pending
                               signals (/proc/PID/status) and the terminal's foreground group (tpgid);
                               at the end the statuses bash reports. SCENARIO as the widget stores it:
                               ctrl-c, ctrl-c+catch, kill+block…
"""
import json
import os
import pty
import re
import resource
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIGNALS = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGTERM", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP"]
PROMPT = "LABPROMPT$ "


def status_of(pid):
    """/proc/PID/status as a dict, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return None


def names(mask_hex):
    mask = int(mask_hex, 16)
    return [s for s in SIGNALS if mask >> (getattr(signal, s) - 1) & 1]


def snap(pid, dispositions=True):
    """State and pending signals of PID; with `dispositions`, its mask, ignored and caught signals."""
    st = status_of(pid)
    if st is None:
        return {"state": "gone"}
    out = {
        "state": st["State"].split()[0],
        "pending": sorted(set(names(st["SigPnd"]) + names(st["ShdPnd"]))),
    }
    if dispositions:
        out.update(blocked=names(st["SigBlk"]), ignored=names(st["SigIgn"]), caught=names(st["SigCgt"]))
    return out


# ---- table ---------------------------------------------------------------------------------------


def default_action(name, scratch):
    sig = getattr(signal, name)
    child = os.fork()
    if child == 0:
        os.chdir(scratch)
        # Core files allowed (small: sleep's), so that "Core" can be told from "Term".
        resource.setrlimit(resource.RLIMIT_CORE, (1 << 20, resource.RLIM_INFINITY))
        os.execvp("sleep", ["sleep", "30"])
    for _ in range(200):
        try:
            if os.readlink(f"/proc/{child}/exe").endswith("sleep"):
                break
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    if sig == signal.SIGCONT:
        os.kill(child, signal.SIGSTOP)
        os.waitpid(child, os.WUNTRACED)
    os.kill(child, sig)
    action = "ign"
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        pid, st = os.waitpid(child, os.WNOHANG | os.WUNTRACED | os.WCONTINUED)
        if pid:
            if os.WIFSIGNALED(st):
                action = "core" if os.WCOREDUMP(st) else "term"
            elif os.WIFSTOPPED(st):
                action = "stop"
            elif os.WIFCONTINUED(st):
                action = "cont"
            break
        time.sleep(0.01)
    if action not in ("term", "core"):
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    return action


def table():
    scratch = tempfile.mkdtemp(prefix="lab-signals-")
    rows = []
    try:
        for name in SIGNALS:
            sig = getattr(signal, name)
            row = {"signal": name, "number": int(sig), "default": default_action(name, scratch)}
            for what, disp in (("catch", lambda *_: None), ("ignore", signal.SIG_IGN)):
                try:
                    old = signal.signal(sig, disp)
                    signal.signal(sig, old)
                    row[what] = "ok"
                except OSError as e:
                    row[what] = os.strerror(e.errno)
            signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
            row["blocked_in_mask"] = name in snap(os.getpid())["blocked"]
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
            rows.append(row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"machine": os.uname().machine, "signals": rows}))


# ---- a real interactive bash on a pty --------------------------------------------------------------


class Bash:
    def __init__(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "dumb", "PS1": PROMPT, "HOME": "/"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # The widget's shell: core files off as `ulimit -c 0` (no core lands anywhere).
            resource.setrlimit(resource.RLIMIT_CORE, (0, resource.RLIM_INFINITY))
            os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
        self.out = ""
        self.until(PROMPT)

    def read(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                os.set_blocking(self.fd, False)
                chunk = os.read(self.fd, 65536).decode(errors="replace")
            except (BlockingIOError, OSError):
                chunk = ""
            if chunk:
                self.out += chunk
                return
            time.sleep(0.01)

    def until(self, text, timeout=5, start=None):
        start = len(self.out) if start is None else start
        end = time.monotonic() + timeout
        while text not in self.out[start:] and time.monotonic() < end:
            self.read(0.05)
        if text not in self.out[start:]:
            raise RuntimeError(f"bash did not print {text!r}: {self.out[-500:]!r}")
        return self.out[start:]

    def type(self, line, wait_prompt=True):
        start = len(self.out)
        os.write(self.fd, (line + "\n").encode())
        if wait_prompt:
            self.until(PROMPT, start=start)

    def result(self, line):
        """Types LINE, which echoes "ST …", and returns the line it printed."""
        start = len(self.out)
        os.write(self.fd, (line + "\n").encode())
        end = time.monotonic() + 5
        while time.monotonic() < end:
            found = re.search(r"^ST [0-9 ]+$", self.out[start:].replace("\r", ""), re.M)
            if found:
                return found.group(0)
            self.read(0.05)
        raise RuntimeError(f"bash did not answer {line!r}: {self.out[-500:]!r}")

    def key(self, ch):
        os.write(self.fd, ch.encode())

    def children(self):
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if ppid == self.pid:
                out[int(entry)] = [a.decode() for a in argv if a]
        return out

    def foreground(self):
        with open(f"/proc/{self.pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[5])

    def close(self):
        for pid in self.children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def role_of(argv):
    if argv[:1] == ["cat"]:
        return "cat"
    if argv[:1] == ["sleep"]:
        return "sleep"
    if len(argv) > 2 and argv[1].endswith("sigprog.py"):
        return argv[2]
    return None


def run(stored):
    scenario, _, handler = stored.partition("+")
    handler = handler or "default"
    tmp = tempfile.mkdtemp(prefix="lab-signals-")
    fifo = os.path.join(tmp, "app.log")
    os.mkfifo(fifo)
    hold = os.open(fifo, os.O_RDWR)  # cat's log: it waits in read(), never at the terminal
    sh = Bash()
    prog = f"python3 {HERE}/sigprog.py"
    keyboard = scenario in ("ctrl-c", "ctrl-z", "ctrl-backslash")
    pids = {"bash": sh.pid}
    steps = []

    def world(dispositions=False):
        snaps = {role: snap(pid, dispositions) for role, pid in pids.items()}
        fg = sh.foreground()
        fg_role = next((r for r, p in pids.items() if p == fg), f"pgid {fg}")
        handled = {role: sh.out.count(f"HANDLED {role} ") for role in pids}
        return {"procs": snaps, "foreground": fg_role, "handled": handled}

    def settle():
        """Until nothing changes for 0.2 s and no job is a zombie (at most 5 s): signals delivered, bash
        done reaping. bash reaps its jobs as soon as it runs, so a zombie is a moment in which a loaded
        machine has not scheduled bash yet, not something a scenario shows."""
        last, stable = None, 0
        end = time.monotonic() + 5
        while time.monotonic() < end:
            sh.read(0.05)
            now = world()
            stable = stable + 1 if now == last else 0
            reaped = all(p.get("state") != "Z" for p in now["procs"].values())
            if stable >= 4 and reaped:
                break
            last = now
        return last

    def step(action, do):
        do()
        w = settle()
        w["action"] = action
        steps.append(w)

    try:
        if keyboard:
            sh.type(f"{prog} server SIGTERM default &")
            sh.until("READY server")
            sh.type(f"cat {fifo} | {prog} grep SIGINT {handler}", wait_prompt=False)
            sh.until("READY grep")
        else:
            sh.type(f"{prog} server SIGTERM {handler} &")
            sh.until("READY server")
            sh.type("sleep 300 &")
        want = {"server", "cat", "grep"} if keyboard else {"server", "sleep"}
        for _ in range(300):  # until every job has exec'd its program
            for pid, argv in sh.children().items():
                role = role_of(argv)
                if role:
                    pids[role] = pid
            if want <= pids.keys():
                break
            time.sleep(0.01)
        settle()
        initial = world(dispositions=True)
        server = pids["server"]
        if scenario == "ctrl-c":
            step("Ctrl-C", lambda: sh.key("\x03"))
            if handler == "block":
                step("unblock", lambda: os.kill(pids["grep"], signal.SIGUSR1))
        elif scenario == "ctrl-z":
            step("Ctrl-Z", lambda: sh.key("\x1a"))
            step("bg", lambda: sh.type("bg"))
            step("Ctrl-C", lambda: sh.key("\x03"))
        elif scenario == "ctrl-backslash":
            step("Ctrl-\\", lambda: sh.key("\x1c"))
        elif scenario == "kill":
            step(f"kill {server}", lambda: sh.type(f"kill {server}"))
            if handler == "block":
                step("unblock", lambda: os.kill(server, signal.SIGUSR1))
            elif snap(server)["state"] != "gone":
                step(f"kill -9 {server}", lambda: sh.type(f"kill -9 {server}"))
        elif scenario == "stop-cont":
            step(f"kill -STOP {server}", lambda: sh.type(f"kill -STOP {server}"))
            step(f"kill -CONT {server}", lambda: sh.type(f"kill -CONT {server}"))
        else:
            raise SystemExit(f"unknown scenario {scenario}")
        # The statuses as bash reports them.
        statuses = {}
        if scenario in ("ctrl-c", "ctrl-backslash"):
            line = sh.result('echo "ST ${PIPESTATUS[*]}"')
            statuses["cat"], statuses["grep"] = map(int, line.split()[1:3])
        elif scenario == "kill":
            line = sh.result(f'wait {server}; echo "ST $?"')
            statuses["server"] = int(line.split()[1])
        print(
            json.dumps(
                {
                    "scenario": scenario,
                    "handler": handler,
                    "initial": initial,
                    "steps": steps,
                    "statuses": statuses,
                    "core_dumped_said": "core dumped" in sh.out,
                }
            )
        )
    finally:
        sh.close()
        os.close(hold)
        shutil.rmtree(tmp, ignore_errors=True)


def bash_dispositions():
    sh = Bash()
    try:
        print(json.dumps({"bash": snap(sh.pid)}))
    finally:
        sh.close()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "table":
        table()
    elif cmd == "bash":
        bash_dispositions()
    elif cmd == "run":
        run(sys.argv[2])
    else:
        sys.exit(f"unknown experiment {cmd}")
