//! A shift change on the ward's shared computer, in the real window: Amara locks, Ben signs
//! in beside her from the lock screen and sees only his chats; a patient writes to Amara
//! meanwhile and her count on Ben's lock screen goes up (her account receives in the
//! background) with nothing of the message readable; Amara comes back with her own PIN and
//! finds it; when she signs out, Ben is still there to open.

use super::driver::Session;
use super::support::{AMARA, DEMO_PASSWORD};
use super::{World, app_bin, conversation_with_amara, list_shows, one_app_at_a_time, sign_in};

const BEN: &str = "ben.carter@nursecare.test";

/// The count the lock screen's list says for `email` ("4 new messages" → 4).
fn count_for(text: &str, email: &str) -> Option<u32> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let after = &flat[flat.find(email)? + email.len()..];
    let after = after.trim_start_matches([' ', ',']);
    if after.starts_with("no new messages") {
        return Some(0);
    }
    let (n, rest) = after.split_once(' ')?;
    rest.starts_with("new message").then(|| n.parse().ok())?
}

async fn set_first_pin(s: &Session, pin: &str) {
    s.type_into(&s.find("textbox", "Password").await, DEMO_PASSWORD)
        .await;
    s.type_into(&s.find("textbox", "New PIN").await, pin).await;
    s.click(&s.find("button", "Set PIN and unlock").await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_change_keeps_each_nurse_apart_and_both_receiving() {
    let _one = one_app_at_a_time().await;
    let world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Daniel Kim").await;

    // Amara locks; Ben signs in beside her from the lock screen.
    s.click(&s.find("button", "Lock").await).await;
    s.find("heading", "NurseCare is locked").await;
    s.click(&s.find("button", "Switch nurse").await).await;
    s.click(&s.find("button", "Another nurse signs in").await)
        .await;
    s.find("heading", "Another nurse signs in").await;
    s.type_into(&s.find("textbox", "Email").await, BEN).await;
    s.type_into(&s.find("textbox", "Password").await, DEMO_PASSWORD)
        .await;
    s.click(&s.find("button", "Sign in").await).await;
    s.find("button", "Elena Rossi").await;
    let text = s.page_text().await;
    assert!(
        !text.contains("Daniel Kim"),
        "Amara's patient on Ben's screen:\n{text}"
    );

    // A patient writes to Amara: Ben's window shows none of it; on his lock screen her count
    // goes up, and still nothing of the message.
    s.click(&s.find("button", "Lock").await).await;
    s.click(&s.find("button", "Switch nurse").await).await;
    let before = s
        .until_text("Amara's count", |t| count_for(t, AMARA).is_some())
        .await;
    let before = count_for(&before, AMARA).unwrap();
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    patient.expect(0, &["send", &conversation, "For Amara only, the dressing"]);
    let after = s
        .until_text("Amara's count going up", |t| {
            count_for(t, AMARA).is_some_and(|n| n > before)
        })
        .await;
    assert!(!after.contains("dressing"), "{after}");
    let markup = s
        .script(
            "return document.documentElement.outerHTML",
            serde_json::json!([]),
        )
        .await;
    assert!(
        !markup.as_str().unwrap().contains("dressing")
            && !markup.as_str().unwrap().contains("Elena"),
        "nothing of either nurse's chats in a locked page"
    );

    // Amara comes back: her own PIN (set now, with her password), and the message is there.
    s.click(&s.find("button", AMARA).await).await;
    s.until_text("Amara's lock", |t| {
        t.contains(&format!("Signed in as {AMARA}"))
    })
    .await;
    set_first_pin(&s, "482916").await;
    list_shows(&s, "For Amara only, the dressing").await;
    assert!(!s.page_text().await.contains("Elena Rossi"));

    // She signs out; Ben is still signed in, to open with his own password and PIN.
    s.click(&s.find("button", "Lock").await).await;
    s.click(&s.find("button", "Sign out").await).await;
    s.find("heading", "Sign in to NurseCare").await;
    s.click(&s.find("button", BEN).await).await;
    s.until_text("Ben's lock", |t| t.contains(&format!("Signed in as {BEN}")))
        .await;
    set_first_pin(&s, "135790").await;
    s.find("button", "Elena Rossi").await;
    s.end().await;
}
