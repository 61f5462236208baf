//! The base address of an HTTP API this till talks to (the supplier, a payment
//! provider, the relay), as every client reads one.

/// `url` trimmed, http(s) with a host, and ending in `/` so that paths join under
/// it. The error is the reason alone; each caller names the address in its own error.
pub(crate) fn parse(url: &str) -> Result<reqwest::Url, String> {
    let mut text = url.trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    let base = reqwest::Url::parse(&text).map_err(|e| e.to_string())?;
    if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
        return Err("must be http:// or https:// with a host".into());
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_base_url_is_http_with_a_host_and_ends_in_a_slash() {
        assert_eq!(
            parse(" https://api.example/v2 ").unwrap().as_str(),
            "https://api.example/v2/"
        );
        assert_eq!(
            parse("ftp://api.example").unwrap_err(),
            "must be http:// or https:// with a host"
        );
        assert!(parse("not a url").is_err());
    }
}
