//! Exists because a laptop that wakes from sleep, or a network that comes back, should
//! reconnect at once, not at the end of the socket's backoff (up to a minute of "offline"
//! after the nurse opened the lid).
//!
//! Linux: logind's `PrepareForSleep(false)` and NetworkManager's `StateChanged` into a
//! connected state, on the system bus. Without a system bus (containers) or either service,
//! the backoff alone reconnects, as before. Elsewhere: not built yet (the backoff reconnects).

use futures_util::{Stream, StreamExt};
use std::time::{Duration, Instant};

/// Why the app reconnects now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wake {
    /// The machine woke from sleep.
    Resumed,
    /// The network came up (or changed to another connected state).
    NetworkUp,
}

/// NetworkManager's NM_STATE_CONNECTED_LOCAL: from here up a clinic's own server on the LAN
/// may be reachable (site and global connectivity are 60 and 70).
const NM_CONNECTED_LOCAL: u32 = 50;

/// Each kind of wake reconnects at most this often (a resume and the network coming back a
/// few seconds later are both acted on).
const AT_MOST_EVERY: Duration = Duration::from_secs(5);

#[zbus::proxy(
    interface = "org.freedesktop.login1.Manager",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1"
)]
trait Login {
    #[zbus(signal)]
    fn prepare_for_sleep(&self, start: bool) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.NetworkManager",
    default_service = "org.freedesktop.NetworkManager",
    default_path = "/org/freedesktop/NetworkManager"
)]
trait Network {
    #[zbus(signal)]
    fn state_changed(&self, state: u32) -> zbus::Result<()>;
}

/// Whether NetworkManager going from state `before` to `now` is the network coming back.
fn network_came_up(before: u32, now: u32) -> bool {
    now >= NM_CONNECTED_LOCAL && before < NM_CONNECTED_LOCAL
}

/// The wake-ups and network returns on `bus` (the system bus, or a test's own).
pub async fn wakes(bus: &zbus::Connection) -> zbus::Result<impl Stream<Item = Wake> + use<>> {
    let login = LoginProxy::builder(bus)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    let network = NetworkProxy::builder(bus)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    let resumed = login
        .receive_prepare_for_sleep()
        .await?
        .filter_map(|s| async move {
            // `start` is true going to sleep, false on waking.
            matches!(s.args().map(|a| a.start), Ok(false)).then_some(Wake::Resumed)
        });
    // Only a change from below connected to connected: a flip between connected states
    // (site and global after a connectivity check) must not drop a working link.
    let last = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let network_up = network.receive_state_changed().await?.filter_map(move |s| {
        let last = last.clone();
        async move {
            let state = s.args().ok()?.state;
            let before = last.swap(state, std::sync::atomic::Ordering::Relaxed);
            network_came_up(before, state).then_some(Wake::NetworkUp)
        }
    });
    Ok(futures_util::stream::select(resumed, network_up))
}

/// Calls `reconnect` for each wake on the system bus, at most once per [`AT_MOST_EVERY`],
/// until the bus goes away.
pub async fn run(reconnect: impl Fn(Wake) + Send + 'static) {
    let bus = match zbus::Connection::system().await {
        Ok(bus) => bus,
        Err(e) => {
            tracing::info!(error = %e, "no system bus: reconnecting after sleep or a network change waits for the backoff");
            return;
        }
    };
    let stream = match wakes(&bus).await {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "wake-ups and network changes are not watched");
            return;
        }
    };
    let mut stream = std::pin::pin!(stream);
    let mut last: std::collections::HashMap<Wake, Instant> = Default::default();
    while let Some(wake) = stream.next().await {
        if last.get(&wake).is_some_and(|t| t.elapsed() < AT_MOST_EVERY) {
            continue;
        }
        last.insert(wake, Instant::now());
        tracing::info!(?wake, "reconnecting now");
        reconnect(wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command, Stdio};

    /// A real dbus-daemon standing in for the system bus (the test's own: nothing of the
    /// machine's is touched), killed at the end.
    struct Bus(Child, #[allow(dead_code)] tempfile::TempDir);

    impl Drop for Bus {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    async fn private_bus() -> (Bus, String) {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let child = Command::new("dbus-daemon")
            .args([
                "--session",
                "--nofork",
                "--nopidfile",
                &format!("--address={address}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt: dbus) is installed");
        for _ in 0..100 {
            if socket.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (Bus(child, dir), address)
    }

    async fn connect(address: &str) -> zbus::Connection {
        zbus::connection::Builder::address(address)
            .unwrap()
            .build()
            .await
            .unwrap()
    }

    async fn next(stream: &mut (impl Stream<Item = Wake> + Unpin)) -> Wake {
        tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a wake within 10 s")
            .expect("the stream goes on")
    }

    #[tokio::test]
    async fn waking_and_the_network_coming_up_are_wakes_going_to_sleep_and_going_down_are_not() {
        let (_bus, address) = private_bus().await;
        // logind and NetworkManager, played on the test's bus under their own names.
        let services = connect(&address).await;
        services
            .request_name("org.freedesktop.login1")
            .await
            .unwrap();
        services
            .request_name("org.freedesktop.NetworkManager")
            .await
            .unwrap();
        let app = connect(&address).await;
        let mut stream = Box::pin(wakes(&app).await.unwrap());

        let sleep = |start: bool| {
            let services = services.clone();
            async move {
                services
                    .emit_signal(
                        None::<&str>,
                        "/org/freedesktop/login1",
                        "org.freedesktop.login1.Manager",
                        "PrepareForSleep",
                        &(start,),
                    )
                    .await
                    .unwrap();
            }
        };
        let network = |state: u32| {
            let services = services.clone();
            async move {
                services
                    .emit_signal(
                        None::<&str>,
                        "/org/freedesktop/NetworkManager",
                        "org.freedesktop.NetworkManager",
                        "StateChanged",
                        &(state,),
                    )
                    .await
                    .unwrap();
            }
        };
        sleep(true).await;
        network(20).await; // disconnected
        sleep(false).await;
        assert_eq!(
            next(&mut stream).await,
            Wake::Resumed,
            "going to sleep and going down are not wakes"
        );
        network(40).await; // connecting
        network(70).await; // connected (global)
        assert_eq!(next(&mut stream).await, Wake::NetworkUp);

        // The same signals from someone who is not logind are not believed.
        let stranger = connect(&address).await;
        stranger
            .emit_signal(
                None::<&str>,
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                &(false,),
            )
            .await
            .unwrap();
        network(20).await;
        network(60).await;
        assert_eq!(
            next(&mut stream).await,
            Wake::NetworkUp,
            "the stranger's signal was skipped"
        );
    }

    #[test]
    fn only_coming_back_to_a_connected_state_is_the_network_coming_up() {
        assert!(network_came_up(20, 70), "disconnected → global");
        assert!(network_came_up(40, 50), "connecting → local");
        assert!(network_came_up(0, 60), "unknown → site");
        assert!(
            !network_came_up(70, 60),
            "a connectivity check flips global and site"
        );
        assert!(!network_came_up(60, 70));
        assert!(!network_came_up(70, 20), "going down");
        assert!(!network_came_up(20, 40), "connecting");
    }
}
