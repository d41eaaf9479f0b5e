#!/usr/bin/env python3
"""The program under test in the lab's signal scenarios (scripts/lab.d/signals.py starts it from a real
bash): the widget's `grep` (reads stdin to EOF) or `server` (waits forever), with SIGNAL left at its
default, caught by a handler that prints HANDLED, ignored, or blocked until SIGUSR1 asks it to unblock.

    sigprog.py grep|server SIGNAL default|catch|ignore|block
"""
import os
import signal
import sys
import time

role, name, handler = sys.argv[1:4]
sig = getattr(signal, name)
# Python catches SIGINT itself: the widget's programs start from the default.
signal.signal(signal.SIGINT, signal.SIG_DFL)
unblock = False


def on_usr1(*_):
    global unblock
    unblock = True


if handler == "catch":
    signal.signal(sig, lambda *_: os.write(1, f"HANDLED {role} {name}\n".encode()))
elif handler == "ignore":
    signal.signal(sig, signal.SIG_IGN)
elif handler == "block":
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
os.write(1, f"READY {role} {os.getpid()}\n".encode())


def wait_to_unblock():
    while not unblock:
        time.sleep(0.01)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})  # a pending signal is delivered here


if role == "grep":
    while os.read(0, 65536):
        pass
    # EOF: cat is gone. A blocked signal stays pending until the program unblocks it.
    if handler == "block":
        wait_to_unblock()
    sys.exit(0)
while True:
    if handler == "block" and unblock:
        wait_to_unblock()
    time.sleep(0.02)
