//! Load for the desktop app's measurements (`scripts/measure-app.sh`): sends COUNT messages into
//! a conversation as the account signed in to PROFILE (with `nursecare-cli login`, file secret
//! store), as fast as the core's outbox delivers them (one in flight), and waits until the
//! server has them all.
//!
//!     cargo run --release -p nursecare-core --example flood -- SERVER PROFILE CONVERSATION COUNT

use nursecare_core::cache::OutboxState;
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::{Client, ClientConfig, Profile};
use std::time::{Duration, Instant};

/// What a message says after its number, for search to find: a ward's words, and one
/// message in a thousand with a word found nowhere else.
fn phrase(i: usize) -> &'static str {
    const PHRASES: [&str; 20] = [
        "blood pressure checked",
        "medication round done",
        "resting comfortably",
        "wound dressing changed",
        "temperature 37.2",
        "fluids encouraged",
        "pain score 3 of 10",
        "mobilised to the chair",
        "family visited this afternoon",
        "insulin given before lunch",
        "physio tomorrow morning",
        "bloods sent to the lab",
        "catheter removed",
        "dietician referral made",
        "observations stable",
        "discharge planned for Friday",
        "oxygen weaned to room air",
        "the night was settled",
        "call bell within reach",
        "pressure areas checked, skin intact",
    ];
    if i.is_multiple_of(1000) {
        "zyxomab started"
    } else {
        PHRASES[i % PHRASES.len()]
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, profile, conversation, count] = args.as_slice() else {
        anyhow::bail!("usage: flood SERVER PROFILE CONVERSATION COUNT");
    };
    let (conversation, count): (i64, usize) = (conversation.parse()?, count.parse()?);
    let profile = Profile::new(server, Some(profile.into()), SecretStoreKind::File)?;
    let session = profile
        .sessions()
        .current()
        .await?
        .ok_or_else(|| anyhow::anyhow!("not signed in: run nursecare-cli login first"))?;
    let (client, _events) = Client::start(&profile, &session, ClientConfig::default()).await?;
    anyhow::ensure!(
        client.wait_online(Duration::from_secs(20)).await,
        "server unreachable"
    );
    let started = Instant::now();
    for i in 1..=count {
        client
            .send(
                conversation,
                &format!("Load message {i} of {count}: {}", phrase(i)),
            )
            .await?;
    }
    loop {
        let waiting = client
            .outbox(None)
            .await?
            .iter()
            .filter(|r| r.state == OutboxState::Pending)
            .count();
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "flood: {count} messages in {secs:.1} s ({:.0}/s)",
        count as f64 / secs
    );
    client.shutdown().await;
    Ok(())
}
