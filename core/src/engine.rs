//! The engine: turns what the server pushes (and the link's state) into cache writes and
//! [`Event`]s, in arrival order. REST work it triggers (syncs, refreshes) runs in tasks of its
//! own so a slow server never holds up live events.

use crate::announce;
use crate::cache::SendFailure;
use crate::call_owner::{CallOwner, Heard, Ring};
use crate::error::ClientError;
use crate::events::{CallChange, Event};
use crate::outbox::{self, Delivery};
use crate::reads;
use crate::shared::Shared;
use crate::socket::{LinkState, ServerEvent};
use crate::sync;
use crate::typing;
use nursecare_wire::Message;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::{GetOnlineStatus, Typing};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// What the engine works with.
pub(crate) struct Engine {
    pub shared: Arc<Shared>,
    pub delivery: Arc<Delivery>,
    pub calls: CallOwner,
}

/// Runs until the link stops.
pub(crate) async fn run(engine: Engine, mut server: UnboundedReceiver<ServerEvent>) {
    let shared = &engine.shared;
    let mut link = shared.socket.state();
    let mut shown = typing::Shown::default();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    announce::list(shared).await;
    announce::unread(shared).await;
    let mut reported = link.borrow_and_update().clone();
    on_link(&engine, &reported).await;
    loop {
        tokio::select! {
            ev = server.recv() => match ev {
                Some(ev) => on_event(&engine, &mut shown, ev).await,
                None => {
                    // The link has ended; its last state (a refused session) still counts.
                    let last = link.borrow_and_update().clone();
                    if last != reported {
                        on_link(&engine, &last).await;
                    }
                    return;
                }
            },
            changed = link.changed() => {
                let state = link.borrow_and_update().clone();
                if state != reported {
                    on_link(&engine, &state).await;
                    reported = state;
                }
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick() => on_tick(shared, &mut shown).await,
        }
    }
}

async fn on_link(engine: &Engine, state: &LinkState) {
    let shared = &engine.shared;
    if !matches!(state, LinkState::Online { .. }) {
        shared.forget_live();
    }
    announce::connection(shared, state).await;
    match state {
        LinkState::Online { .. } => {
            let c = shared.clone();
            shared.spawn(async move {
                match sync::full(&c).await {
                    // A refused session is the link's to report (once), not a sync failure.
                    Err(ClientError::Api(a)) if a.ends_session() => {}
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "sync failed");
                        if !matches!(&e, ClientError::Api(a) if a.is_network()) {
                            c.events.send(Event::Error {
                                message: format!("Could not update conversations: {e}"),
                            });
                        }
                    }
                }
                c.syncs.send_modify(|n| *n += 1);
                presence_query(&c).await;
            });
            engine.delivery.kick();
        }
        LinkState::SessionExpired => shared.events.send(Event::Error {
            message: if shared.socket.signed_out_by_admin() {
                SIGNED_OUT_BY_ADMIN.into()
            } else {
                "The session has expired: please sign in again.".into()
            },
        }),
        _ => {}
    }
}

/// What the user is told when an administrator signed them out.
pub const SIGNED_OUT_BY_ADMIN: &str =
    "An administrator signed you out of NurseCare: please sign in again.";

async fn presence_query(shared: &Shared) {
    let me = shared.me;
    if let Ok(contacts) = shared.cache.call(move |c| c.contacts(me)).await
        && !contacts.is_empty()
    {
        let _ = shared
            .tell_server(
                cev::GET_ONLINE_STATUS,
                &GetOnlineStatus { user_ids: contacts },
            )
            .await;
    }
}

async fn on_tick(shared: &Arc<Shared>, shown: &mut typing::Shown) {
    flush_dirty(shared).await;
    reads::keep_open_read(shared).await;
    for (conversation_id, user_id) in shown.expire(Instant::now()) {
        shared.show_typing(conversation_id, user_id, false);
    }
    let idle = shared
        .typing_sent
        .lock()
        .expect("typing lock")
        .idle(Instant::now());
    for conversation in idle {
        let _ = shared
            .tell_server(
                cev::TYPING,
                &Typing {
                    conversation_id: conversation,
                    user_id: Some(shared.me),
                    is_typing: false,
                },
            )
            .await;
    }
}

async fn on_event(engine: &Engine, shown: &mut typing::Shown, ev: ServerEvent) {
    let shared = &engine.shared;
    let calls = &engine.calls;
    match ev {
        ServerEvent::NewMessage(m) | ServerEvent::MessageSent(m) => {
            if shown.clear(m.conversation_id, m.sender_id) {
                shared.show_typing(m.conversation_id, m.sender_id, false);
            }
            on_message(engine, m).await;
        }
        ServerEvent::MessagesRead(r) => {
            let (conv, reader, at) = (r.conversation_id, r.read_by, r.timestamp);
            match shared
                .cache
                .call(move |c| {
                    let n = c.mark_read_by(conv, reader)?;
                    c.stamp_urgent_read(conv, reader, at)?;
                    Ok(n)
                })
                .await
            {
                Ok(_) if reader == shared.me => {
                    announce::unread(shared).await;
                    announce::row(shared, conv).await;
                }
                Ok(_) => shared.events.send(Event::Read {
                    conversation_id: conv,
                    read_by: reader,
                    at: r.timestamp,
                }),
                Err(e) => tracing::warn!(error = %e, "read flags"),
            }
        }
        ServerEvent::JoinedConversation(j) => {
            // Joining marked the other party's messages read on the server.
            let (conv, me) = (j.conversation_id, shared.me);
            if shared
                .cache
                .call(move |c| c.mark_read_by(conv, me))
                .await
                .is_ok_and(|n| n > 0)
            {
                announce::unread(shared).await;
                announce::row(shared, conv).await;
            }
            shared.events.send(Event::Joined {
                conversation_id: conv,
            });
            if shared.features().is_some_and(|f| !f.read_events) {
                // Production tells no one of a read made over REST: a chat opened shows
                // the read marks (and anything else) the server has now.
                sync::refresh_soon(shared, conv);
            }
        }
        ServerEvent::UserTyping(t) => {
            let conversation = match t.conversation_id {
                Some(c) => Some(c),
                None => {
                    let user = t.user_id;
                    shared
                        .cache
                        .call(move |c| c.conversation_with(user))
                        .await
                        .ok()
                        .flatten()
                }
            };
            if let Some(conversation_id) = conversation
                && t.user_id != shared.me
                && let Some(typing) =
                    shown.update(conversation_id, t.user_id, t.is_typing, Instant::now())
            {
                shared.show_typing(conversation_id, t.user_id, typing);
            }
        }
        ServerEvent::UserStatusChanged(s) => {
            shared.show_presence(s.user_id, s.is_online, s.last_seen)
        }
        ServerEvent::OnlineStatuses(list) => {
            for s in list.into_iter().flatten() {
                shared.show_presence(s.id, s.is_online, s.last_seen);
            }
        }
        ServerEvent::IncomingVideoCall(c) => calls.ring(Ring {
            call: c.call_id,
            conversation: c.conversation_id,
            room: c.room_name,
            caller: c.caller_id,
        }),
        ServerEvent::VideoCallAccepted(a) => {
            // The reply shape (no userId) answers our own accept: nothing new.
            let Some(by) = a.user_id else { return };
            calls.heard(Heard {
                call: a.call_id,
                room: Some(a.room_name),
                conversation: a.conversation_id,
                change: CallChange::Accepted,
                by: Some(by),
                duration: None,
            });
        }
        ServerEvent::VideoCallRejected(Some(a)) => calls.heard(Heard {
            call: Some(a.call_id),
            room: None,
            conversation: a.conversation_id,
            change: CallChange::Rejected,
            by: Some(a.user_id),
            duration: None,
        }),
        ServerEvent::VideoCallHungUp(Some(a)) => calls.heard(Heard {
            call: Some(a.call_id),
            room: None,
            conversation: a.conversation_id,
            change: CallChange::HungUp,
            by: Some(a.user_id),
            duration: None,
        }),
        ServerEvent::VideoCallEnded(Some(e)) => calls.heard(Heard {
            call: e.call_id,
            room: None,
            conversation: e.conversation_id,
            change: CallChange::Ended,
            by: Some(e.user_id),
            duration: e.duration,
        }),
        ServerEvent::VideoCallMissed(m) => calls.heard(Heard {
            call: Some(m.call_id),
            room: None,
            conversation: Some(m.conversation_id),
            change: CallChange::Missed,
            by: None,
            duration: None,
        }),
        ServerEvent::FileShared(f) => {
            crate::files::shared_with_me(shared, f.conversation_id, f.file).await;
        }
        ServerEvent::FileRemoved(f) => crate::files::removed(shared, f.file_id).await,
        ServerEvent::RefreshMessages(r) => {
            let target = r.map(|r| r.conversation_id).or(shared.open_conversation());
            if let Some(conversation) = target {
                sync::refresh_soon(shared, conversation);
            }
        }
        ServerEvent::SendFailed(_) => {
            // Production's `error` names no message; the one in flight is the one that failed.
            if let Some(f) = engine.delivery.take_in_flight() {
                outbox::fail(
                    shared,
                    &engine.delivery,
                    f.local_id,
                    SendFailure::ServerError,
                    "the server could not store this message",
                )
                .await;
            }
        }
        ServerEvent::Exception(e) => match e.client_id {
            // Our server names the message it refused (Part B): fail it now, with the
            // server's reason, rather than retry what will be refused again.
            Some(client_id) => {
                outbox::refused(shared, &engine.delivery, client_id, &e.message).await;
            }
            // Its text may quote our payload: not logged.
            None => tracing::debug!("the server refused an event"),
        },
        ServerEvent::Registered(_)
        | ServerEvent::LeftConversation(_)
        | ServerEvent::VideoCallStarted(_)
        | ServerEvent::VideoCallRejected(None)
        | ServerEvent::VideoCallHungUp(None)
        | ServerEvent::VideoCallEnded(None)
        | ServerEvent::HeartbeatAck
        | ServerEvent::Unknown(_) => {}
    }
}

/// A message pushed by the server: matched with the outbox when it is the user's, stored,
/// announced.
async fn on_message(engine: &Engine, m: Message) {
    let shared = &engine.shared;
    let conversation = m.conversation_id;
    let mine = m.sender_id == shared.me;
    let mut client_id = if mine {
        // Production echoes no clientId: the message in flight with this text is ours.
        m.client_id
            .clone()
            .or_else(|| engine.delivery.echo_of(conversation, &m.content))
    } else {
        None
    };
    if mine && client_id.is_none() && m.client_id.is_none() {
        // A late echo of a row failed by production's `error` (which names no message and
        // may arrive after the row was tried again): it was stored after all.
        let content = m.content.clone();
        client_id = shared
            .cache
            .call(move |c| c.outbox_failed_by_server(conversation, &content))
            .await
            .ok()
            .flatten();
    }
    if let Some(client_id) = client_id {
        let message = m.clone();
        match shared
            .cache
            .call(move |c| c.outbox_confirm(&client_id, &message))
            .await
        {
            Ok((Some(item), fresh)) => {
                outbox::announce_sent(shared, &engine.delivery, item, fresh.then_some(m));
            }
            Ok((None, fresh)) => {
                // A second echo, or a row this device does not have.
                if fresh {
                    added(shared, m).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "echo not stored"),
        }
        return;
    }
    let put = m.clone();
    match shared.cache.call(move |c| c.put_messages(&[put])).await {
        Ok(fresh) if !fresh.is_empty() => added(shared, m).await,
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "message not stored"),
    }
}

async fn added(shared: &Shared, m: Message) {
    let conversation = m.conversation_id;
    let from_other = m.sender_id != shared.me;
    if from_other && shared.open_conversation() == Some(conversation) {
        shared.request_read();
    }
    shared.events.send(Event::MessageAdded {
        message: m,
        live: true,
    });
    shared.touch(conversation, from_other);
}

/// Emits the list rows and counts marked since the last tick.
async fn flush_dirty(shared: &Arc<Shared>) {
    let dirty = shared.take_dirty();
    let mut unknown = false;
    for conversation in dirty.conversations {
        unknown |= !announce::row(shared, conversation).await;
    }
    if dirty.unread {
        announce::unread(shared).await;
    }
    if unknown {
        // A conversation someone just started with the user: fetch the list.
        let c = shared.clone();
        shared.spawn(async move {
            if let Err(e) = sync::full(&c).await {
                tracing::debug!(error = %e, "sync for a new conversation failed");
            }
        });
    }
}
