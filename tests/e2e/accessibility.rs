//! Everyone can use the window: axe-core (the UI's pinned dev dependency, injected through
//! WebDriver) finds no serious or critical violation on any screen a nurse meets — sign-in,
//! the list, an open chat, search results, Settings, a ringing call, the offline state, the
//! lock — and a nurse does her work with the keyboard alone: open a chat, send, answer a call,
//! open and leave Settings.

use super::driver::{ENTER, Session};
use super::support::{DEMO_PASSWORD, Running};
use super::{
    World, app_bin, conversation_with_amara, list_shows, one_app_at_a_time, set_first_pin, sign_in,
};
use serde_json::{Value, json};

const TAB: &str = "\u{E004}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_DOWN: &str = "\u{E015}";

/// axe-core, as `npm ci` put it beside the UI.
fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run npm ci in ui/)", path.display()))
}

/// Runs axe on the page: its serious and critical violations, each with a few of its nodes.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({ id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + n.failureSummary) }))),
  e => done([{ id: 'axe-failed', impact: 'critical', help: String(e), nodes: [] }]));
"#;

async fn serious_violations(s: &Session, axe: &str) -> Vec<Value> {
    // Injected again on each screen: a sign-in reloads nothing, but it costs little.
    s.script(&format!("{axe}\n;return typeof axe;"), json!([]))
        .await;
    s.script_async(RUN_AXE, json!([]))
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn axe_finds_no_serious_violation_on_any_screen() {
    let _one = one_app_at_a_time().await;
    let mut world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    let axe = axe_source();
    let mut found: Vec<(String, Vec<Value>)> = Vec::new();
    let mut check = async |screen: &str, s: &Session| {
        let v = serious_violations(s, &axe).await;
        found.push((screen.to_owned(), v));
    };

    s.find("heading", "Sign in to NurseCare").await;
    check("sign-in", &s).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    check("the list", &s).await;

    s.click(&s.find("button", "Chloe Martin").await).await;
    s.find("log", "Messages").await;
    check("an open chat", &s).await;

    let search = s.find("searchbox", "Search messages").await;
    s.type_into(&search, "dressing").await;
    s.until_text("search results", |t| t.contains("found"))
        .await;
    check("search results", &s).await;
    s.type_into(&search, ESCAPE).await;

    s.click(&s.find("button", "Settings").await).await;
    s.find("heading", "Settings").await;
    check("Settings", &s).await;
    s.click(&s.find("button", "Close settings").await).await;

    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    caller.next();
    s.find("alertdialog", "Chloe Martin is calling").await;
    check("a ringing call", &s).await;
    s.click(&s.find("button", "Decline").await).await;
    caller.until(|v| v["event"] == "call" && v["change"] == "rejected");
    caller.finish();

    s.click(&s.find("button", "Lock").await).await;
    s.find("heading", "NurseCare is locked").await;
    check("the lock", &s).await;
    set_first_pin(&s, "482916").await;
    s.find("button", "Chloe Martin").await;

    world.server.kill();
    s.until_text("the offline banner", |t| t.contains("Not connected"))
        .await;
    check("offline", &s).await;
    s.end().await;

    let failing: Vec<_> = found.iter().filter(|(_, v)| !v.is_empty()).collect();
    assert!(
        failing.is_empty(),
        "serious or critical violations:\n{}",
        serde_json::to_string_pretty(&failing).unwrap()
    );
    assert_eq!(found.len(), 8, "every screen was checked");
}

/// Keys to whatever has the focus.
async fn keys(s: &Session, text: &str) {
    let active = s.focused().await;
    s.type_into(&active, text).await;
}

/// The focused element's tag, role-ish text and label, to follow the focus.
async fn focused(s: &Session) -> String {
    s.script(
        "const e = document.activeElement; \
         return e ? (e.tagName + ' ' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60)) : ''",
        json!([]),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Tabs until the focus is on an element whose description `want` accepts; answers how many
/// Tabs it took (at most `most`).
async fn tab_to(s: &Session, most: usize, want: impl Fn(&str) -> bool) -> usize {
    let mut seen = Vec::new();
    for n in 1..=most {
        keys(s, TAB).await;
        let now = focused(s).await;
        if want(&now) {
            return n;
        }
        seen.push(now);
    }
    panic!("not reached in {most} Tabs; the focus went: {seen:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nurse_works_with_the_keyboard_alone() {
    let _one = one_app_at_a_time().await;
    let world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();

    // From the search box, one Tab reaches the list; the arrows move in it; Enter opens.
    let search = s.find("searchbox", "Search messages").await;
    s.click(&search).await;
    tab_to(&s, 3, |f| {
        f.starts_with("BUTTON") && (f.contains("Chloe") || f.contains("Daniel"))
    })
    .await;
    while !focused(&s).await.contains("Chloe Martin") {
        keys(&s, ARROW_DOWN).await;
    }
    keys(&s, ENTER).await;
    s.find("region", "Chat with Chloe Martin").await;

    // The list is one Tab stop: the composer is a few Tabs away, however long the list.
    s.click(&search).await;
    let tabs = tab_to(&s, 12, |f| f.starts_with("TEXTAREA")).await;
    assert!(tabs <= 12, "{tabs} Tabs to the composer");
    keys(&s, &format!("Typed with keys alone{ENTER}")).await;
    list_shows(&s, "Typed with keys alone").await;

    // A call rings: the focus goes to Accept (the nurse is not typing: she left the
    // composer), Enter answers it.
    keys(&s, TAB).await;
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    caller.next();
    s.find("alertdialog", "Chloe Martin is calling").await;
    let deadline = std::time::Instant::now() + super::driver::WAIT;
    while focused(&s).await != "BUTTON Accept" {
        assert!(
            std::time::Instant::now() < deadline,
            "Accept never took the focus: {}",
            focused(&s).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    keys(&s, ENTER).await;
    caller.until(|v| v["event"] == "call" && v["change"] == "accepted");
    s.until_text("in the call", |t| t.contains("In call with Chloe Martin"))
        .await;
    let in_call = s.windows().await.len();
    s.click(&s.find("button", "Hang up").await).await;
    caller.until(|v| v["event"] == "call" && v["change"] == "hungUp");
    caller.finish();
    // Over in the app too before the next step: the bar gone, the call window closed (the X
    // focus comes back to the main window then, and the page with it).
    s.until_text("the call bar gone", |t| !t.contains("In call with"))
        .await;
    let deadline = std::time::Instant::now() + super::driver::WAIT;
    while in_call > 1 && s.windows().await.len() >= in_call {
        assert!(
            std::time::Instant::now() < deadline,
            "the call window stayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Settings opens with Enter on its button and closes with Escape, the focus back on it.
    s.click(&search).await;
    let mut seen = vec![focused(&s).await];
    for _ in 0..6 {
        keys(&s, "\u{E008}\u{E004}\u{E000}").await; // Shift+Tab
        seen.push(focused(&s).await);
        if seen.last().unwrap() == "BUTTON Settings" {
            break;
        }
    }
    assert!(
        seen.last().unwrap() == "BUTTON Settings",
        "Settings never reached; from the search box the focus went: {seen:#?}"
    );
    keys(&s, ENTER).await;
    s.find("heading", "Settings").await;
    keys(&s, ESCAPE).await;
    s.until_text("Settings closed", |t| !t.contains("Close settings"))
        .await;
    assert_eq!(focused(&s).await, "BUTTON Settings");
    s.end().await;
}
