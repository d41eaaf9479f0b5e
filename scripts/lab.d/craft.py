#!/usr/bin/env python3
"""Sends one hand-made IPv4 packet from the namespace it runs in, so the lab can walk a firewall model
packet by packet (the conntrack widget's steps) without the end hosts' own TCP stacks answering.

    craft.py tcp SRC SPORT DST DPORT FLAGS SEQ ACK [PAYLOAD]   FLAGS: any of S A F R P, or -
    craft.py udp SRC SPORT DST DPORT [PAYLOAD]
    craft.py icmp-frag-needed SRC DST MTU  QSRC QSPORT QDST QDPORT QSEQ
                                         ICMP 3/4 quoting a TCP segment QSRC:QSPORT → QDST:QDPORT

PAYLOAD is text; \\r and \\n are written as such. A raw socket with IPPROTO_RAW sends the header as
built (IP_HDRINCL), any source address included: the lab gives each sender's address to its namespace,
so replies route back to it."""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_header(src, dst, proto, payload_len, ident=1):
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45, 0, 20 + payload_len, ident, 0x4000, 64, proto, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:]


def pseudo(src, dst, proto, length):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, length)


def tcp_segment(src, sport, dst, dport, flags, seq, ack, payload):
    bits = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}
    f = sum(bits[c] for c in flags if c in bits)
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, f, 64240, 0, 0)
    csum = checksum(pseudo(src, dst, 6, len(header) + len(payload)) + header + payload)
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


def text(s):
    return s.replace("\\r", "\r").replace("\\n", "\n").encode()


def send(src, dst, proto, body):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip_header(src, dst, proto, len(body)) + body, (dst, 0))


def main(a):
    kind = a[1]
    if kind == "tcp":
        src, sport, dst, dport, flags, seq, ack = a[2], int(a[3]), a[4], int(a[5]), a[6], int(a[7]), int(a[8])
        payload = text(a[9]) if len(a) > 9 else b""
        send(src, dst, 6, tcp_segment(src, sport, dst, dport, flags, seq, ack, payload))
    elif kind == "udp":
        src, sport, dst, dport = a[2], int(a[3]), a[4], int(a[5])
        payload = text(a[6]) if len(a) > 6 else b""
        header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        csum = checksum(pseudo(src, dst, 17, 8 + len(payload)) + header + payload) or 0xFFFF
        send(src, dst, 17, header[:6] + struct.pack("!H", csum) + payload)
    elif kind == "icmp-frag-needed":
        src, dst, mtu = a[2], a[3], int(a[4])
        qsrc, qsport, qdst, qdport, qseq = a[5], int(a[6]), a[7], int(a[8]), int(a[9])
        # RFC 792: the offending datagram's IP header and its first 8 bytes (the TCP ports and seq).
        quoted_tcp = tcp_segment(qsrc, qsport, qdst, qdport, "A", qseq, 0, b"")
        quoted = ip_header(qsrc, qdst, 6, 1400 - 20) + quoted_tcp[:8]
        head = struct.pack("!BBHHH", 3, 4, 0, 0, mtu)
        csum = checksum(head + quoted)
        send(src, dst, 1, head[:2] + struct.pack("!H", csum) + head[4:] + quoted)
    else:
        sys.exit(f"unknown packet kind {kind}")


if __name__ == "__main__":
    main(sys.argv)
