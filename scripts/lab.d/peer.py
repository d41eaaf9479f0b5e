#!/usr/bin/env python3
"""The lab's TCP peers: a listener and a client that do exactly what a handshake scenario needs,
with the timing the model describes (who closes first, how long each side waits).

    peer.py listen ADDR PORT [--close-delay S] [--timeout S]
                                                   accept one connection, read until EOF (or until S
                                                   seconds pass without data), wait, close
    peer.py connect ADDR PORT [--wait S] [--send N] [--linger S]
    peer.py ftp ADDR MODE                          download file.txt in active, passive or epsv mode
    peer.py ping ADDR                              one ICMP (or ICMPv6) Echo Request, 1 s for the reply:
                                                   prints "answered" or "unanswered"

ADDR may be IPv6 (it contains a colon).

Exit status 0 when the exchange happened as planned; a refused connection prints REFUSED and exits 0
too, since the closed-port scenario expects it."""
import os
import socket
import struct
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(addr, port, close_delay, timeout):
    s = socket.socket(family(addr))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(30)
    conn, _ = s.accept()
    conn.settimeout(timeout)
    total = 0
    while True:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            break  # a black hole: the rest never comes
        if not data:
            break
        total += len(data)
    # The client closed first (its FIN arrived): wait, so our ACK of its FIN and our own FIN
    # leave as two segments, as in RFC 9293 Fig. 12.
    time.sleep(close_delay)
    conn.close()
    s.close()
    print(f"received {total}")


def connect(addr, port, wait, send, linger):
    s = socket.socket(family(addr))
    s.settimeout(30)
    try:
        s.connect((addr, port))
    except ConnectionRefusedError:
        print("REFUSED")
        return
    time.sleep(wait)
    if send:
        s.sendall(b"x" * send)
    time.sleep(linger)
    s.close()
    print("closed")


def ping(addr):
    """One Echo Request (type 8, or ICMPv6 128 — whose checksum the kernel fills in) and whether its
    Echo Reply (0, or 129) comes back within a second."""
    v6 = ":" in addr
    s = socket.socket(family(addr), socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.settimeout(1)
    ident, payload = os.getpid() & 0xFFFF, b"infra-dojo lab ping".ljust(56, b".")
    kind, reply = (128, 129) if v6 else (8, 0)
    head = struct.pack("!BBHHH", kind, 0, 0, ident, 1)
    if not v6:
        data = head + payload
        total = sum(struct.unpack(f"!{len(data) // 2}H", data))
        total = (total >> 16) + (total & 0xFFFF)
        head = struct.pack("!BBHHH", kind, 0, ~(total + (total >> 16)) & 0xFFFF, ident, 1)
    s.sendto(head + payload, (addr, 0))
    end = time.monotonic() + 1
    while time.monotonic() < end:
        try:
            packet = s.recv(2048)
        except socket.timeout:
            break
        icmp = packet if v6 else packet[(packet[0] & 0xF) * 4:]
        if icmp[0] == reply and struct.unpack("!H", icmp[4:6])[0] == ident:
            print("answered")
            return
    print("unanswered")


def ftp(addr, mode):
    """One anonymous download, printing each reply, as the FTP widget's client does it: PORT for
    active, PASV for passive, EPSV (RFC 2428) for extended passive."""
    import ftplib

    class Client(ftplib.FTP):
        def makepasv(self):
            if mode == "epsv":
                return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())
            return super().makepasv()

    c = Client()
    c.connect(addr, 21, timeout=15)
    c.login()
    c.set_pasv(mode != "active")
    try:
        c.retrbinary("RETR file.txt", lambda data: None)
        print("OK")
    except ftplib.all_errors as e:
        print(f"FAILED {e}")
    try:
        c.quit()
    except ftplib.all_errors:
        c.close()


def main(argv):
    if argv[1] == "ftp":
        ftp(argv[2], argv[3])
        return
    if argv[1] == "ping":
        ping(argv[2])
        return
    opts = {"--close-delay": 0.3, "--wait": 0.0, "--send": 100, "--linger": 0.3, "--timeout": 30.0}
    cmd, addr, port, rest = argv[1], argv[2], int(argv[3]), argv[4:]
    for i in range(0, len(rest), 2):
        opts[rest[i]] = float(rest[i + 1])
    if cmd == "listen":
        listen(addr, port, opts["--close-delay"], opts["--timeout"])
    elif cmd == "connect":
        connect(addr, port, opts["--wait"], int(opts["--send"]), opts["--linger"])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
