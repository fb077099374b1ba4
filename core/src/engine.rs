//! The engine: turns what the server pushes (and the link's state) into cache writes and
//! [`Event`]s, in arrival order. REST work it triggers (syncs, refreshes) runs in tasks of its
//! own so a slow server never holds up live events.

use crate::calls;
use crate::client::Ctx;
use crate::events::{CallChange, Event};
use crate::outbox;
use crate::socket::{LinkState, ServerEvent};
use crate::sync;
use crate::typing;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::{GetOnlineStatus, Typing};
use nursecare_wire::{Id, Message};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// Runs until the link stops.
pub(crate) async fn run(ctx: Arc<Ctx>, mut server: UnboundedReceiver<ServerEvent>) {
    let mut link = ctx.socket.state();
    let mut shown = typing::Shown::default();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    ctx.emit_conversations().await;
    ctx.emit_unread().await;
    let mut reported = link.borrow_and_update().clone();
    on_link(&ctx, &reported).await;
    loop {
        tokio::select! {
            ev = server.recv() => match ev {
                Some(ev) => on_event(&ctx, &mut shown, ev).await,
                None => {
                    // The link has ended; its last state (a refused session) still counts.
                    let last = link.borrow_and_update().clone();
                    if last != reported {
                        on_link(&ctx, &last).await;
                    }
                    return;
                }
            },
            changed = link.changed() => {
                let state = link.borrow_and_update().clone();
                if state != reported {
                    on_link(&ctx, &state).await;
                    reported = state;
                }
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick() => on_tick(&ctx, &mut shown).await,
        }
    }
}

async fn on_link(ctx: &Arc<Ctx>, state: &LinkState) {
    ctx.emit_connection(state).await;
    match state {
        LinkState::Online(_) => {
            let c = ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = sync::full(&c).await {
                    tracing::warn!(error = %e, "sync failed");
                    if !matches!(&e, crate::client::ClientError::Api(a) if a.is_network()) {
                        c.events.send(Event::Error {
                            message: format!("Could not update conversations: {e}"),
                        });
                    }
                }
                c.syncs.send_modify(|n| *n += 1);
                presence_query(&c).await;
            });
            ctx.kick.notify_one();
        }
        LinkState::SessionExpired => ctx.events.send(Event::Error {
            message: "The session has expired: please sign in again.".into(),
        }),
        _ => {}
    }
}

async fn presence_query(ctx: &Ctx) {
    let me = ctx.me;
    if let Ok(contacts) = ctx.cache.call(move |c| c.contacts(me)).await
        && !contacts.is_empty()
    {
        let _ = ctx
            .emit(
                cev::GET_ONLINE_STATUS,
                &GetOnlineStatus { user_ids: contacts },
            )
            .await;
    }
}

async fn on_tick(ctx: &Arc<Ctx>, shown: &mut typing::Shown) {
    flush_dirty(ctx).await;
    for (conversation_id, user_id) in shown.expire(Instant::now()) {
        ctx.events.send(Event::Typing {
            conversation_id,
            user_id,
            typing: false,
        });
    }
    let idle = ctx
        .typing_sent
        .lock()
        .expect("typing lock")
        .idle(Instant::now());
    for conversation in idle {
        let _ = ctx
            .emit(
                cev::TYPING,
                &Typing {
                    conversation_id: conversation,
                    user_id: Some(ctx.me),
                    is_typing: false,
                },
            )
            .await;
    }
}

async fn on_event(ctx: &Arc<Ctx>, shown: &mut typing::Shown, ev: ServerEvent) {
    match ev {
        ServerEvent::NewMessage(m) | ServerEvent::MessageSent(m) => {
            if shown.clear(m.conversation_id, m.sender_id) {
                ctx.events.send(Event::Typing {
                    conversation_id: m.conversation_id,
                    user_id: m.sender_id,
                    typing: false,
                });
            }
            on_message(ctx, m).await;
        }
        ServerEvent::MessagesRead(r) => {
            let (conv, reader) = (r.conversation_id, r.read_by);
            match ctx.cache.call(move |c| c.mark_read_by(conv, reader)).await {
                Ok(_) if reader == ctx.me => {
                    ctx.emit_unread().await;
                    ctx.emit_summary(conv).await;
                }
                Ok(_) => ctx.events.send(Event::Read {
                    conversation_id: conv,
                    read_by: reader,
                    at: r.timestamp,
                }),
                Err(e) => tracing::warn!(error = %e, "read flags"),
            }
        }
        ServerEvent::JoinedConversation(j) => {
            // Joining marked the other party's messages read on the server.
            let (conv, me) = (j.conversation_id, ctx.me);
            if ctx
                .cache
                .call(move |c| c.mark_read_by(conv, me))
                .await
                .is_ok_and(|n| n > 0)
            {
                ctx.emit_unread().await;
                ctx.emit_summary(conv).await;
            }
        }
        ServerEvent::UserTyping(t) => {
            let conversation = match t.conversation_id {
                Some(c) => Some(c),
                None => {
                    let user = t.user_id;
                    ctx.cache
                        .call(move |c| c.conversation_with(user))
                        .await
                        .ok()
                        .flatten()
                }
            };
            if let Some(conversation_id) = conversation
                && t.user_id != ctx.me
                && let Some(typing) =
                    shown.update(conversation_id, t.user_id, t.is_typing, Instant::now())
            {
                ctx.events.send(Event::Typing {
                    conversation_id,
                    user_id: t.user_id,
                    typing,
                });
            }
        }
        ServerEvent::UserStatusChanged(s) => ctx.events.send(Event::Presence {
            user_id: s.user_id,
            online: s.is_online,
            last_seen: s.last_seen,
        }),
        ServerEvent::OnlineStatuses(list) => {
            for s in list.into_iter().flatten() {
                ctx.events.send(Event::Presence {
                    user_id: s.id,
                    online: s.is_online,
                    last_seen: s.last_seen,
                });
            }
        }
        ServerEvent::IncomingVideoCall(c) => {
            calls::ring(ctx, c.call_id, c.conversation_id, &c.room_name, c.caller_id)
        }
        ServerEvent::VideoCallAccepted(a) => {
            // The reply shape (no userId) answers our own accept: nothing new.
            let Some(by) = a.user_id else { return };
            let call = a
                .call_id
                .or_else(|| ctx.calls.lock().expect("calls lock").by_room(&a.room_name));
            if by == ctx.me {
                // Answered on another device.
                if let Some(call) = call
                    && ctx.calls.lock().expect("calls lock").answered(call)
                {
                    call_event(
                        ctx,
                        Some(call),
                        a.conversation_id,
                        CallChange::StoppedRinging,
                        None,
                        None,
                    );
                }
                return;
            }
            call_event(
                ctx,
                call,
                a.conversation_id,
                CallChange::Accepted,
                Some(by),
                None,
            );
        }
        ServerEvent::VideoCallRejected(Some(a)) => call_event(
            ctx,
            Some(a.call_id),
            a.conversation_id,
            CallChange::Rejected,
            Some(a.user_id),
            None,
        ),
        ServerEvent::VideoCallHungUp(Some(a)) => call_event(
            ctx,
            Some(a.call_id),
            a.conversation_id,
            CallChange::HungUp,
            Some(a.user_id),
            None,
        ),
        ServerEvent::VideoCallEnded(Some(e)) => call_event(
            ctx,
            e.call_id,
            e.conversation_id,
            CallChange::Ended,
            Some(e.user_id),
            e.duration,
        ),
        ServerEvent::VideoCallMissed(m) => call_event(
            ctx,
            Some(m.call_id),
            Some(m.conversation_id),
            CallChange::Missed,
            None,
            None,
        ),
        ServerEvent::RefreshMessages(r) => {
            let target = r
                .map(|r| r.conversation_id)
                .or(*ctx.open.lock().expect("open lock"));
            if let Some(conversation) = target {
                let c = ctx.clone();
                tokio::spawn(async move {
                    if let Err(e) = sync::refresh(&c, conversation).await {
                        tracing::debug!(error = %e, "refresh failed");
                    }
                });
            }
        }
        ServerEvent::SendFailed(_) => {
            // Production's `error` names no message; the one in flight is the one that failed.
            let inflight = ctx.inflight.lock().expect("inflight lock").take();
            if let Some(f) = inflight {
                outbox::fail(ctx, f.local_id, "the server could not store this message").await;
            }
        }
        ServerEvent::Exception(_) => {
            // Its text may quote our payload: not logged.
            tracing::debug!("the server refused an event");
        }
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

fn call_event(
    ctx: &Ctx,
    call: Option<Id>,
    conversation: Option<Id>,
    change: CallChange,
    by: Option<Id>,
    duration: Option<i64>,
) {
    if let Some(id) = call {
        let mut board = ctx.calls.lock().expect("calls lock");
        if !board.first_report(id, change) {
            return;
        }
        if change != CallChange::Accepted {
            board.answered(id);
        }
    }
    ctx.events.send(Event::Call {
        call_id: call,
        conversation_id: conversation,
        change,
        by,
        duration,
    });
}

/// A message pushed by the server: matched with the outbox when it is the user's, stored,
/// announced.
async fn on_message(ctx: &Arc<Ctx>, m: Message) {
    let conversation = m.conversation_id;
    let mine = m.sender_id == ctx.me;
    let client_id = if mine {
        m.client_id.clone().or_else(|| {
            // Production echoes no clientId: the message in flight with this text is ours.
            let slot = ctx.inflight.lock().expect("inflight lock");
            slot.as_ref()
                .filter(|f| f.conversation_id == conversation && f.content == m.content)
                .map(|f| f.client_id.clone())
        })
    } else {
        None
    };
    if let Some(client_id) = client_id {
        let message = m.clone();
        match ctx
            .cache
            .call(move |c| c.outbox_confirm(&client_id, &message))
            .await
        {
            Ok((Some(item), fresh)) => {
                outbox::announce_sent(ctx, item, fresh.then_some(m));
            }
            Ok((None, fresh)) => {
                // A second echo, or a row this device does not have.
                if fresh {
                    added(ctx, m).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "echo not stored"),
        }
        return;
    }
    let put = m.clone();
    match ctx.cache.call(move |c| c.put_messages(&[put])).await {
        Ok(fresh) if !fresh.is_empty() => added(ctx, m).await,
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "message not stored"),
    }
}

async fn added(ctx: &Arc<Ctx>, m: Message) {
    let conversation = m.conversation_id;
    let from_other = m.sender_id != ctx.me;
    ctx.events.send(Event::MessageAdded {
        message: m,
        live: true,
    });
    ctx.touch(conversation, from_other);
}

/// Emits the list rows and counts marked since the last tick.
async fn flush_dirty(ctx: &Arc<Ctx>) {
    let dirty = std::mem::take(&mut *ctx.dirty.lock().expect("dirty lock"));
    let mut unknown = false;
    for conversation in dirty.conversations {
        unknown |= !ctx.emit_summary(conversation).await;
    }
    if dirty.unread {
        ctx.emit_unread().await;
    }
    if unknown {
        // A conversation someone just started with the user: fetch the list.
        let c = ctx.clone();
        tokio::spawn(async move {
            if let Err(e) = sync::full(&c).await {
                tracing::debug!(error = %e, "sync for a new conversation failed");
            }
        });
    }
}
