#!/usr/bin/env python3
"""The lb-layers and sessions widgets' balancers, for real, through the lab's router.

    balance.py run WIDGET SCENARIO C R S OUT   one scenario (namespaces of client, router, server;
                                               OUT without extension: writes OUT.txt)
    balance.py backend|proxy|client …          the parts, each started by `run` in its namespace

The virtual address 203.0.113.10:80 (the widgets' VIP) is on the router. An L4 balancer is the router's
nftables DNAT (`numgen inc mod 2`: one backend per connection, round robin; or `jhash ip saddr`: one
backend per client address); an L7 balancer is the reverse proxy below (terminating TLS on 443 with a
certificate made for the run, when the scenario is HTTPS), listening on the VIP in the
router: it terminates the client's TCP, reads each HTTP request and opens its own connection to the
backend it picks (round robin per request, a cookie lb=…, the path, or always pool A for the
VIP's address). The backends A 198.51.100.11 and
B 198.51.100.12 are HTTP/1.1 servers in the server's namespace that name themselves (X-Backend) and keep
login sessions in their memory or in a store both read (a directory); they speak plain HTTP.

lb-layers' path-passthrough and host-sni keep TLS end to end: the backends terminate it on 443 (a certificate
for shop.example and api.example, made for the run) and the balancer does not — the L4 DNAT passes the
connection through, or, for host-sni, a pass-through proxy on the router (sni_proxy) accepts the TCP
connection, reads the server name from the ClientHello's server_name extension (RFC 6066 §3), picks the
backend by it (api.example → pool B) and copies the bytes both ways unchanged. host-ech goes through
the same pass-through with the ClientHello encrypted (ECH, RFC 9849): its client and backends are
lab.d/ech (BoringSSL; no TLS library on Debian's side speaks ECH), the backends holding the run's ECH key,
so the balancer reads only the outer SNI, the ECHConfig's public name public.example.

lb-layers' port-db and custom-tcp send PostgreSQL's Query message to VIP:5432 and a game's binary frame to
VIP:7777 through the L4 DNAT (5432 to the DB pool, backend B; 7777 round robin); the backends answer
those on their own ports.

The sessions widget's idle timeout (60 s) and pause (120 s) are shortened to IDLE_S and PAUSE_S so the
lab stays bounded; the comparison (src/captures/compare/balancers.rs) uses the same numbers. Its
http2-resume scenario runs through lab.d/h2resume.py: TLS 1.3 and HTTP/2 terminated at VIP:443."""
import json
import os
import secrets
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

VIP, PORT = "203.0.113.10", 80
BACKENDS = {"A": "198.51.100.11", "B": "198.51.100.12"}
IDLE_S, PAUSE_S = 1.0, 2.0
# The lb-layers widget's client port (its packet's source port).
LB_CLIENT_PORT = 50000

BEFORE = ["POST /login", "GET /dashboard", "GET /api/items"]
AFTER = ["GET /dashboard", "GET /api/items"]
SESSION_PLAN = [{"req": r} for r in BEFORE] + [{"pause": PAUSE_S}] + [{"req": r} for r in AFTER]
LB_PLAN = [{"req": "GET /api/items"}, {"req": "GET /"}]
# host-sni's packet names api.example (in the SNI and in Host).
SNI_PLAN = [dict(item, host="api.example") for item in LB_PLAN]
# The widget's cookie-sticky packet (GET / with Cookie lb=b), twice; and its custom-http one, a JSON-RPC call
# in a POST body, to /api/items and then to /.
COOKIE_PLAN = [{"req": "GET /", "cookie": "lb=b"}] * 2
RPC = '{"jsonrpc":"2.0","method":"getScore"}'
RPC_PLAN = [{"req": "POST /api/items", "body": RPC}, {"req": "POST /", "body": RPC}]
# Not HTTP: PostgreSQL's simple Query message to 5432, and a game's own binary frame to 7777, twice each.
DB_PORT, GAME_PORT = 5432, 7777
DB_PLAN = [{"tcp": DB_PORT, "frame": "pg"}] * 2
GAME_PLAN = [{"tcp": GAME_PORT, "frame": "game"}] * 2

# scenario → (balancer, how it picks, where sessions live, the client's plan, the client's fixed port,
# TLS from the client: True to the balancer, which terminates it; "pass" through to the backends)
SCENARIOS = {
    ("lb-layers", "path-http+l4"): ("l4", "numgen", "plain", LB_PLAN, LB_CLIENT_PORT, False),
    ("lb-layers", "path-http+l7"): ("l7", "path", "plain", LB_PLAN, LB_CLIENT_PORT, False),
    ("lb-layers", "path-https+l7"): ("l7", "path", "plain", LB_PLAN, LB_CLIENT_PORT, True),
    ("lb-layers", "cookie-sticky+l7"): ("l7", "sticky", "plain", COOKIE_PLAN, LB_CLIENT_PORT, True),
    ("lb-layers", "dst-ip+l7"): ("l7", "dst", "plain", LB_PLAN, LB_CLIENT_PORT, True),
    ("lb-layers", "custom-http+l7"): ("l7", "path", "plain", RPC_PLAN, LB_CLIENT_PORT, True),
    ("lb-layers", "port-db+l4"): ("l4", "port", "plain", DB_PLAN, LB_CLIENT_PORT, False),
    ("lb-layers", "custom-tcp+l4"): ("l4", "numgen", "plain", GAME_PLAN, LB_CLIENT_PORT, False),
    ("lb-layers", "path-passthrough+l4"): ("l4", "numgen", "plain", LB_PLAN, LB_CLIENT_PORT, "pass"),
    ("lb-layers", "host-sni+l7"): ("sni", "sni", "plain", SNI_PLAN, LB_CLIENT_PORT, "pass"),
    # The same through the same pass-through, the ClientHello encrypted (ECH): lab.d/ech, on BoringSSL.
    ("lb-layers", "host-ech+l7"): ("sni", "sni", "plain", SNI_PLAN, LB_CLIENT_PORT, "ech"),
    ("sessions", "keepalive"): ("l7", "rr", "shared", SESSION_PLAN, 0, False),
    ("sessions", "l4-memory"): ("l4", "numgen", "memory", SESSION_PLAN, 0, False),
    ("sessions", "l4-sticky"): ("l4", "jhash", "memory", SESSION_PLAN, 0, False),
    ("sessions", "l7-memory"): ("l7", "rr", "memory", SESSION_PLAN, 0, False),
    ("sessions", "l7-sticky"): ("l7", "sticky", "memory", SESSION_PLAN, 0, False),
    # TLS 1.3 and HTTP/2 terminated by the balancer, the browser resuming with a ticket: lab.d/h2resume.py, its plan its own.
    ("sessions", "http2-resume"): ("h2", "rr", "shared", None, 0, True),
}
# h2.py needs Debian's python3-h2, installed for the system's Python.
SYSTEM_PYTHON = "/usr/bin/python3"
TLS_PORT = 443
# host-ech's client and backends (lab.d/ech, built by scripts/lab into target/lab-ech), and the public name
# of its ECHConfig: the outer SNI, as the widget has it (ECH_PUBLIC_NAME).
LAB_ECH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "lab-ech", "debug", "lab-ech")
ECH_PUBLIC_NAME = "public.example"


def read_message(sock, buf):
    """One HTTP message from sock: ((start line, headers, body), rest), or (None, buf) at EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    n = int(header(headers, "content-length") or "0")
    while len(rest) < n:
        chunk = sock.recv(4096)
        if not chunk:
            break
        rest += chunk
    return (lines[0], headers, rest[:n]), rest[n:]


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name), None)


def cookie(headers, name):
    for part in (header(headers, "cookie") or "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


def message(start, headers, body=b""):
    """Serialised in one write, so a capture shows one segment per message."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return f"{start}\r\n{head}\r\n".encode("latin-1") + body


def frame(kind):
    """One message of a protocol that is not HTTP, in one write: PostgreSQL's Query ('Q', its length
    counting itself, the SQL ending in NUL) or a game's frame (magic "GM", a 16-bit length, opcode 1)."""
    if kind == "pg":
        sql = b"SELECT * FROM items\0"
        return b"Q" + (4 + len(sql)).to_bytes(4, "big") + sql
    body = b"\x01getScore"
    return b"GM" + len(body).to_bytes(2, "big") + body


def read_frame(sock):
    """One frame of either kind from sock (a PostgreSQL message or a game frame), or None at EOF."""
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        if not chunk:
            return None
        head += chunk
    pg = head[:1] in (b"Q", b"C")  # PostgreSQL's Query and CommandComplete; else a game frame
    need = int.from_bytes(head[1:5], "big") - 4 if pg else int.from_bytes(head[2:4], "big") - 1
    rest = b""
    while len(rest) < need:
        chunk = sock.recv(need - len(rest))
        if not chunk:
            return None
        rest += chunk
    return head + rest


def log(path, **entry):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def serve(addr, handle, port=PORT, ready=True):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)
    if ready:
        print("ready", flush=True)
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=handle, args=(conn, peer), daemon=True).start()


def backend(name, store, logfile, cert=""):
    """An HTTP/1.1 server with keep-alive that closes a connection idle for IDLE_S (as a balancer's
    backend does), and login sessions in its memory or in the directory `store`; given a certificate,
    HTTPS on 443 (TLS end to end, through a balancer that does not terminate it)."""
    memory = set()
    tls = None
    if cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert + ".crt", cert + ".key")

    def known(sid):
        if store == "memory":
            return sid in memory
        return bool(sid) and sid.isalnum() and os.path.exists(os.path.join(store, sid))

    def handle(conn, peer):
        conn.settimeout(IDLE_S)
        buf = b""
        try:
            if tls:
                conn = tls.wrap_socket(conn, server_side=True)
            while True:
                msg, buf = read_message(conn, buf)
                if msg is None:
                    if tls:
                        conn = conn.unwrap()  # answer the client's close_notify with ours
                    break
                start, headers, _ = msg
                method, path = start.split()[:2]
                extra = []
                if store == "plain":
                    status, body = "200 OK", f"pool {name}: {path}\n"
                elif method == "POST" and path == "/login":
                    sid = secrets.token_hex(8)
                    if store == "memory":
                        memory.add(sid)
                    else:
                        open(os.path.join(store, sid), "w").close()
                    status, body = "200 OK", f"{name}: logged in\n"
                    extra = [("Set-Cookie", f"sid={sid}; Path=/")]
                elif known(cookie(headers, "sid")):
                    status, body = "200 OK", f"{name}: {path} (logged in)\n"
                else:
                    status, body = "302 Found", f"{name}: no session\n"
                    extra = [("Location", "/login")]
                log(logfile, backend=name, peer=f"{peer[0]}:{peer[1]}", request=f"{method} {path}",
                    host=header(headers, "host"), cookie=header(headers, "cookie"), status=status)
                body = body.encode()
                conn.sendall(message(f"HTTP/1.1 {status}", [("X-Backend", name), *extra,
                                                              ("Content-Length", str(len(body)))], body))
                if (header(headers, "connection") or "").lower() == "close":
                    break
        except (socket.timeout, ConnectionError, ssl.SSLError):
            pass  # idle: close it (the FIN comes from this side first)
        conn.close()

    def raw(conn, peer):
        """PostgreSQL or the game on its own port: answer each frame (CommandComplete, or "ok")."""
        conn.settimeout(IDLE_S)
        try:
            while (msg := read_frame(conn)) is not None:
                log(logfile, backend=name, peer=f"{peer[0]}:{peer[1]}", frame=msg[:1].decode())
                done = b"SELECT 0\0"
                conn.sendall(b"C" + (4 + len(done)).to_bytes(4, "big") + done if msg[:1] == b"Q" else b"GM\x00\x02ok")
        except (socket.timeout, ConnectionError):
            pass
        conn.close()

    for port in (DB_PORT, GAME_PORT):
        threading.Thread(target=serve, args=(BACKENDS[name], raw, port, False), daemon=True).start()
    serve(BACKENDS[name], handle, TLS_PORT if tls else PORT)


def client_hello_extensions(data):
    """A ClientHello's extensions by type, {type: bytes}, or None when `data` does not begin with one: the
    record and handshake headers, version, random, session id, cipher suites and compression skipped,
    then the extensions walked."""
    try:
        if data[0] != 22 or data[5] != 1:
            return None
        at = 5 + 4 + 2 + 32
        at += 1 + data[at]
        at += 2 + int.from_bytes(data[at:at + 2], "big")
        at += 1 + data[at]
        end = at + 2 + int.from_bytes(data[at:at + 2], "big")
        at += 2
        exts = {}
        while at + 4 <= end:
            kind, n = int.from_bytes(data[at:at + 2], "big"), int.from_bytes(data[at + 2:at + 4], "big")
            exts[kind] = data[at + 4:at + 4 + n]
            at += 4 + n
        return exts
    except IndexError:
        return None


def client_hello_sni(exts):
    """The host name in the server_name extension (RFC 6066 §3: a 2-byte list length, then host_name(0),
    a 2-byte length, the name), or None. With ECH this is the outer ClientHello's: the public name."""
    data = (exts or {}).get(0)
    try:
        return data[5:5 + int.from_bytes(data[3:5], "big")].decode("ascii") if data else None
    except UnicodeDecodeError:
        return None


# encrypted_client_hello (RFC 9849 §5): present in an outer ClientHello, its inner one sealed inside.
ECH_EXTENSION = 0xFE0D


def sni_proxy(logfile):
    """host-sni's L7 balancer without TLS termination: accepts the client's TCP connection, waits for
    the whole ClientHello (MSG_PEEK, nothing consumed), picks the backend by its SNI (api.example →
    pool B, else pool A), and copies the bytes both ways, so the one TLS session runs end to end."""

    def handle(conn, peer):
        conn.settimeout(5)
        hello = b""
        try:
            while len(hello) < 5 or len(hello) < 5 + int.from_bytes(hello[3:5], "big"):
                more = conn.recv(4096, socket.MSG_PEEK)
                if not more:
                    raise ConnectionError("closed before its ClientHello")
                if len(more) == len(hello):
                    time.sleep(0.01)
                hello = more
            exts = client_hello_extensions(hello)
            sni = client_hello_sni(exts)
            name = "B" if sni == "api.example" else "A"
            # What this balancer can read: the (outer) SNI, and whether an encrypted ClientHello rides inside.
            log(logfile, proxy=f"{peer[0]}:{peer[1]}", sni=sni, ech=ECH_EXTENSION in (exts or {}), backend=name)
            up = socket.create_connection((BACKENDS[name], TLS_PORT), timeout=5)
            conn.settimeout(None)
            up.settimeout(None)

            def pump(a, b):
                try:
                    while data := a.recv(65536):
                        b.sendall(data)
                except OSError:
                    pass
                try:
                    b.shutdown(socket.SHUT_WR)  # the FIN passed on, as it came
                except OSError:
                    pass

            back = threading.Thread(target=pump, args=(up, conn), daemon=True)
            back.start()
            pump(conn, up)
            back.join(5)
            up.close()
        except (socket.timeout, ConnectionError):
            pass
        conn.close()

    serve(VIP, handle, TLS_PORT)


def proxy(mode, logfile, cert=""):
    """The L7 balancer: terminates the client's connection (idle timeout IDLE_S) — and TLS on 443 when
    given a certificate — and sends each request on a new connection of its own to the backend it picks."""
    tls = None
    if cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert + ".crt", cert + ".key")
    count = [0]
    lock = threading.Lock()

    def pick(path, headers):
        if mode == "path":
            return "B" if path.startswith("/api") else "A"
        if mode == "dst":
            return "A"  # every request came to the VIP, pool A's address
        if mode == "sticky" and (cookie(headers, "lb") or "").upper() in BACKENDS:
            return cookie(headers, "lb").upper()  # lb=b names backend B
        with lock:
            count[0] += 1
            return "A" if count[0] % 2 == 1 else "B"

    def handle(conn, peer):
        conn.settimeout(IDLE_S)
        buf = b""
        try:
            if tls:
                conn = tls.wrap_socket(conn, server_side=True)
            while True:
                msg, buf = read_message(conn, buf)
                if msg is None:
                    if tls:
                        conn = conn.unwrap()  # answer the client's close_notify with ours
                    break
                start, headers, body = msg
                path = start.split()[1]
                name = pick(path, headers)
                up = socket.create_connection((BACKENDS[name], PORT), timeout=5)
                keep = [(k, v) for k, v in headers if k.lower() != "connection"]
                up.sendall(message(start, keep + [("Forwarded", f"for={peer[0]}"), ("Connection", "close")], body))
                reply, _ = read_message(up, b"")
                up.close()
                status, rheaders, rbody = reply
                rheaders = [(k, v) for k, v in rheaders if k.lower() != "connection"]
                if mode == "sticky" and cookie(headers, "lb") is None:
                    rheaders.insert(1, ("Set-Cookie", f"lb={name}; Path=/"))
                log(logfile, proxy=f"{peer[0]}:{peer[1]}", request=" ".join(start.split()[:2]),
                    host=header(headers, "host"), backend=name)
                conn.sendall(message(status, rheaders, rbody))
        except (socket.timeout, ConnectionError, ssl.SSLError):
            pass
        conn.close()

    serve(VIP, handle, TLS_PORT if tls else PORT)


def client(plan, port, logfile, cert=""):
    """The browser: the plan's requests on one keep-alive connection, a new one when the server has
    closed it (the client then closes its side too, as soon as it sees the FIN)."""
    jar, sock, n, buf = {}, None, 0, b""
    for item in plan:
        if "pause" in item:
            end = time.monotonic() + item["pause"]
            while sock and time.monotonic() < end:
                r, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
                if r and sock.recv(1, socket.MSG_PEEK) == b"":
                    sock.close()
                    sock = None
            time.sleep(max(0.0, end - time.monotonic()))
            continue
        if sock is None:
            sock = socket.socket()
            if port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("0.0.0.0", port))
            sock.connect((VIP, item.get("tcp") or (TLS_PORT if cert else PORT)))
            if cert:
                sock = ssl.create_default_context(cafile=cert + ".crt").wrap_socket(
                    sock, server_hostname=item.get("host", "shop.example"))
            n += 1
            buf = b""
        if "frame" in item:
            sock.sendall(frame(item["frame"]))
            reply = read_frame(sock)
            log(logfile, conn=n, port=sock.getsockname()[1], sent=item["frame"], reply=repr(reply))
            continue
        method, path = item["req"].split()
        headers = [("Host", item.get("host", "shop.example"))]
        if "cookie" in item:
            name, _, value = item["cookie"].partition("=")
            jar[name] = value
        if jar:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
        body = item.get("body", "user=alice" if method == "POST" else "").encode()
        if body:
            if "body" in item:
                headers.append(("Content-Type", "application/json"))
            headers.append(("Content-Length", str(len(body))))
        sock.sendall(message(f"{method} {path} HTTP/1.1", headers, body))
        reply, buf = read_message(sock, buf)
        status, rheaders, _ = reply
        for k, v in rheaders:
            if k.lower() == "set-cookie":
                name, _, value = v.split(";")[0].partition("=")
                jar[name] = value
        log(logfile, conn=n, port=sock.getsockname()[1], request=item["req"], status=status,
            backend=header(rheaders, "x-backend"))
    if sock:
        if cert:
            # TLS's own close first (close_notify both ways), so the TCP close is a clean FIN exchange.
            try:
                sock = sock.unwrap()
            except (ssl.SSLError, OSError):
                pass
        sock.close()


def nft(r, rules):
    subprocess.run(["ip", "netns", "exec", r, "nft", "-f", "-"], input=rules, text=True, check=True)


def run(widget, scenario, c, r, s, out):
    balancer, how, store, plan, port, tls = SCENARIOS[(widget, scenario)]
    tmp = tempfile.mkdtemp(prefix="lab-balance.")
    cert = ""
    if tls:
        # A certificate for shop.example made for this run; the client trusts exactly it.
        cert = os.path.join(tmp, "shop")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", cert + ".key", "-out", cert + ".crt", "-days", "1", "-subj", "/CN=shop.example",
                        "-addext", "subjectAltName=DNS:shop.example,DNS:api.example"], check=True, capture_output=True)
    logs = {k: os.path.join(tmp, k + ".log") for k in ("client", "proxy", "A", "B")}
    for f in logs.values():
        open(f, "w").close()
    me = os.path.abspath(__file__)
    subprocess.run(["ip", "netns", "exec", r, "conntrack", "-F"], stderr=subprocess.DEVNULL, check=False)
    if balancer == "l4":
        # jhash's seed is fixed so the lab's one client address lands on A, as the widget's does.
        pick = "numgen inc mod 2" if how == "numgen" else "jhash ip saddr mod 2 seed 0x0"
        # port-db's rule "5432 → the DB pool": here the DB pool is backend B.
        db = f"ip daddr {VIP} tcp dport {DB_PORT} dnat to {BACKENDS['B']}" if how == "port" else ""
        nft(r, f"""table ip lab_lb {{
  chain pre {{ type nat hook prerouting priority dstnat;
    {db}
    ip daddr {VIP} tcp dport {{ {PORT}, {TLS_PORT}, {DB_PORT}, {GAME_PORT} }} dnat to {pick} map {{ 0 : {BACKENDS['A']}, 1 : {BACKENDS['B']} }}
  }}
}}""")
    procs = []
    stores = os.path.join(tmp, "store")
    os.mkdir(stores)
    if tls == "ech":
        # The run's ECH key, held by both backends: the public name is the whole pool's, so whichever
        # backend the balancer picks can decrypt the ClientHelloInner.
        subprocess.run([LAB_ECH, "keys", tmp, ECH_PUBLIC_NAME], check=True)
    for name in BACKENDS:
        kind = stores if store == "shared" else store
        if tls == "ech":
            backend_cmd = [LAB_ECH, "backend", name, BACKENDS[name], tmp, cert, logs[name]]
        else:
            backend_cmd = ["python3", me, "backend", name, kind, logs[name], cert if tls == "pass" else ""]
        procs.append(subprocess.Popen(["ip", "netns", "exec", s, *backend_cmd], stdout=subprocess.PIPE, text=True))
    if balancer == "l7":
        procs.append(subprocess.Popen(["ip", "netns", "exec", r, "python3", me, "proxy", how, logs["proxy"], cert],
                                      stdout=subprocess.PIPE, text=True))
    h2 = os.path.join(os.path.dirname(me), "h2resume.py")
    if balancer == "h2":
        procs.append(subprocess.Popen(["ip", "netns", "exec", r, SYSTEM_PYTHON, h2, "proxy", logs["proxy"], cert],
                                      stdout=subprocess.PIPE, text=True))
    if balancer == "sni":
        procs.append(subprocess.Popen(["ip", "netns", "exec", r, "python3", me, "sni_proxy", logs["proxy"]],
                                      stdout=subprocess.PIPE, text=True))
    try:
        for p in procs:
            p.stdout.readline()  # "ready"
        if balancer == "h2":
            browser = [SYSTEM_PYTHON, h2, "client", logs["client"], cert]
        elif tls == "ech":
            browser = [LAB_ECH, "client", VIP, str(port), plan[0]["host"], tmp, cert, logs["client"],
                       *(item["req"].split()[1] for item in plan)]
        else:
            browser = ["python3", me, "client", json.dumps(plan), str(port), logs["client"], cert]
        subprocess.run(["ip", "netns", "exec", c, *browser], check=True, timeout=30)
        time.sleep(0.3)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run(["ip", "netns", "exec", r, "nft", "delete", "table", "ip", "lab_lb"],
                       stderr=subprocess.DEVNULL, check=False)
    with open(out + ".txt", "w", encoding="utf-8") as f:
        proxy_title = {"sni": "L7 バランサー（SNI を読むパススルー）",
                       "h2": "L7 バランサー（TLS 1.3 と HTTP/2 を終端するリバースプロキシ）"}.get(
                           balancer, "L7 バランサー（リバースプロキシ）")
        for who, title in (("client", "クライアント（ブラウザー役）"), ("proxy", proxy_title),
                           ("A", "バックエンド A 198.51.100.11"), ("B", "バックエンド B 198.51.100.12")):
            lines = open(logs[who], encoding="utf-8").read().splitlines()
            if lines:
                f.write(f"# {title}\n" + "\n".join(lines) + "\n")
    print(open(logs["client"], encoding="utf-8").read().strip().replace("\n", " | "))
    shutil.rmtree(tmp)


def main():
    role = sys.argv[1]
    if role == "run":
        run(*sys.argv[2:8])
    elif role == "backend":
        backend(*sys.argv[2:6])
    elif role == "sni_proxy":
        sni_proxy(sys.argv[2])
    elif role == "proxy":
        proxy(*sys.argv[2:5])
    elif role == "client":
        client(json.loads(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:6])


if __name__ == "__main__":
    main()
