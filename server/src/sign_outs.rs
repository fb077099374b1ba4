//! An administrator's remote sign-out (`--sign-out EMAIL`, or `POST /admin/sign-out`): the
//! store refuses every token the user held from then on (`auth::holder_exists`), and the
//! user's open sockets are told (`signedOut`) and closed. A sign-out made by another process
//! (the `--sign-out` command beside a running server) reaches the sockets through a poll.

use crate::realtime::routing;
use crate::state::AppState;
use nursecare_wire::Id;
use nursecare_wire::events::server as ev;
use nursecare_wire::rest::SignedOut;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How often a running server looks for sign-outs made by another process.
pub const POLL: Duration = Duration::from_secs(2);

/// Now, as the store counts sign-outs (Unix seconds).
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Tells every socket of `user` it was signed out, then closes them.
pub async fn close_sockets(state: &AppState, user: Id) {
    let room = routing::user_room(user);
    let told = SignedOut {
        reason: "administrator".into(),
    };
    routing::emit_to(state, vec![room.clone()], ev::SIGNED_OUT, &told).await;
    if let Some(root) = state.io.of("/")
        && let Err(e) = root.within(room).disconnect().await
    {
        tracing::warn!(user, error = %e, "could not close a signed-out user's sockets");
    }
    tracing::info!(user, "signed out by an administrator: sockets closed");
}

/// Closes the sockets of users signed out by another process, until the server stops.
pub async fn watch(state: Arc<AppState>) {
    let mut seen = now();
    // Those of the second `seen` already closed: the store counts in seconds, and two
    // sign-outs in one second must both be found.
    let mut done: HashSet<(Id, i64)> = HashSet::new();
    loop {
        tokio::time::sleep(POLL).await;
        match state.store.signed_out_since(seen - 1).await {
            Ok(found) => {
                for (user, at) in found {
                    if !done.insert((user, at)) {
                        continue;
                    }
                    close_sockets(&state, user).await;
                    if at > seen {
                        seen = at;
                    }
                }
                done.retain(|(_, at)| *at >= seen);
            }
            Err(e) => tracing::warn!(error = %e, "could not look for sign-outs"),
        }
    }
}
