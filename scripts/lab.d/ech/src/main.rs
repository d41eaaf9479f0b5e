//! The lab's Encrypted ClientHello (ECH) run for lb-layers' host-ech: keys, a backend and a client on
//! BoringSSL (Cloudflare's `boring` crate), since Debian's OpenSSL 3.0, Python's ssl and Go 1.19 have
//! no ECH. `scripts/lab.d/balance.py` starts them in the lab's namespaces; the router's `sni_proxy`
//! between them reads only what the client sends in clear.
//!
//!     lab-ech keys DIR PUBLIC_NAME                    an X25519 key and its ECHConfig, made for the run
//!     lab-ech backend NAME ADDR DIR CERT LOG          an HTTPS backend on ADDR:443 holding DIR's ECH key
//!     lab-ech client VIP PORT HOST DIR CERT LOG PATH… the browser: ECH to VIP:443 from PORT, one GET per PATH
//!
//! Each writes JSON lines to LOG, in the shape of balance.py's logs, with what only the ends know:
//! the name the backend read (the inner SNI when it decrypted the ClientHello) and whether ECH was
//! accepted. Its own cargo project: the main crate never compiles BoringSSL.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use boring::hpke::HpkeKey;
use boring::pkey::{Id, PKey};
use boring::ssl::{
    NameType, SslAcceptor, SslConnector, SslEchKeys, SslFiletype, SslMethod, SslStream, SslVersion,
};

/// ECH's version of the draft the lab's BoringSSL speaks, the same number as the ClientHello's
/// encrypted_client_hello extension (RFC 9849 §4).
const ECH_VERSION: u16 = 0xfe0d;
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 §7).
const KEM_X25519: u16 = 0x0020;
const KDF_SHA256: u16 = 0x0001;
const AEAD_AES128GCM: u16 = 0x0001;
/// The one config's id, which the client's outer ClientHello names.
const CONFIG_ID: u8 = 1;
/// The backends' idle timeout, as balance.py's backends have it (IDLE_S).
const IDLE: Duration = Duration::from_secs(1);
const TLS_PORT: u16 = 443;

type Res<T> = Result<T, Box<dyn std::error::Error>>;
/// An HTTP/1.1 message: its start line, headers and body.
type Message = (String, Vec<(String, String)>, String);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = match a.as_slice() {
        ["keys", dir, public] => keys(Path::new(dir), public),
        ["backend", name, addr, dir, cert, log] => backend(name, addr, Path::new(dir), cert, log),
        ["client", vip, port, host, dir, cert, log, paths @ ..] if !paths.is_empty() => {
            client(vip, port, host, Path::new(dir), cert, log, paths)
        }
        _ => Err("usage: lab-ech keys DIR PUBLIC_NAME | backend NAME ADDR DIR CERT LOG | client VIP PORT HOST DIR CERT LOG PATH…".into()),
    };
    if let Err(e) = done {
        eprintln!("lab-ech: {e}");
        std::process::exit(1);
    }
}

/// `vec` followed by its length-prefixed `body` (`width` bytes of length, big-endian).
fn put(vec: &mut Vec<u8>, width: usize, body: &[u8]) {
    vec.extend_from_slice(&(body.len() as u32).to_be_bytes()[4 - width..]);
    vec.extend_from_slice(body);
}

/// The ECHConfig for `public_name` and an X25519 public key, written out field by field (RFC 9849
/// §4): HpkeKeyConfig (id, KEM, key, one cipher suite), maximum_name_length, public_name, no
/// extensions. BoringSSL checks it against the private key when the backend loads both.
fn ech_config(public_key: &[u8], public_name: &str) -> Vec<u8> {
    let mut contents = vec![CONFIG_ID];
    contents.extend_from_slice(&KEM_X25519.to_be_bytes());
    put(&mut contents, 2, public_key);
    let suite = [KDF_SHA256.to_be_bytes(), AEAD_AES128GCM.to_be_bytes()].concat();
    put(&mut contents, 2, &suite);
    contents.push(32); // maximum_name_length: the client pads the inner name as if this long
    put(&mut contents, 1, public_name.as_bytes());
    put(&mut contents, 2, &[]);
    let mut config = ECH_VERSION.to_be_bytes().to_vec();
    put(&mut config, 2, &contents);
    config
}

/// Makes the run's key: DIR/ech.key (the X25519 private key, the backends'), DIR/ech.config (its
/// ECHConfig) and DIR/ech.list (the ECHConfigList a client would find in DNS, RFC 9848).
fn keys(dir: &Path, public_name: &str) -> Res<()> {
    let key = PKey::generate(Id::X25519)?;
    let mut private = [0u8; 32];
    let mut public = [0u8; 32];
    let private = key.raw_private_key(&mut private)?;
    let config = ech_config(key.raw_public_key(&mut public)?, public_name);
    let mut list = Vec::new();
    put(&mut list, 2, &config);
    fs::write(dir.join("ech.key"), private)?;
    fs::write(dir.join("ech.config"), &config)?;
    fs::write(dir.join("ech.list"), &list)?;
    Ok(())
}

/// One JSON line appended to `log`.
fn log(log: &str, fields: &[(&str, String)]) -> Res<()> {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
    let mut f = fs::OpenOptions::new().append(true).create(true).open(log)?;
    writeln!(f, "{{{}}}", body.join(", "))?;
    Ok(())
}

/// A JSON string (the lab's values are ASCII without quotes or backslashes; Debug escapes the rest).
fn s(v: &str) -> String {
    format!("{v:?}")
}

/// One HTTP/1.1 message from `r` (requests here have no body; responses say Content-Length), or
/// `None` at a clean end.
fn read_message<R: Read>(r: &mut R) -> io::Result<Option<Message>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if r.read(&mut byte)? == 0 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let start = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let n: usize = header(&headers, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; n];
    r.read_exact(&mut body)?;
    Ok(Some((
        start,
        headers,
        String::from_utf8_lossy(&body).into_owned(),
    )))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// An HTTPS backend on ADDR:443 that holds the run's ECH key as well as its certificate: it decrypts
/// a ClientHelloInner made for its ECHConfig and serves the inner name; it answers each request
/// naming itself (X-Backend), closes after IDLE, and answers the client's close_notify with its own.
fn backend(name: &str, addr: &str, dir: &Path, cert: &str, logfile: &str) -> Res<()> {
    let mut ech = SslEchKeys::builder()?;
    ech.add_key(
        true,
        &fs::read(dir.join("ech.config"))?,
        HpkeKey::dhkem_p256_sha256(&fs::read(dir.join("ech.key"))?)?,
    )?;
    let mut tls = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    tls.set_certificate_chain_file(format!("{cert}.crt"))?;
    tls.set_private_key_file(format!("{cert}.key"), SslFiletype::PEM)?;
    tls.set_ech_keys(&ech.build())?;
    let tls = tls.build();
    let listener = TcpListener::bind((addr, TLS_PORT))?;
    println!("ready");
    io::stdout().flush()?;
    for conn in listener.incoming() {
        let (tls, name, logfile) = (tls.clone(), name.to_owned(), logfile.to_owned());
        std::thread::spawn(move || {
            if let Ok(conn) = conn {
                let _ = serve(&tls, conn, &name, &logfile);
            }
        });
    }
    Ok(())
}

fn serve(tls: &SslAcceptor, conn: TcpStream, name: &str, logfile: &str) -> Res<()> {
    let peer = conn.peer_addr()?;
    conn.set_read_timeout(Some(IDLE))?;
    let mut stream = tls.accept(conn)?;
    // What this end learnt: the name the handshake served (the inner SNI when ECH was accepted).
    let sni = stream
        .ssl()
        .servername(NameType::HOST_NAME)
        .unwrap_or("")
        .to_owned();
    let accepted = stream.ssl().ech_accepted();
    log(
        logfile,
        &[
            ("backend", s(name)),
            ("peer", s(&peer.to_string())),
            ("sni", s(&sni)),
            ("ech_accepted", accepted.to_string()),
        ],
    )?;
    while let Ok(Some((start, headers, _))) = read_message(&mut stream) {
        let mut words = start.split(' ');
        let request = format!(
            "{} {}",
            words.next().unwrap_or(""),
            words.next().unwrap_or("")
        );
        let body = format!("pool {name}: {}\n", request.split(' ').nth(1).unwrap_or(""));
        log(
            logfile,
            &[
                ("backend", s(name)),
                ("peer", s(&peer.to_string())),
                ("request", s(&request)),
                ("host", s(header(&headers, "host").unwrap_or(""))),
                ("status", s("200 OK")),
            ],
        )?;
        let reply = format!(
            "HTTP/1.1 200 OK\r\nX-Backend: {name}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(reply.as_bytes())?;
    }
    // The client's close_notify (read returned None): answer with ours, then the TCP close.
    let _ = stream.shutdown();
    Ok(())
}

/// The browser: a TCP connection from PORT to VIP:443, a ClientHello whose outer SNI is the
/// ECHConfig's public name and whose encrypted inner one names HOST, then one GET per path on the
/// same connection, and TLS's close (close_notify both ways) before TCP's.
fn client(
    vip: &str,
    port: &str,
    host: &str,
    dir: &Path,
    cert: &str,
    logfile: &str,
    paths: &[&str],
) -> Res<()> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    let from: SocketAddr = format!("0.0.0.0:{port}").parse()?;
    sock.bind(&from.into())?;
    let to: SocketAddr = format!("{vip}:{TLS_PORT}").parse()?;
    sock.connect_timeout(&to.into(), Duration::from_secs(5))?;
    let tcp: TcpStream = sock.into();
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    let local = tcp.local_addr()?.port();
    let mut tls = SslConnector::builder(SslMethod::tls())?;
    tls.set_ca_file(format!("{cert}.crt"))?;
    tls.set_min_proto_version(Some(SslVersion::TLS1_3))?;
    let mut conf = tls.build().configure()?;
    conf.set_ech_config_list(&fs::read(dir.join("ech.list"))?)?;
    let mut stream: SslStream<TcpStream> = match conf.connect(host, tcp) {
        Ok(s) => s,
        Err(e) => {
            log(
                logfile,
                &[
                    ("conn", "1".into()),
                    ("port", local.to_string()),
                    ("error", s(&e.to_string())),
                ],
            )?;
            return Err(e.to_string().into());
        }
    };
    let accepted = stream.ssl().ech_accepted();
    for path in paths {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        stream.write_all(req.as_bytes())?;
        let (status, headers, _) =
            read_message(&mut stream)?.ok_or("closed before the response")?;
        log(
            logfile,
            &[
                ("conn", "1".into()),
                ("port", local.to_string()),
                ("request", s(&format!("GET {path}"))),
                ("status", s(&status)),
                ("backend", s(header(&headers, "x-backend").unwrap_or(""))),
                ("ech_accepted", accepted.to_string()),
            ],
        )?;
    }
    // close_notify, then wait for the backend's before closing TCP, so the close is a clean exchange.
    stream.shutdown()?;
    let _ = stream.shutdown();
    let mut rest = [0u8; 64];
    let _ = stream.read(&mut rest);
    Ok(())
}
