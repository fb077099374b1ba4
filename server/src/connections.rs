//! The accept loop, because `axum::serve` keeps any connection as long as its peer likes: 500
//! connections that sent only a request line stayed open, headers sent a line every 5 s were
//! waited for, and 1,100 of them made a real login time out.
//!
//! Here each connection speaks HTTP/1.1 (WebSocket upgrades included) with a header timeout
//! that also bounds an idle keep-alive connection (hyper starts it whenever it waits for a
//! request head); a WebSocket, once upgraded, is Socket.io's to keep or drop by its pings. A
//! connection past the caps (all connections, and per address) is closed at once, before a
//! byte is read, so one address cannot take every slot; a WebSocket counts until it closes. The peer's address reaches handlers
//! as axum's `ConnectInfo`.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// The limits on connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request head may take to arrive, and a kept-alive connection may sit idle.
    pub header_timeout: Duration,
    /// Connections open at once, from everyone.
    pub max_connections: usize,
    /// Connections open at once from one address.
    pub max_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_address: 256,
        }
    }
}

/// Open connections, in all and per address.
#[derive(Debug, Default)]
struct Count {
    all: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// A connection's place in the count, given back when the connection ends.
struct Slot {
    count: Arc<Mutex<Count>>,
    addr: IpAddr,
}

impl Slot {
    fn take(count: &Arc<Mutex<Count>>, addr: IpAddr, limits: &Limits) -> Option<Self> {
        let mut c = count.lock().unwrap_or_else(|e| e.into_inner());
        let mine = c.by_address.get(&addr).copied().unwrap_or(0);
        if c.all >= limits.max_connections || mine >= limits.max_per_address {
            return None;
        }
        c.all += 1;
        c.by_address.insert(addr, mine + 1);
        Some(Self {
            count: count.clone(),
            addr,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.count.lock().unwrap_or_else(|e| e.into_inner());
        c.all -= 1;
        if let Some(n) = c.by_address.get_mut(&self.addr) {
            *n -= 1;
            if *n == 0 {
                c.by_address.remove(&self.addr);
            }
        }
    }
}

/// A connection's stream with its slot: the slot is held as long as the stream lives, so a
/// WebSocket that hyper hands over on upgrade still counts until it closes.
struct Counted {
    tcp: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, asks every
/// connection to finish its request, and waits for them (the caller bounds how long).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let count = Arc::new(Mutex::new(Count::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut refused_logged = false;
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = Slot::take(&count, peer.ip(), &limits) else {
            // Closed before a byte is read; logged once per burst, not per connection.
            if !refused_logged {
                tracing::warn!(addr = %peer.ip(), "connection limit reached; closing new connections");
                refused_logged = true;
            }
            drop(tcp);
            continue;
        };
        refused_logged = false;
        tokio::spawn(connection(
            Counted { tcp, _slot: slot },
            peer,
            router.clone(),
            limits,
            stop_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    // Every connection task holds a receiver; all gone means all finished.
    stop_tx.closed().await;
}

async fn connection(
    io: Counted,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    // Small frames (a typing flag, a message) must go out at once: without TCP_NODELAY,
    // Nagle's algorithm and delayed ACKs hold them for up to 40 ms.
    if let Err(e) = io.tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
    let service = TowerToHyperService::new(router.map_request(
        move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.map(axum::body::Body::new)
        },
    ));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::trace!(error = %e, "connection ended");
    }
}

/// Raises this process's open-files limit to the most it may have (Linux often starts at 1,024
/// of a far higher allowance), so connections, not descriptors, meet the caps first. Answers
/// the limit in force.
#[cfg(unix)]
pub fn raise_open_files() -> Option<u64> {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
        // rlim_t is u64 here but not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Some(lim.rlim_cur as u64)
    }
}

/// Windows has no such per-process limit on sockets.
#[cfg(not(unix))]
pub fn raise_open_files() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_all_and_per_address_and_come_back() {
        let limits = Limits {
            max_connections: 3,
            max_per_address: 2,
            ..Limits::default()
        };
        let count = Arc::new(Mutex::new(Count::default()));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let a1 = Slot::take(&count, a, &limits).unwrap();
        let _a2 = Slot::take(&count, a, &limits).unwrap();
        assert!(Slot::take(&count, a, &limits).is_none(), "per address");
        let _b1 = Slot::take(&count, b, &limits).unwrap();
        assert!(Slot::take(&count, b, &limits).is_none(), "in all");
        drop(a1);
        assert!(Slot::take(&count, a, &limits).is_some());
        assert_eq!(
            count.lock().unwrap().all,
            2,
            "the slot taken above was dropped at once"
        );
    }
}
