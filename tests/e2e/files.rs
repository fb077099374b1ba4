//! Files end to end in the real window: Amara (the app) shares a file through Attach (the file
//! picker's command path: the system dialog itself cannot be driven, so a test switch answers
//! it), Chloe (the CLI) shares one that arrives live in the open panel, and Open saves a copy
//! and hands it to the system's opener (a stand-in that records what it was asked to open).

use super::calls::StandInBrowser;
use super::driver::Session;
use super::support::DEMO_PASSWORD;
use super::{World, app_bin, conversation_with_amara, one_app_at_a_time, sign_in};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn files_are_attached_arrive_live_and_open_in_the_systems_viewer() {
    let _one = one_app_at_a_time().await;
    let opener = StandInBrowser::new();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("care plan.pdf");
    std::fs::write(&plan, b"%PDF-1.7\n% care plan for Chloe\n%%EOF\n").unwrap();
    let world = World::start_full(
        false,
        &[],
        vec![
            ("PATH", opener.path()),
            ("NURSECARE_TEST_PICK_FILE", plan.clone().into()),
        ],
    );
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();

    // Attach from the composer: the picked file is shared and listed in the panel.
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.click(&s.find("button", "Attach").await).await;
    s.click(&s.find("button", "Files").await).await;
    s.until_text("the file in the panel", |t| {
        t.contains("care plan.pdf") && t.contains("you")
    })
    .await;
    let listed = patient.json(&["files", "list", &conversation]);
    assert_eq!(listed[0]["file"]["filename"], "care plan.pdf", "{listed}");

    // Chloe shares a photo of the wound: it arrives live in the open panel, and the row says so.
    let photo = dir.path().join("wound.png");
    // A whole 1x1 PNG, so the thumbnail really decodes.
    std::fs::write(&photo, b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\x64\x60\xf8\x5f\x0f\x00\x02\x87\x01\x80\xeb\x47\xba\x92\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82").unwrap();
    patient.expect(
        0,
        &["files", "upload", &conversation, photo.to_str().unwrap()],
    );
    s.until_text("the photo, live", |t| {
        t.contains("wound.png") && t.contains("Chloe Martin")
    })
    .await;
    // Its thumbnail is drawn from its bytes (a blob of the page's own).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let drawn = s
            .script(
                "const i = document.querySelector('img.file-thumb'); return i ? [i.naturalWidth, i.src.slice(0, 5)] : null",
                serde_json::json!([]),
            )
            .await;
        if drawn == serde_json::json!([1, "blob:"]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no thumbnail drawn: {drawn}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Open: a copy in Downloads, handed to the system's viewer.
    s.click(&s.find("button", "Open wound.png").await).await;
    let opened = opener.first_url().await;
    assert!(opened.ends_with("wound.png"), "{opened}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&opened).is_err() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        std::fs::read(&opened).unwrap(),
        std::fs::read(&photo).unwrap()
    );
    s.end().await;
}
