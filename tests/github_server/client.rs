//! A minimal blocking HTTP/1.1 client for the self-tests (one request per connection).

use std::io::{Read, Write};
use std::net::TcpStream;

/// A response.
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// Sends `method url` with `token` and an optional body; reads the reply to the end.
pub fn send(method: &str, url: &str, auth: &str, body: Option<&str>) -> Reply {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect");
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: {auth}\r\nuser-agent: selftest\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// POSTs a GraphQL query with variables to `url` using the default token.
pub fn graphql(url: &str, query: &str, variables: serde_json::Value) -> Reply {
    let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
    send(
        "POST",
        url,
        &format!("bearer {}", super::TOKEN),
        Some(&body),
    )
}

/// GETs `url` with the default token.
pub fn get(url: &str) -> Reply {
    send("GET", url, &format!("token {}", super::TOKEN), None)
}
