//! Which server addresses the app and the CLI will speak to: a password, a token and patients'
//! messages must not cross a network unencrypted, so plain `http://` is refused except to this
//! computer itself (the demo and test servers). One rule here, so the app and the CLI agree.

use reqwest::Url;

/// True when `url` is plain `http://` to a host other than this computer (`localhost`, the
/// loopback addresses).
pub fn unencrypted_over_a_network(url: &Url) -> bool {
    if url.scheme() != "http" {
        return false;
    }
    let Some(host) = url.host_str() else {
        return true;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let this_computer = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !this_computer
}

/// [`unencrypted_over_a_network`] for an address as typed; one that does not parse is not
/// (it is refused for that, elsewhere).
pub fn is_unencrypted_over_a_network(server: &str) -> bool {
    Url::parse(server.trim()).is_ok_and(|u| unencrypted_over_a_network(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_computer() {
        for ok in [
            "https://nursecare.example.org",
            "https://192.168.1.5:3001",
            "http://127.0.0.1:3001",
            "http://127.9.0.1:3001",
            "http://localhost:3001/",
            "HTTP://LOCALHOST:3001",
            "http://[::1]:3001",
        ] {
            assert!(
                !unencrypted_over_a_network(&Url::parse(ok).unwrap()),
                "{ok}"
            );
        }
        for bad in [
            "http://192.168.1.5:3001",
            "http://nursecare.example.org",
            "http://127.example.org",
            "http://localhost.example.org",
            "http://[fe80::1]:3001",
        ] {
            assert!(
                unencrypted_over_a_network(&Url::parse(bad).unwrap()),
                "{bad}"
            );
        }
    }
}
