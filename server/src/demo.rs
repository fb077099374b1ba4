//! `--demo`: a small world to try the app in, seeded only into an empty database.
//!
//! Two nurses and three patients, four conversations with a few hundred messages over the last
//! five days (the newest ones unread), and a call history with ended, rejected and missed calls.

use nursecare_wire::system::{VIDEO_CALL_JOINED, VIDEO_CALL_MISSED, VIDEO_CALL_REJECTED};
use nursecare_wire::{CallStatus, Id, MessageType, Role, Timestamp};

use crate::auth::hash_password;
use crate::calls::new_room_name;
use crate::store::{CallChange, CallGuard, NewMessage, NewUser, Store, SystemSender, SystemText};

/// The demo password of every demo account.
pub const PASSWORD: &str = "nursecare-demo";

/// The demo accounts: (email, name, role).
pub const ACCOUNTS: [(&str, &str, Role); 5] = [
    ("amara.okafor@nursecare.test", "Amara Okafor", Role::Nurse),
    ("ben.carter@nursecare.test", "Ben Carter", Role::Nurse),
    ("chloe.martin@nursecare.test", "Chloe Martin", Role::Patient),
    ("daniel.kim@nursecare.test", "Daniel Kim", Role::Patient),
    ("elena.rossi@nursecare.test", "Elena Rossi", Role::Patient),
];

const NURSE_LINES: &[&str] = &[
    "Good morning! How did you sleep last night?",
    "Please remember to take your evening dose with food.",
    "Your blood pressure readings look much better this week.",
    "Could you send me today's glucose numbers when you have them?",
    "I'll be at your place around 10:30 tomorrow for the dressing change.",
    "Any dizziness or nausea since we adjusted the medication?",
    "That's great progress. Keep up the short walks after lunch.",
    "I've spoken to Dr. Patel; she agrees with the new schedule.",
    "Drink plenty of water today, it's going to be warm.",
    "Let me know if the swelling gets worse, even in the evening.",
    "I've booked the follow-up for Thursday at 9:00.",
    "How is the pain on a scale from 1 to 10 today?",
];

const PATIENT_LINES: &[&str] = &[
    "Morning! Slept better than last week, thank you.",
    "Took the tablets at 8, no problems so far.",
    "The readings were 128/82 this morning.",
    "A bit tired after the walk but otherwise fine.",
    "Is it okay to have coffee with the new medication?",
    "The wound looks less red today.",
    "10:30 works for me, I'll leave the door unlocked.",
    "Pain is about a 3 today, better than yesterday.",
    "Thanks, that really helps me plan the week.",
    "I forgot the noon dose yesterday, should I double up?",
    "No dizziness, just a little headache in the afternoon.",
    "See you tomorrow!",
];

/// Seeds the demo world if the database has no users. Answers whether it seeded.
pub async fn seed_if_empty(store: &dyn Store) -> anyhow::Result<bool> {
    if store.user_count().await? > 0 {
        return Ok(false);
    }
    let hash = hash_password(PASSWORD.into()).await?;
    let mut ids = Vec::new();
    for (email, name, role) in ACCOUNTS {
        let user = store
            .create_user(NewUser {
                email: email.into(),
                name: Some(name.into()),
                role,
                password_hash: hash.clone(),
            })
            .await?;
        ids.push(user.id);
    }
    let (amara, ben, chloe, daniel, elena) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    let now = Timestamp::now().millis();
    let day = 24 * 60 * 60 * 1000;
    let start = now - 5 * day;

    // (nurse, patient, messages, unread at the end for the first-named, booking)
    let plan = [
        (amara, chloe, 110, 3, Some(101)),
        (amara, daniel, 80, 0, Some(102)),
        (ben, elena, 95, 2, Some(103)),
        (ben, chloe, 40, 1, None),
    ];
    let mut conversations = Vec::new();
    for (k, (nurse, patient, count, unread_for_nurse, booking)) in plan.into_iter().enumerate() {
        let (conversation, _) = store
            .get_or_create_conversation(nurse, patient, booking, Timestamp::from_millis(start))
            .await?;
        let step = (5 * day - 60 * 60 * 1000) / count as i64;
        for i in 0..count {
            let at = start + step * i as i64 + (k as i64 * 7_000);
            // Mostly alternating, with the occasional double message.
            let from_nurse = (i + i / 7) % 2 == 0;
            let (sender, lines) = if from_nurse {
                (nurse, NURSE_LINES)
            } else {
                (patient, PATIENT_LINES)
            };
            let content = lines[(i * 5 + k) % lines.len()].to_owned();
            store
                .insert_message(NewMessage {
                    conversation_id: conversation.id,
                    sender_id: sender,
                    content,
                    kind: MessageType::Text,
                    client_id: None,
                    urgent: false,
                    at: Timestamp::from_millis(at),
                })
                .await?;
            // Everything is read but the last few messages the nurse has not seen yet.
            if i + unread_for_nurse + 1 == count {
                store.mark_read(conversation.id, nurse).await?;
                store.mark_read(conversation.id, patient).await?;
            }
        }
        // The nurse's newest messages stay unread for the patient too, in two conversations.
        if unread_for_nurse > 0 {
            for j in 0..unread_for_nurse {
                store
                    .insert_message(NewMessage {
                        conversation_id: conversation.id,
                        sender_id: patient,
                        content: PATIENT_LINES[(j + k) % PATIENT_LINES.len()].to_owned(),
                        kind: MessageType::Text,
                        client_id: None,
                        urgent: false,
                        at: Timestamp::from_millis(now - (unread_for_nurse - j) as i64 * 90_000),
                    })
                    .await?;
            }
        }
        conversations.push((conversation.id, nurse, patient));
    }

    // Calls: (conversation index, days ago, outcome, duration seconds)
    let calls = [
        (0, 4, Outcome::Ended, 12 * 60 + 30),
        (0, 2, Outcome::Missed, 0),
        (0, 1, Outcome::Ended, 8 * 60 + 5),
        (2, 3, Outcome::Rejected, 0),
        (2, 1, Outcome::Ended, 45),
        (1, 2, Outcome::Ended, 21 * 60 + 12),
    ];
    for (index, days_ago, outcome, seconds) in calls {
        let (conversation, nurse, patient) = conversations[index];
        let started = now - days_ago * day + 3 * 60 * 60 * 1000;
        seed_call(
            store,
            conversation,
            nurse,
            patient,
            started,
            outcome,
            seconds,
        )
        .await?;
    }
    Ok(true)
}

#[derive(Clone, Copy)]
enum Outcome {
    Ended,
    Rejected,
    Missed,
}

async fn seed_call(
    store: &dyn Store,
    conversation: Id,
    caller: Id,
    callee: Id,
    started: i64,
    outcome: Outcome,
    seconds: i64,
) -> anyhow::Result<()> {
    let record = store
        .create_call(
            conversation,
            &new_room_name(conversation),
            caller,
            Timestamp::from_millis(started),
        )
        .await?;
    let id = record.call.id;
    let step = |status, ended, duration, answered, system, at| CallChange {
        guard: CallGuard::Any,
        status,
        set_ended_at: ended,
        set_duration: duration,
        set_answered: answered,
        system,
        at: Timestamp::from_millis(at),
    };
    match outcome {
        Outcome::Ended => {
            let joined = (
                SystemSender::User(callee),
                SystemText::Fixed(VIDEO_CALL_JOINED),
            );
            store
                .change_call(id, step(None, false, false, true, joined, started + 4_000))
                .await?;
            let ended = (SystemSender::Starter, SystemText::EndedWithDuration);
            let end_at = started + seconds * 1000;
            store
                .change_call(
                    id,
                    step(Some(CallStatus::Ended), true, true, false, ended, end_at),
                )
                .await?;
        }
        Outcome::Rejected => {
            let rejected = (
                SystemSender::User(callee),
                SystemText::Fixed(VIDEO_CALL_REJECTED),
            );
            store
                .change_call(
                    id,
                    step(
                        Some(CallStatus::Missed),
                        true,
                        false,
                        false,
                        rejected,
                        started + 6_000,
                    ),
                )
                .await?;
        }
        Outcome::Missed => {
            let missed = (SystemSender::Starter, SystemText::Fixed(VIDEO_CALL_MISSED));
            store
                .change_call(
                    id,
                    step(
                        Some(CallStatus::Missed),
                        false,
                        false,
                        false,
                        missed,
                        started + 60_000,
                    ),
                )
                .await?;
        }
    }
    Ok(())
}

/// The banner printed on stdout at start (never through the logs).
pub fn banner(addr: &str) -> String {
    let mut s = format!(
        "\nNurseCare demo server on http://{addr}\nDemo accounts (password for all: {PASSWORD}):\n"
    );
    for (email, name, role) in ACCOUNTS {
        s.push_str(&format!("  {:<8} {:<14} {email}\n", role.as_str(), name));
    }
    s
}
