//! `call watch [--accept | --reject] [--hold SECS]`: prints incoming calls, for support staff
//! (is this account reachable?) and for tests that need someone on the other end of a call.
//!
//! Without `--accept`/`--reject` it prints every incoming call and what becomes of it until
//! Ctrl-C. With `--reject` it declines the first call, prints it, and exits 0. With `--accept`
//! it answers the first call and stays until the call ends by any route (the other side hangs
//! up, it ends unheard and a check finds it over) or SECS (from the answer) run out or Ctrl-C
//! comes — then it hangs up; the last line is the final call and the exit code 0.

use crate::exit::{self, Failure};
use crate::output;
use nursecare_core::events::Connection;
use nursecare_core::{Client, Event, EventStream};
use nursecare_wire::{Id, VideoCall};
use std::time::Duration;

/// What to do with the first incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing: print calls until Ctrl-C.
    None,
    /// Accept it and stay on it.
    Accept,
    /// Decline it.
    Reject,
}

/// Runs `call watch`; answers the exit code.
pub async fn run(
    client: &Client,
    events: &mut EventStream,
    answer: Answer,
    hold: Option<Duration>,
    as_json: bool,
) -> Result<u8, Failure> {
    let mut interrupted = crate::hold::catch_ctrl_c().await;
    // Online and synced from here on: a call started now rings here.
    if as_json {
        output::json(&serde_json::json!({ "waiting": true }));
    } else {
        output::line("Waiting for calls (Ctrl-C to stop).");
    }
    // Already ringing when the stream was opened: the snapshot has them.
    let mut first = client
        .snapshot()
        .await?
        .ringing
        .into_iter()
        .map(|r| (r.call_id, r.conversation_id, r.room_name, r.caller_id))
        .next();
    // The snapshot and the stream may both tell a call that rang as the client started.
    let mut told = std::collections::HashSet::new();
    loop {
        if let Some((call_id, conversation_id, room_name, caller_id)) = first.take()
            && told.insert(call_id)
        {
            print_incoming(call_id, conversation_id, caller_id, as_json);
            match answer {
                Answer::None => {}
                Answer::Reject => {
                    let call = client.reject_call(call_id).await?;
                    output::call(&call, None, as_json);
                    return Ok(exit::OK);
                }
                Answer::Accept => {
                    let call = client.accept_call(&room_name).await?;
                    output::call(&call.call, Some(&call.jitsi_url), as_json);
                    return stay(client, events, call.call, hold, interrupted, as_json).await;
                }
            }
        }
        let event = tokio::select! {
            _ = &mut interrupted => return Ok(exit::OK),
            e = events.recv() => e,
        };
        match event {
            None => return Ok(exit::OK),
            Some(Event::IncomingCall {
                call_id,
                conversation_id,
                room_name,
                caller_id,
            }) => first = Some((call_id, conversation_id, room_name, caller_id)),
            Some(Event::Call {
                call_id: Some(id),
                change,
                by,
                duration,
                ..
            }) => print_change(id, change, by, duration, as_json),
            Some(Event::Connection {
                state: Connection::SignedOut,
                ..
            }) => return Err(signed_out()),
            Some(_) => {}
        }
    }
}

/// On the accepted call until it is over, or `hold` runs out (then hangs up).
async fn stay(
    client: &Client,
    events: &mut EventStream,
    call: VideoCall,
    hold: Option<Duration>,
    mut interrupted: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
    as_json: bool,
) -> Result<u8, Failure> {
    let id = call.id;
    let until = hold.map(|h| tokio::time::Instant::now() + h);
    let time_up = async {
        match until {
            Some(t) => tokio::time::sleep_until(t).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(time_up);
    loop {
        let event = tokio::select! {
            _ = &mut interrupted => break,
            _ = &mut time_up => break,
            e = events.recv() => e,
        };
        match event {
            None => break,
            Some(Event::Call {
                call_id: Some(c),
                change,
                by,
                duration,
                ..
            }) if c == id && change != nursecare_core::events::CallChange::StoppedRinging => {
                print_change(c, change, by, duration, as_json)
            }
            // The core says when the user's call is over, however that came about (a `None`
            // still queued from an earlier call, hung up by the accept, is not this one's).
            Some(Event::MyCall { call: None })
                if client.current_call().is_none_or(|c| c.call_id != id) =>
            {
                let last = final_call(client, &call).await?;
                output::call(&last, None, as_json);
                return Ok(exit::OK);
            }
            Some(Event::Connection {
                state: Connection::SignedOut,
                ..
            }) => return Err(signed_out()),
            Some(_) => {}
        }
    }
    // Time is up (or Ctrl-C): hang up, unless it is over already.
    let last = match client.current_call() {
        Some(now) if now.call_id == id => client.hang_up(id).await,
        _ => Ok(final_call(client, &call).await?),
    }
    .map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("{e} (call {id} may still be ongoing)"),
        )
    })?;
    output::call(&last, None, as_json);
    Ok(exit::OK)
}

fn print_incoming(call: Id, conversation: Id, caller: Id, as_json: bool) {
    if as_json {
        output::json(&serde_json::json!({
            "incomingCall": call,
            "conversationId": conversation,
            "callerId": caller,
        }));
    } else {
        output::line(&format!(
            "incoming call {call} from user {caller} in conversation {conversation}"
        ));
    }
}

fn print_change(
    call: Id,
    change: nursecare_core::events::CallChange,
    by: Option<Id>,
    duration: Option<i64>,
    as_json: bool,
) {
    if as_json {
        output::json(&serde_json::json!({
            "call": call, "change": change, "by": by, "duration": duration,
        }));
    } else {
        output::line(&output::call_change_line(call, change, by, duration));
    }
}

/// The call as the server has it now (the cache when the server cannot be reached).
async fn final_call(client: &Client, call: &VideoCall) -> Result<VideoCall, Failure> {
    Ok(client
        .call_history(call.conversation_id)
        .await?
        .into_iter()
        .find(|c| c.id == call.id)
        .unwrap_or_else(|| call.clone()))
}

fn signed_out() -> Failure {
    Failure::new(
        exit::SIGNED_OUT,
        "the session has expired: sign in again".to_owned(),
    )
}
