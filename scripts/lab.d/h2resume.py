#!/usr/bin/python3
"""The sessions widget's http2-resume scenario, for real: an L7 balancer that terminates TLS 1.3 and
HTTP/2 on the VIP 203.0.113.10:443 and a browser that speaks HTTP/2 to it and resumes TLS with the
ticket of its first connection. Started by balance.py's `run` (it starts the backends A and B, the
capture and this file's two parts in their namespaces); run by Debian's /usr/bin/python3, whose
python3-h2 (the hyper project's HTTP/2 state machine: frames, HPACK, stream ids, flow control) it uses.

    h2resume.py proxy LOG CERT    the balancer, in the router: prints "ready", then serves until killed
    h2resume.py client LOG CERT   the browser, in the client's namespace: the widget's requests, then exits

What the wire cannot show is logged here (both parts append one JSON object per line to LOG, which
balance.py writes beside the capture as OUT.txt): TLS 1.3 encrypts everything after the ServerHello —
the certificate, the ALPN the server chose (EncryptedExtensions), the HTTP/2 frames and so the stream
ids and the GOAWAY. The balancer logs, per connection, the client's address and port, the TLS version,
the ALPN protocol, whether the handshake resumed a session and the certificate's size; per request its
connection, stream id, line, backend, and the streams it had open at once; and its idle GOAWAY.

The balancer: TLS 1.3 only, ALPN h2, OpenSSL's default tickets (two NewSessionTickets after a full
handshake, keys per SSL_CTX, so any of its connections can resume). Each request goes on a new HTTP/1.1
connection of its own to the backend the round robin picks (balance.py's backends, sessions in a shared
store), its response back on the request's stream. A connection idle for IDLE_S gets a GOAWAY, TLS's
close_notify and a FIN, in that order (RFC 9113 §6.8, RFC 8446 §6.1).

Both ends set TCP_NODELAY, as browsers and HTTP/2 servers do: HTTP/2's small frames (SETTINGS, its ACK,
a request's HEADERS) would otherwise wait on Nagle's algorithm for a delayed ACK (40 ms on Linux).

The browser: one connection; the login alone on stream 1, then the rest of the widget's first group at
once (streams 3, 5, 7 in one write); a pause of PAUSE_S in which it answers the balancer's GOAWAY by
closing; then a new connection offering the saved session (its ticket: TLS 1.3 resumption, RFC 8446
§2.2) for the second group, at once too."""
import json
import os
import select
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from balance import BACKENDS, IDLE_S, PAUSE_S, PORT, TLS_PORT, VIP, log, message, read_message  # noqa: E402

# The widget's http2-resume requests (src/widgets/sessions/scenarios.rs: 4 before the pause, 2 after).
BEFORE = ["POST /login", "GET /dashboard", "GET /api/items", "GET /api/news"]
AFTER = ["GET /dashboard", "GET /api/items"]
HOST = "shop.example"


def proxy(logfile, cert):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_3
    tls.load_cert_chain(cert + ".crt", cert + ".key")
    tls.set_alpn_protocols(["h2"])
    with open(cert + ".crt", encoding="ascii") as f:
        cert_bytes = len(ssl.PEM_cert_to_DER_cert(f.read()))
    count = [0]
    lock = threading.Lock()

    def pick():
        with lock:
            count[0] += 1
            return "A" if count[0] % 2 == 1 else "B"

    def forward(name, headers, body, peer):
        """The request on a new HTTP/1.1 connection to backend `name`: (status, headers, body)."""
        method, path = headers[":method"], headers[":path"]
        out = [("Host", headers.get(":authority", HOST))]
        if headers.get("cookie"):
            out.append(("Cookie", headers["cookie"]))
        if body:
            out += [("Content-Type", headers.get("content-type", "")), ("Content-Length", str(len(body)))]
        out += [("Forwarded", f"for={peer[0]}"), ("Connection", "close")]
        up = socket.create_connection((BACKENDS[name], PORT), timeout=5)
        up.sendall(message(f"{method} {path} HTTP/1.1", out, body))
        reply, _ = read_message(up, b"")
        up.close()
        return reply

    def handle(raw, peer):
        conn_name = f"{peer[0]}:{peer[1]}"
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(5)
            conn = tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        resumed = conn.session_reused
        log(logfile, proxy=conn_name, tls=conn.version(), alpn=conn.selected_alpn_protocol(), resumed=resumed,
            cert_bytes=0 if resumed else cert_bytes)
        h = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        h.initiate_connection()
        conn.sendall(h.data_to_send())
        conn.settimeout(IDLE_S)
        streams = {}
        try:
            while True:
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    # Idle: GOAWAY naming the last stream it processed, then close_notify and the FIN.
                    h.close_connection()
                    conn.sendall(h.data_to_send())
                    log(logfile, proxy=conn_name, goaway=h.highest_inbound_stream_id, error="NO_ERROR",
                        idle_s=IDLE_S)
                    close_first(conn)
                    return
                if not data:
                    conn = conn.unwrap()  # the browser's close_notify: answer it with ours
                    break
                ready = []
                for ev in h.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        streams[ev.stream_id] = [dict(ev.headers), b""]
                        # HTTP/2 may split Cookie into one field per pair (RFC 9113 §8.2.3): join them again.
                        cookies = [v for k, v in ev.headers if k == "cookie"]
                        if cookies:
                            streams[ev.stream_id][0]["cookie"] = "; ".join(cookies)
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id][1] += ev.data
                        h.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        ready.append(ev.stream_id)
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        break
                # Every request that arrived in this read was open at once; each is answered in turn.
                for sid in ready:
                    headers, body = streams.pop(sid)
                    name = pick()
                    status, rheaders, rbody = forward(name, headers, body, peer)
                    log(logfile, proxy=conn_name, stream=sid, request=f"{headers[':method']} {headers[':path']}",
                        backend=name, open=ready)
                    keep = [(k.lower(), v) for k, v in rheaders if k.lower() not in ("connection", "content-length")]
                    h.send_headers(sid, [(":status", status.split()[1]), *keep, ("content-length", str(len(rbody)))])
                    h.send_data(sid, rbody, end_stream=True)
                conn.sendall(h.data_to_send())
        except (OSError, ssl.SSLError):
            pass
        conn.close()

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((VIP, TLS_PORT))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        raw, peer = srv.accept()
        threading.Thread(target=handle, args=(raw, peer), daemon=True).start()


def close_first(conn):
    """The side closing first: close_notify without waiting for the peer's (OpenSSL's first
    SSL_shutdown), the TCP FIN, then the peer's bytes read to their end."""
    conn.setblocking(False)
    try:
        conn.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLError, OSError):
        pass
    try:
        conn.shutdown(socket.SHUT_WR)  # drops TLS (close_notify is out) and sends the FIN
        conn.settimeout(2)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    conn.close()


class Browser:
    """One HTTP/2 connection of the browser: its TLS socket, h2 state, and the log."""

    def __init__(self, ctx, n, session, logfile):
        raw = socket.create_connection((VIP, TLS_PORT), timeout=5)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname=HOST, session=session)
        self.n, self.logfile = n, logfile
        log(logfile, conn=n, port=self.sock.getsockname()[1], tls=self.sock.version(),
            alpn=self.sock.selected_alpn_protocol(), resumed=self.sock.session_reused, offered_ticket=session is not None)
        self.h = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h.initiate_connection()
        self.sock.sendall(self.h.data_to_send())
        self.goaway = None

    def requests(self, lines, jar):
        """Sends `lines` at once, each on a stream of its own, and waits for every response."""
        pending = {}
        for line in lines:
            method, path = line.split()
            sid = self.h.get_next_available_stream_id()
            body = b"user=alice" if method == "POST" else b""
            headers = [(":method", method), (":path", path), (":scheme", "https"), (":authority", HOST)]
            if jar:
                headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
            if body:
                headers += [("content-type", "application/x-www-form-urlencoded"), ("content-length", str(len(body)))]
            self.h.send_headers(sid, headers, end_stream=not body)
            if body:
                self.h.send_data(sid, body, end_stream=True)
            pending[sid] = [line, None]
        self.sock.sendall(self.h.data_to_send())
        while any(status is None for _, status in pending.values()):
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the balancer closed the connection mid-request")
            for ev in self.h.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    headers = dict(ev.headers)
                    pending[ev.stream_id][1] = headers
                    for k, v in ev.headers:
                        if k == "set-cookie":
                            name, _, value = v.split(";")[0].partition("=")
                            jar[name] = value
                elif isinstance(ev, h2.events.DataReceived):
                    self.h.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            self.sock.sendall(self.h.data_to_send())
        for sid, (line, headers) in pending.items():
            log(self.logfile, conn=self.n, stream=sid, request=line, status=headers[":status"],
                backend=headers.get("x-backend"))

    def idle(self, seconds):
        """Reads for `seconds`: a GOAWAY (or the balancer's close) ends the connection, which the browser
        then closes too. True when it is still open."""
        end = time.monotonic() + seconds
        while self.sock is not None and time.monotonic() < end:
            r, _, _ = select.select([self.sock], [], [], max(0.0, end - time.monotonic()))
            if not r:
                continue
            data = self.sock.recv(65536)
            for ev in self.h.receive_data(data) if data else []:
                if isinstance(ev, h2.events.ConnectionTerminated):
                    self.goaway = ev.last_stream_id
                    log(self.logfile, conn=self.n, goaway=ev.last_stream_id, error=ev.error_code.name)
            if not data or self.goaway is not None:
                self.close()
        time.sleep(max(0.0, end - time.monotonic()))
        return self.sock is not None

    def close(self):
        """TLS's close_notify (answering the balancer's, or first), then the FIN."""
        try:
            self.sock.settimeout(2)
            self.sock = self.sock.unwrap()
        except (ssl.SSLError, OSError):
            pass
        self.sock.close()
        self.sock = None


def client(logfile, cert):
    ctx = ssl.create_default_context(cafile=cert + ".crt")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["h2"])
    jar = {}
    first = Browser(ctx, 1, None, logfile)
    first.requests(BEFORE[:1], jar)
    first.requests(BEFORE[1:], jar)
    # The tickets came after the handshake (NewSessionTicket); the session holds one by now.
    session = first.sock.session
    log(logfile, conn=1, ticket=session.has_ticket, ticket_lifetime_s=session.ticket_lifetime_hint)
    if first.idle(PAUSE_S):
        raise SystemExit("the balancer kept connection 1 open through the pause")
    second = Browser(ctx, 2, session, logfile)
    second.requests(AFTER, jar)
    second.close()


def main():
    role, logfile, cert = sys.argv[1:4]
    if role == "proxy":
        proxy(logfile, cert)
    elif role == "client":
        client(logfile, cert)


if __name__ == "__main__":
    main()
