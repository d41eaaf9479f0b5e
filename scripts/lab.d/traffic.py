#!/usr/bin/env python3
"""Bulk traffic for the SNMP poll: something for eth0's counter to count.

    traffic.py sink ADDR PORT      accept connections for ever, read each to its end and discard it
    traffic.py send ADDR PORT N    send N bytes over one TCP connection and return once the sink has
                                   read them all (it closes after our FIN), so the receiving interface's
                                   counter has moved by all of them when this exits

The lab's `fill` (scripts/lab) calls `send` until the server's s0 has received the octets the model's
interval moves, reading the counter the agent reads (/sys/class/net/s0/statistics/rx_bytes)."""
import socket
import sys

CHUNK = bytes(1 << 20)


def sink(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        while conn.recv(1 << 20):
            pass
        conn.close()


def send(addr, port, n):
    s = socket.create_connection((addr, port), timeout=60)
    while n > 0:
        k = min(n, len(CHUNK))
        s.sendall(CHUNK[:k])
        n -= k
    s.shutdown(socket.SHUT_WR)
    # The sink closes after reading everything: EOF here means every byte has arrived.
    s.recv(1)
    s.close()


def main(argv):
    if argv[1] == "sink":
        sink(argv[2], int(argv[3]))
    elif argv[1] == "send":
        send(argv[2], int(argv[3]), int(argv[4]))
    else:
        sys.exit(f"traffic.py: unknown command {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
