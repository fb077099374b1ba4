//! `call start --hold SECS`: so support staff can test a clinic's calls with one command.
//!
//! The call is printed at once, then its [`Event::Call`]s. It is over when the other side
//! declines or ends it, or nobody answers (then nothing is sent to the server), or when SECS
//! (counted from the start) run out or Ctrl-C comes: then it is ended with one `/end`, and only
//! if the server still has it ONGOING. Either way the last line is the final call.

use crate::exit::{self, Failure};
use crate::output;
use nursecare_core::events::{CallChange, Connection};
use nursecare_core::socket::LinkState;
use nursecare_core::{Client, Event, EventStream};
use nursecare_wire::{CallStatus, Id, VideoCall};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

/// Starts the call, follows it, and ends it if it outlasts `hold`; answers the exit code.
pub async fn run(
    client: &Client,
    events: &mut EventStream,
    conversation: Id,
    hold: Duration,
    as_json: bool,
) -> Result<u8, Failure> {
    // Caught before the call starts, so an interrupt never leaves it ringing.
    let mut interrupted = catch_ctrl_c().await;
    // Production tells call events only to the conversation's room: join it, as the caller's
    // open chat would. Joining marks its messages read, so not where events reach us anyway.
    if !rings_everywhere(client) {
        client.open(Some(conversation));
    }
    let started = client.start_call(conversation).await?;
    let until = tokio::time::Instant::now() + hold;
    let id = started.call.id;
    output::call(&started.call, Some(&started.jitsi_url), as_json);

    loop {
        let event = tokio::select! {
            _ = &mut interrupted => break,
            _ = tokio::time::sleep_until(until) => break,
            e = events.recv() => e,
        };
        // The stream ends only when the client stops: the server decides below.
        let Some(event) = event else { break };
        if let Event::Connection {
            state: Connection::SignedOut,
            ..
        } = event
        {
            return Err(Failure::new(
                exit::SIGNED_OUT,
                format!("the session has expired: sign in again (call {id} may still be ongoing)"),
            ));
        }
        let Event::Call {
            call_id,
            conversation_id,
            change,
            by,
            duration,
        } = event
        else {
            continue;
        };
        let over = matches!(
            change,
            CallChange::Ended | CallChange::HungUp | CallChange::Rejected | CallChange::Missed
        );
        let print = || {
            if as_json {
                output::json(&event);
            } else {
                output::line(&output::call_change_line(id, change, by, duration));
            }
        };
        if call_id == Some(id) {
            print();
            if over {
                let last = final_call(client, conversation, id).await?;
                output::call(&last, None, as_json);
                return Ok(exit::OK);
            }
        } else if call_id.is_none() && conversation_id.is_none_or(|c| c == conversation) {
            // Production's events name no call (its `videoCallEnded` not even the
            // conversation): an ending is this call's only if the server has it over.
            if over {
                let last = final_call(client, conversation, id).await?;
                if last.status != CallStatus::Ongoing {
                    print();
                    output::call(&last, None, as_json);
                    return Ok(exit::OK);
                }
            } else if conversation_id == Some(conversation) {
                print();
            }
        }
    }

    // Time is up (or Ctrl-C): end the call, unless it ended meanwhile (unheard).
    let last = async {
        match client.ongoing_call(conversation).await? {
            Some(now) if now.id == id => Ok(client.end_call(id).await?),
            _ => final_call(client, conversation, id).await,
        }
    }
    .await
    .map_err(|f: Failure| Failure {
        message: format!("{} (call {id} may still be ongoing)", f.message),
        ..f
    })?;
    output::call(&last, None, as_json);
    Ok(exit::OK)
}

/// Whether call events reach every socket of the participants (userRing), so this client
/// hears them without joining the conversation.
fn rings_everywhere(client: &Client) -> bool {
    matches!(&*client.link().borrow(), LinkState::Online { features, .. } if features.user_ring)
}

/// The call as the server has it now (as the cache has it when the server cannot be reached).
async fn final_call(client: &Client, conversation: Id, id: Id) -> Result<VideoCall, Failure> {
    client
        .call_history(conversation)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            Failure::new(
                exit::FAILURE,
                format!("call {id} is not in the conversation's call history"),
            )
        })
}

/// Resolves at Ctrl-C from now on: tokio installs its handler when `ctrl_c()` is first
/// polled, so it is polled once here. Never resolves where no handler can be installed.
pub(crate) async fn catch_ctrl_c() -> Pin<Box<dyn Future<Output = ()>>> {
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    match std::future::poll_fn(|cx| Poll::Ready(ctrl_c.as_mut().poll(cx))).await {
        Poll::Pending => Box::pin(async move {
            let _ = ctrl_c.await;
        }),
        Poll::Ready(Ok(())) => Box::pin(std::future::ready(())),
        Poll::Ready(Err(e)) => {
            tracing::warn!(error = %e, "Ctrl-C cannot be caught");
            Box::pin(std::future::pending())
        }
    }
}
