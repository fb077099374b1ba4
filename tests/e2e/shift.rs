//! A shift change on the ward's shared computer, in the real window: Amara locks, Ben signs
//! in beside her from the lock screen and sees only his chats; a patient calls Amara
//! meanwhile: it rings for her on the desktop and in Ben's window, saying for whom and never
//! who calls, and switching brings Amara to the front behind her PIN, where the call's banner
//! answers; when Ben comes to the front, her call ends for the patient. A patient writes to Ben while Amara works: his count on her lock screen goes up
//! (his account receives in the background) with nothing of the message readable; Ben comes
//! back with his own PIN and finds it (urgent: while he was not in front, a notification said
//! only that one waits for him); when he signs out, Amara is still there to open.

use super::driver::Session;
use super::notify_server::{self, Notifications};
use super::support::{AMARA, DEMO_PASSWORD, Running};
use super::{
    World, app_bin, conversation_with, conversation_with_amara, list_shows, one_app_at_a_time,
    set_first_pin, sign_in,
};

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

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_change_keeps_each_nurse_apart_and_both_receiving() {
    let _one = one_app_at_a_time().await;
    let world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    let notifications =
        Notifications::serve(&notify_server::bus_of_app(&world.app_profile())).await;
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

    // Chloe calls Amara: it rings for Amara, on the desktop and in Ben's window, naming no
    // caller; switching brings Amara to the front, and once open her banner answers.
    let patient = world.patient();
    let to_amara = conversation_with_amara(&patient).to_string();
    // From her phone, so that she can still write from the first while the call goes on.
    let phone = world.patient_on("patient-phone");
    let mut caller = Running::spawn(
        &phone,
        &["--json", "call", "start", &to_amara, "--hold", "600"],
    );
    caller.next();
    let rang = notifications.nth(1).await;
    assert_eq!(
        (rang.summary.as_str(), rang.body.as_str()),
        (
            "NurseCare",
            "Incoming video call for amara.okafor@nursecare.test"
        ),
        "{rang:?}"
    );
    let banner = s
        .find(
            "alertdialog",
            "Incoming video call for amara.okafor@nursecare.test",
        )
        .await;
    assert!(!s.text(&banner).await.contains("Chloe"));
    s.click(&s.find("button", "Switch nurse to answer").await)
        .await;
    s.until_text("Amara's lock", |t| {
        t.contains(&format!("Signed in as {AMARA}"))
    })
    .await;
    set_first_pin(&s, "482916").await;
    s.find("alertdialog", "Chloe Martin is calling").await;
    notifications.until_closed(rang.id).await;
    s.click(&s.find("button", "Accept").await).await;
    caller.until(|v| v["event"] == "call" && v["change"] == "accepted");
    s.until_text("Amara's call bar", |t| {
        t.contains("In call with Chloe Martin")
    })
    .await;

    // Chloe writes to Ben while Amara works: Amara's window shows none of it; on her lock
    // screen his count goes up, and still nothing of the message.
    s.click(&s.find("button", "Lock").await).await;
    s.click(&s.find("button", "Switch nurse").await).await;
    let before = s
        .until_text("Ben's count", |t| count_for(t, BEN).is_some())
        .await;
    let before = count_for(&before, BEN).unwrap();
    let to_ben = conversation_with(&patient, BEN).to_string();
    patient.expect(
        0,
        &["send", &to_ben, "For Ben only, the dressing", "--urgent"],
    );
    let urgent = notifications.nth(2).await;
    assert_eq!(
        (urgent.summary.as_str(), urgent.body.as_str()),
        ("NurseCare", "Urgent message for ben.carter@nursecare.test"),
        "an urgent message for Ben says for whom only: {urgent:?}"
    );
    let after = s
        .until_text("Ben's count going up", |t| {
            count_for(t, BEN).is_some_and(|n| n > before)
        })
        .await;
    assert!(!after.contains("dressing"), "{after}");
    let markup = s
        .script(
            "return document.documentElement.outerHTML",
            serde_json::json!([]),
        )
        .await;
    let markup = markup.as_str().unwrap();
    assert!(
        !markup.contains("dressing") && !markup.contains("Daniel") && !markup.contains("Elena"),
        "nothing of either nurse's chats in a locked page"
    );

    // Ben comes back: his own PIN (set now, with his password), and the message is there.
    // Amara's call, still on behind her lock, ends for Chloe as Amara leaves the front.
    s.click(&s.find("button", BEN).await).await;
    caller.until(|v| v["event"] == "call" && v["change"] == "hungUp");
    let lines = caller.finish_json();
    assert_eq!(lines.last().unwrap()["status"], "ENDED", "{lines:?}");
    s.until_text("Ben's lock", |t| t.contains(&format!("Signed in as {BEN}")))
        .await;
    set_first_pin(&s, "135790").await;
    list_shows(&s, "For Ben only, the dressing").await;
    notifications.until_closed(urgent.id).await;
    assert!(!s.page_text().await.contains("Daniel Kim"));

    // He signs out; Amara is still signed in, to open with her PIN.
    s.click(&s.find("button", "Lock").await).await;
    s.click(&s.find("button", "Sign out").await).await;
    s.find("heading", "Sign in to NurseCare").await;
    s.click(&s.find("button", AMARA).await).await;
    s.until_text("Amara's lock", |t| {
        t.contains(&format!("Signed in as {AMARA}"))
    })
    .await;
    let field = s.find("textbox", "PIN or password").await;
    s.type_into(&field, &format!("482916{}", super::driver::ENTER))
        .await;
    s.find("button", "Daniel Kim").await;
    s.end().await;
}
