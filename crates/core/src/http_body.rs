//! Reading an HTTP answer's body to a limit. A supplier, a payment provider or the
//! relay that answers without end (by fault or malice) must not fill the till's memory:
//! every client reads through [`read_capped`] and refuses what goes beyond its cap.

/// Catalog pages are the largest answers a supplier gives (hundreds of products with
/// their denominations); 16 MiB is far above any real page.
pub const SUPPLIER_LIMIT: usize = 16 << 20;
/// A payment provider's answer is one object: a session, an invoice, a payment.
pub const PAYMENT_LIMIT: usize = 1 << 20;
/// A batch of relay events, each capped by the relay at its own body limit.
pub const RELAY_LIMIT: usize = 32 << 20;
/// Error answers are read only to find a message in them.
pub const ERROR_LIMIT: usize = 64 << 10;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer is larger than {limit} bytes and was not read")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// The whole body, or [`BodyError::TooLarge`] as soon as it passes `limit` bytes
/// (at once when `Content-Length` already says so).
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// For error answers, where only a message is wanted: what could be read, within the
/// limit, or nothing.
pub async fn read_error_text(response: reqwest::Response) -> String {
    match read_capped(response, ERROR_LIMIT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A server that answers every request with `body_len` bytes, chunked (no length
    /// given) when `chunked`.
    async fn serve(body_len: usize, chunked: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let head = if chunked {
                        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_string()
                    } else {
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {body_len}\r\n\r\n")
                    };
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let piece = vec![b'x'; 4096];
                    let mut left = body_len;
                    while left > 0 {
                        let n = left.min(piece.len());
                        let sent = if chunked {
                            let mut c = format!("{n:x}\r\n").into_bytes();
                            c.extend_from_slice(&piece[..n]);
                            c.extend_from_slice(b"\r\n");
                            socket.write_all(&c).await
                        } else {
                            socket.write_all(&piece[..n]).await
                        };
                        if sent.is_err() {
                            return;
                        }
                        left -= n;
                    }
                    if chunked {
                        let _ = socket.write_all(b"0\r\n\r\n").await;
                    }
                });
            }
        });
        format!("http://{addr}/")
    }

    async fn get(url: &str) -> reqwest::Response {
        reqwest::Client::new().get(url).send().await.expect("send")
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let url = serve(10_000, true).await;
        let body = read_capped(get(&url).await, 10_000).await.expect("read");
        assert_eq!(body.len(), 10_000);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        let url = serve(1 << 20, false).await;
        let err = read_capped(get(&url).await, 1000).await.unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { limit: 1000 }), "{err}");
    }

    #[tokio::test]
    async fn an_endless_chunked_body_stops_at_the_limit() {
        let url = serve(8 << 20, true).await;
        let err = read_capped(get(&url).await, 64 << 10).await.unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "the answer is larger than 65536 bytes and was not read"
        );
    }
}
