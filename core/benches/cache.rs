//! Benchmarks of the client cache at scale (the goals, at 1,000,000 cached messages):
//!
//! - ingest rows/s with FTS kept by its triggers (the one-time 1M build is timed by hand and
//!   printed to stderr; `ingest/batch_1000_fresh` times one `put_messages` call of 1,000
//!   messages into a fresh cache);
//! - `page/*`: a page of 50 of the biggest conversation, newest and deep in history
//!   (goal < 100 µs);
//! - `search_rare/*`: a word in 10 messages (goal < 2 ms);
//! - `search_common/*`: a word in ~30% of messages, top 50 (goal < 20 ms).
//!
//! The 1M cache is built once and kept under `target/bench-cache/` (its key beside it), keyed
//! by [`DATA_VERSION`]: bump that when the generator changes. Run with
//! `cargo bench -p nursecare-core --bench cache`. Under `cargo test` (criterion's test mode)
//! a small throwaway cache is used instead, so tests stay quick.

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use nursecare_core::cache::{Cache, CacheKey};
use nursecare_wire::{Id, Message, MessageType, Role, Sender, Timestamp};
use std::collections::HashSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Names the generated data set; a cached file of another version is never reused.
const DATA_VERSION: &str = "v3";
/// Messages in the big cache.
const BIG_MESSAGES: u64 = 1_000_000;
/// Messages in the throwaway cache of test mode.
const TEST_MESSAGES: u64 = 20_000;
/// Messages per `put_messages` call while building.
const BUILD_BATCH: u64 = 5_000;
/// Conversations; conversation 1 is the big one (~10% of all messages).
const CONVERSATIONS: i64 = 200;
const BIG_CONVERSATION: Id = 1;
const BIG_SHARE: f64 = 0.10;
/// Nurses spread over the conversations (each conversation: one patient, one nurse).
const NURSES: i64 = 20;
/// Generated words in the vocabulary.
const VOCABULARY: usize = 4_000;
/// In ~30% of messages.
const COMMON_WORD: &str = "patient";
const COMMON_SHARE: f64 = 0.30;
/// In exactly [`RARE_COUNT`] messages.
const RARE_WORD: &str = "zyxomab";
const RARE_COUNT: u64 = 10;
/// 2024-01-01T00:00:00Z; messages are ~30 s apart, ids ascend with time.
const EPOCH_MS: i64 = 1_704_067_200_000;
const GAP_MS: i64 = 30_000;
const SEED_CONVERSATIONS: u64 = 0x9E37_79B9_7F4A_7C15;
const SEED_TEXT: u64 = 0xD1B5_4A32_D192_ED03;
const SEED_VOCABULARY: u64 = 0x2545_F491_4F6C_DD1D;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi] (inclusive).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// A few thousand pronounceable made-up words, none a prefix-match of the planted words.
fn vocabulary() -> Vec<String> {
    const CONSONANTS: &[u8] = b"bcdfghjklmnprstvwz";
    const VOWELS: &[u8] = b"aeiou";
    let mut rng = Rng::new(SEED_VOCABULARY);
    let mut seen = HashSet::new();
    let mut words = Vec::with_capacity(VOCABULARY);
    while words.len() < VOCABULARY {
        let syllables = rng.range(1, 4);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push(CONSONANTS[rng.range(0, CONSONANTS.len() as u64 - 1) as usize] as char);
            w.push(VOWELS[rng.range(0, VOWELS.len() as u64 - 1) as usize] as char);
        }
        if rng.unit() < 0.3 {
            w.push(CONSONANTS[rng.range(0, CONSONANTS.len() as u64 - 1) as usize] as char);
        }
        if w.starts_with(COMMON_WORD) || w.starts_with(RARE_WORD) || !seen.insert(w.clone()) {
            continue;
        }
        words.push(w);
    }
    words
}

/// Deterministic messages with ids `1..=total`, ascending with time.
struct Generator {
    total: u64,
    next_id: u64,
    conversations: Rng,
    text: Rng,
    words: Vec<String>,
    rare_ids: Vec<u64>,
}

impl Generator {
    fn new(total: u64) -> Self {
        Self {
            total,
            next_id: 1,
            conversations: Rng::new(SEED_CONVERSATIONS),
            text: Rng::new(SEED_TEXT),
            words: vocabulary(),
            rare_ids: rare_ids(total),
        }
    }

    /// The conversation of the next message (its own stream, so it can be replayed cheaply).
    fn conversation(rng: &mut Rng) -> Id {
        if rng.unit() < BIG_SHARE {
            BIG_CONVERSATION
        } else {
            rng.range(2, CONVERSATIONS as u64) as Id
        }
    }

    fn text(&mut self, id: u64) -> String {
        let n = self.text.range(5, 25) as usize;
        let mut words: Vec<&str> = (0..n)
            .map(|_| {
                // Zipf-like: a few words are frequent, most are rare.
                let i = (self.words.len() as f64 * self.text.unit().powf(2.5)) as usize;
                self.words[i.min(self.words.len() - 1)].as_str()
            })
            .collect();
        if self.text.unit() < COMMON_SHARE {
            let at = self.text.range(0, n as u64 - 1) as usize;
            words[at] = COMMON_WORD;
        }
        if self.rare_ids.binary_search(&id).is_ok() {
            let at = self.text.range(0, n as u64 - 1) as usize;
            words[at] = RARE_WORD;
        }
        let mut s = words.join(" ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s.push(if self.text.unit() < 0.2 { '?' } else { '.' });
        s
    }

    fn next_batch(&mut self, size: u64) -> Vec<Message> {
        let end = (self.next_id + size).min(self.total + 1);
        let mut batch = Vec::with_capacity((end - self.next_id) as usize);
        while self.next_id < end {
            let id = self.next_id;
            self.next_id += 1;
            let conversation_id = Self::conversation(&mut self.conversations);
            let from_nurse = self.text.unit() < 0.5;
            let (sender_id, role, name) = if from_nurse {
                let nurse = 10 + conversation_id % NURSES;
                (nurse, Role::Nurse, format!("Nurse {nurse}"))
            } else {
                let patient = 1_000 + conversation_id;
                (patient, Role::Patient, format!("Patient {patient}"))
            };
            let created_at =
                EPOCH_MS + id as i64 * GAP_MS + self.text.range(0, GAP_MS as u64 - 1) as i64;
            let content = self.text(id);
            let client_id = (self.text.unit() < 0.02).then(|| format!("c-{id:016x}"));
            batch.push(Message {
                id: id as Id,
                conversation_id,
                sender_id,
                content,
                kind: MessageType::Text,
                // Everything older than the newest ~1,000 has been read.
                read: id + 1_000 <= self.total,
                created_at: Timestamp::from_millis(created_at),
                sender: Sender {
                    id: sender_id,
                    name: Some(name),
                    role,
                },
                client_id,
                urgent: None,
                read_at: None,
            });
        }
        batch
    }
}

/// The ids that carry the rare word: spread over the whole history.
fn rare_ids(total: u64) -> Vec<u64> {
    (0..RARE_COUNT)
        .map(|i| 1 + (i * total + total / 2) / RARE_COUNT)
        .collect()
}

/// Ids of the big conversation's messages, oldest first (replays the conversation stream).
fn big_conversation_ids(total: u64) -> Vec<Id> {
    let mut rng = Rng::new(SEED_CONVERSATIONS);
    (1..=total as Id)
        .filter(|_| Generator::conversation(&mut rng) == BIG_CONVERSATION)
        .collect()
}

/// Builds a cache of `total` messages at `path`, printing the ingest rate to stderr.
fn build(path: &Path, key: &CacheKey, total: u64) -> Cache {
    let mut cache = Cache::open(path, key).expect("open a fresh cache");
    let mut generator = Generator::new(total);
    let mut generating = Duration::ZERO;
    let mut ingesting = Duration::ZERO;
    let mut window = Duration::ZERO;
    let mut done = 0u64;
    let report_every = (total / 10).max(BUILD_BATCH);
    while done < total {
        let t = Instant::now();
        let batch = generator.next_batch(BUILD_BATCH);
        generating += t.elapsed();
        let t = Instant::now();
        let fresh = cache.put_messages(&batch).expect("put_messages");
        // The app indexes in the background; ingest here counts the index too.
        cache.index_pending(usize::MAX).expect("index");
        let took = t.elapsed();
        assert_eq!(fresh.len(), batch.len());
        ingesting += took;
        window += took;
        done += batch.len() as u64;
        if done.is_multiple_of(report_every) || done == total {
            eprintln!(
                "  ingested {done:>9} messages: {:>8.0} rows/s over the last {}, {:>8.0} rows/s overall",
                report_every.min(done) as f64 / window.as_secs_f64(),
                report_every.min(done),
                done as f64 / ingesting.as_secs_f64(),
            );
            window = Duration::ZERO;
        }
    }
    eprintln!(
        "ingest of {total} messages in batches of {BUILD_BATCH} (FTS kept by triggers): \
         {:.1} s in put_messages = {:.0} rows/s (generating the messages took {:.1} s more)",
        ingesting.as_secs_f64(),
        total as f64 / ingesting.as_secs_f64(),
        generating.as_secs_f64(),
    );
    cache
}

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench-cache")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The 1M cache: reused from `target/bench-cache/` when a complete one of this version exists,
/// built there otherwise (into a `.partial` file renamed once complete).
fn big_cache() -> Cache {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("create the bench cache directory");
    let stem = format!("messages-{BIG_MESSAGES}-{DATA_VERSION}");
    let db = dir.join(format!("{stem}.db"));
    let key_file = dir.join(format!("{stem}.key"));
    if db.exists()
        && let Some(key) = std::fs::read_to_string(&key_file)
            .ok()
            .and_then(|s| CacheKey::from_hex(&s))
    {
        eprintln!(
            "reusing the cache of {BIG_MESSAGES} messages at {}",
            db.display()
        );
        return Cache::open(&db, &key).expect("reopen the bench cache");
    }
    let partial = dir.join(format!("{stem}.db.partial"));
    for p in [&db, &partial] {
        for side in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(p, side));
        }
    }
    let key = CacheKey::generate();
    std::fs::write(&key_file, key.to_hex()).expect("write the bench cache key");
    eprintln!(
        "building a cache of {BIG_MESSAGES} messages at {} (once)",
        db.display()
    );
    // Closing checkpoints the WAL into the file, so the rename moves the whole database.
    drop(build(&partial, &key, BIG_MESSAGES));
    std::fs::rename(&partial, &db).expect("rename the built cache");
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    eprintln!("cache file: {:.0} MiB", size as f64 / (1u64 << 20) as f64);
    Cache::open(&db, &key).expect("reopen the bench cache")
}

fn bench_ingest(c: &mut Criterion, dir: &Path) {
    let key = CacheKey::generate();
    let mut generator = Generator::new(1_000);
    let batch = generator.next_batch(1_000);
    let mut group = c.benchmark_group("ingest");
    group
        .throughput(Throughput::Elements(batch.len() as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(12));
    group.bench_function("batch_1000_fresh", |b| {
        b.iter_batched(
            || {
                let tmp = tempfile::Builder::new()
                    .prefix("ingest-")
                    .tempdir_in(dir)
                    .expect("tempdir");
                let cache = Cache::open(&tmp.path().join("cache.db"), &key).expect("open");
                (tmp, cache)
            },
            |(tmp, mut cache)| {
                let fresh = cache.put_messages(black_box(&batch)).expect("put_messages");
                cache.index_pending(usize::MAX).expect("index");
                // Returned so that closing the cache and removing the file are not timed.
                (tmp, cache, fresh)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn bench_queries(c: &mut Criterion, cache: &mut Cache, total: u64) {
    let big = big_conversation_ids(total);
    let newest = *big.last().expect("the big conversation has messages");
    let middle = big[big.len() / 2];
    eprintln!(
        "big conversation: {} messages; deep page anchor: message {middle}",
        big.len()
    );

    // Sanity checks, outside the timings.
    let page = cache.messages(BIG_CONVERSATION, None, 50).expect("page");
    assert_eq!(page.len(), 50);
    assert_eq!(page[0].id, newest);
    let deep = cache
        .messages(BIG_CONVERSATION, Some(middle), 50)
        .expect("page");
    assert_eq!(deep.len(), 50);
    assert_eq!(deep[0].id, big[big.len() / 2 - 1]);
    let rare = cache.search(RARE_WORD, 50).expect("search");
    assert_eq!(rare.len(), RARE_COUNT as usize);
    let common = cache.search(COMMON_WORD, 50).expect("search");
    assert_eq!(common.len(), 50);
    assert!(common.windows(2).all(|w| w[0].id > w[1].id));
    assert!(
        common
            .iter()
            .all(|m| m.content.to_lowercase().contains(COMMON_WORD))
    );

    let mut group = c.benchmark_group("page");
    group
        .sample_size(100)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("newest_50_big_conversation", |b| {
        b.iter(|| {
            cache
                .messages(black_box(BIG_CONVERSATION), None, 50)
                .expect("page")
        })
    });
    group.bench_function("deep_50_big_conversation", |b| {
        b.iter(|| {
            cache
                .messages(black_box(BIG_CONVERSATION), Some(black_box(middle)), 50)
                .expect("page")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("search_rare");
    group
        .sample_size(100)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    group.bench_function(RARE_WORD, |b| {
        b.iter(|| cache.search(black_box(RARE_WORD), 50).expect("search"))
    });
    group.finish();

    let mut group = c.benchmark_group("search_common");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(12));
    group.bench_function(format!("{COMMON_WORD}_top_50"), |b| {
        b.iter(|| cache.search(black_box(COMMON_WORD), 50).expect("search"))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's test mode,
    // which runs each benchmark once): there a small throwaway cache is enough.
    let args: Vec<String> = std::env::args().collect();
    let benchmarking =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list");

    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("create the bench cache directory");
    bench_ingest(&mut c, &dir);

    if benchmarking {
        let mut cache = big_cache();
        bench_queries(&mut c, &mut cache, BIG_MESSAGES);
    } else {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut cache = build(
            &tmp.path().join("cache.db"),
            &CacheKey::generate(),
            TEST_MESSAGES,
        );
        bench_queries(&mut c, &mut cache, TEST_MESSAGES);
    }

    c.final_summary();
}
