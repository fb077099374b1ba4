//! The running app as a process: found in /proc by its profile folder (unique per test), its
//! environment (WebKitWebDriver starts it on a D-Bus session bus of its own), and the memory
//! of it and its WebKit processes.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The pid and environment of the running app whose profile folder is `profile`.
pub fn find(profile: &Path) -> (u32, HashMap<String, String>) {
    let want = format!("NURSECARE_PROFILE={}", profile.display());
    let deadline = Instant::now() + super::driver::WAIT;
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let exe = std::fs::read_link(entry.path().join("exe")).unwrap_or_default();
            if exe.file_name().is_none_or(|n| n != "nursecare-desktop") {
                continue;
            }
            let Ok(env) = std::fs::read(entry.path().join("environ")) else {
                continue;
            };
            let vars: Vec<String> = env
                .split(|b| *b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            if vars.contains(&want) {
                let env = vars
                    .iter()
                    .filter_map(|v| v.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                return (pid, env);
            }
        }
        assert!(Instant::now() < deadline, "no running app with {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The environment of the running app (see [`find`]).
pub fn env_of_app(profile: &Path) -> HashMap<String, String> {
    find(profile).1
}

/// Summed proportional set size, in KiB, of `pid` and all its descendants (the app and its
/// WebKit web and network processes).
#[allow(dead_code)]
pub fn pss_kib(pid: u32) -> u64 {
    pss_by_process(pid).iter().map(|(_, kib)| kib).sum()
}

/// The proportional set size, in KiB, of `pid` and each of its descendants, by name.
#[allow(dead_code)]
pub fn pss_by_process(pid: u32) -> Vec<(String, u64)> {
    descendants(pid)
        .iter()
        .filter_map(|p| {
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            let kib = rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())?;
            let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
            Some((comm.trim().to_owned(), kib))
        })
        .collect()
}

/// The proportional set size, in KiB, of the first descendant of `pid` named `comm` (e.g. the
/// WebKit web process), by kind of mapping: its file, `[heap]`, or anonymous memory by its
/// permissions (JavaScriptCore's compiled code is anonymous and executable).
#[allow(dead_code)]
pub fn pss_by_mapping(pid: u32, comm: &str) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Some(child) = descendants(pid).into_iter().find(|p| {
        std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == comm)
    }) else {
        return out;
    };
    let smaps = std::fs::read_to_string(format!("/proc/{child}/smaps")).unwrap_or_default();
    let mut kind = String::new();
    for line in smaps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // A mapping's header: `start-end perms offset dev inode [path]`.
        if fields
            .first()
            .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
        {
            kind = match fields.get(5) {
                Some(path) if path.starts_with('/') => {
                    path.rsplit('/').next().unwrap_or(path).to_owned()
                }
                Some(name) => (*name).to_owned(),
                None => format!("anon {}", fields.get(1).unwrap_or(&"")),
            };
        } else if fields.first() == Some(&"Pss:") {
            let kib: u64 = fields.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            *out.entry(kind.clone()).or_default() += kib;
        } else if fields.first() == Some(&"LazyFree:") {
            // Freed with MADV_FREE: counted until the kernel needs the pages.
            let kib: u64 = fields.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            *out.entry("(lazily freed)".into()).or_default() += kib;
        }
    }
    out
}

/// `pid` and all its descendants.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces, so read after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent)
                && let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>()
            {
                all.push(child);
            }
        }
        i += 1;
    }
    all
}
