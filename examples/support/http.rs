//! The HTTP client the load generators share (`quiz_load`, `auth_abuse`): form-encoding, and one request
//! that returns the status, every cookie set (the session and the CSRF cookie, as one `Cookie` value),
//! the `Location` header and the body. Included with `#[path]`, as examples share no library of their own.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

pub type Http = Client<HttpConnector, Full<Bytes>>;

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends one request (a form body when `body` is given); returns the status, the cookies set, the
/// `Location` header and the body.
pub async fn send_full(
    http: &Http,
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<String>,
) -> anyhow::Result<(u16, Option<String>, Option<String>, String)> {
    let mut req = hyper::Request::builder().method(method).uri(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if body.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let res = http
        .request(req.body(Full::new(Bytes::from(body.unwrap_or_default())))?)
        .await?;
    let status = res.status().as_u16();
    let set: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect();
    let set_cookie = (!set.is_empty()).then(|| set.join("; "));
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = String::from_utf8_lossy(&res.into_body().collect().await?.to_bytes()).into_owned();
    Ok((status, set_cookie, location, text))
}

/// [`send_full`] without the `Location` header.
pub async fn send(
    http: &Http,
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<String>,
) -> anyhow::Result<(u16, Option<String>, String)> {
    let (status, set_cookie, _, text) = send_full(http, method, url, cookie, body).await?;
    Ok((status, set_cookie, text))
}
