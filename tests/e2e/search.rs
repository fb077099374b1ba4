//! Search as you type, measured in the real window (not run in CI: `scripts/measure-app.sh`
//! runs it on the release build). 100,000 messages reach the nurse's cache live (the flood,
//! with no chat open), then queries are typed a key at a time, at a nurse's pace, into the
//! search box; for each key the page records the time from the input event to the frame
//! after the results of exactly that query are in the page. Prints the median, p95 and max.

use super::driver::Session;
use super::support::DEMO_PASSWORD;
use super::{
    World, app_bin, conversation_with_amara, flood_until_shown, one_app_at_a_time, sign_in,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// What is typed: words from the flood's phrases, a word in one message in a thousand, a
/// word in none, and a number.
const QUERIES: &[&str] = &[
    "blood pressure",
    "insulin",
    "discharge friday",
    "zyxomab",
    "quixotic",
    "4711",
];

/// A nurse types about six keys a second.
const KEY_GAP: Duration = Duration::from_millis(160);

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement (scripts/measure-app.sh), minutes long"]
async fn measure_search_as_you_type_at_a_hundred_thousand() {
    let app = app_bin();
    let count = std::env::var("SEARCH_N").unwrap_or_else(|_| "100000".into());
    let _one = one_app_at_a_time().await;
    let world = World::for_a_flood(Vec::new());
    let s = Session::start(world.driver.port, &app).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("list", "Conversations").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    // The app has them all when the list's row shows the last.
    flood_until_shown(&s, &world, &patient, &conversation, &count, 900).await;
    // As a nurse would come to it: the flood over, the app settled.
    tokio::time::sleep(Duration::from_secs(10)).await;

    // Each input event starts a sample; the first frame after the results list says it holds
    // that very query's results ends it (a MessageChannel task after the frame's callback
    // runs after its paint). A query typed past before its results came is a miss.
    s.script(
        "window.__search = { samples: [], missed: 0, typed: null };
         const box = document.querySelector('.search-box input');
         box.addEventListener('input', () => {
           const w = window.__search;
           if (w.typed && !w.typed.done) w.missed++;
           w.typed = { q: box.value, t: performance.now(), done: box.value.trim().length < 2 };
         }, true);
         const check = () => {
           const w = window.__search, typed = w.typed;
           if (!typed || typed.done) return;
           const list = document.querySelector('[data-results-for]');
           if (!list || list.dataset.resultsFor !== typed.q) return;
           typed.done = true;
           requestAnimationFrame(() => {
             const c = new MessageChannel();
             c.port1.onmessage = () => w.samples.push(performance.now() - typed.t);
             c.port2.postMessage(0);
           });
         };
         new MutationObserver(check).observe(document.body,
           { subtree: true, childList: true, attributes: true, attributeFilter: ['data-results-for'] });
         return null",
        json!([]),
    )
    .await;
    let searchbox = s.find("searchbox", "Search messages").await;
    let mut hits = Vec::new();
    for query in QUERIES {
        for ch in query.chars() {
            s.type_into(&searchbox, &ch.to_string()).await;
            tokio::time::sleep(KEY_GAP).await;
        }
        // What the last key found, in words ("50 messages found", "No messages found.").
        let found = until_results_for(&s, query).await;
        hits.push(format!("{query:?}: {found}"));
        s.clear(&searchbox).await;
        tokio::time::sleep(KEY_GAP).await;
    }
    let got = s.script("return window.__search", json!([])).await;
    let mut samples: Vec<f64> = got["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    samples.sort_by(|a, b| a.total_cmp(b));
    assert!(
        !samples.is_empty(),
        "no keystroke's results were seen: {got}"
    );
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "search as you type at {count} cached: {} keystrokes measured, {} typed past before their results; keystroke → results painted: median {:.0} ms, p95 {:.0} ms, max {:.0} ms; {}",
        samples.len(),
        got["missed"],
        at(0.5),
        at(0.95),
        samples[samples.len() - 1],
        hits.join(", ")
    );
    s.end().await;
}

/// Waits until the results shown are `query`'s; answers what their status line says.
async fn until_results_for(s: &Session, query: &str) -> String {
    let deadline = Instant::now() + super::driver::WAIT;
    loop {
        let found = s
            .script(
                "const l = document.querySelector('[data-results-for]');
                 if (!l || l.dataset.resultsFor !== arguments[0]) return null;
                 return document.querySelector('.search-results .list-status').textContent",
                json!([query]),
            )
            .await;
        if let Some(found) = found.as_str() {
            return found.to_owned();
        }
        assert!(Instant::now() < deadline, "no results for {query:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
