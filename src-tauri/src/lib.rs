//! NurseCare Desktop's shell: wiring only. Each OS concern is a module of its own (tray,
//! notifications, windows, os, wake, logging, webview_runtime); the commands are thin calls into nursecare-core;
//! the bridge carries the core's events to the window.

pub mod bridge;
pub mod call_window;
pub mod commands;
pub mod counts;
pub mod feed;
pub mod logging;
pub mod notifications;
pub mod options;
pub mod os;
pub mod roster;
pub mod startup;
pub mod state;
pub mod transfers;
pub mod tray;
pub mod ui_types;
#[cfg(target_os = "linux")]
pub mod wake;
pub mod webview;
pub mod webview_runtime;
pub mod windows;

use notifications::Notifier;
use options::Options;
use state::AppState;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_window_state::StateFlags;

/// Runs the app until it quits.
pub fn run(options: Options) {
    startup::began();
    let log = logging::init(&options.log);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
    if !webview_runtime::ready() {
        drop(log);
        std::process::exit(webview_runtime::EXIT_MISSING);
    }
    #[cfg(windows)]
    notifications::toasts::register_app_id();
    let state = Arc::new(AppState::new(options.clone()));
    let privacy = state
        .profile(None)
        .ok()
        .and_then(|p| p.settings().ok())
        .map(|(s, _)| s.notification_privacy)
        .unwrap_or_default();
    let (notifier, jobs) = Notifier::new(privacy);
    let notifier = Arc::new(notifier);
    let setup_state = state.clone();
    let setup_notifier = notifier.clone();

    let app = tauri::Builder::default()
        // First: a second launch only brings the running window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("second launch: focusing the window");
            windows::show_main(app);
        }))
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(StateFlags::all() - StateFlags::VISIBLE)
                // Every call's window (`call-<id>-<n>`) shares one remembered size and place.
                .map_label(|l| if l.starts_with("call-") { "call" } else { l })
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_opener::init())
        // The file picker, called from the shell's own command only (no permission of the
        // plugin's is granted to any window).
        .plugin(tauri_plugin_dialog::init())
        .manage(state.clone())
        .manage(notifier.clone())
        .manage(Arc::new(transfers::Transfers::default()))
        .manage(windows::CloseToTray::default())
        .manage(call_window::CallWindow::new(options.test_embed_calls))
        .register_uri_scheme_protocol(call_window::SCHEME, |ctx, request| {
            call_window::serve(ctx.app_handle(), request.uri().path())
        })
        .invoke_handler(commands::catalogue::handler())
        .setup(move |app| {
            startup::step("tauri and the window made");
            let handle = app.handle().clone();
            let shows = handle.clone();
            let (counts, show_counts) = counts::Counts::new(Box::new(move |unread| {
                windows::show_count(&shows, unread);
                tray::show_count(&shows, unread);
            }));
            tauri::async_runtime::spawn(show_counts);
            setup_state.observe_with(observer(handle.clone(), setup_notifier.clone()));
            let counting = counts.clone();
            setup_state.on_count(Arc::new(move |unread| counting.set(u64::from(unread))));
            let fronting = setup_notifier.clone();
            setup_state.on_front(Arc::new(move |nurse, privacy| {
                fronting.set_privacy(privacy);
                // Their calls ring as the front's from now on (the window's banner).
                fronting.forget_other(nurse);
            }));
            let leaving = setup_notifier.clone();
            setup_state.on_gone(Arc::new(move |nurse| leaving.forget_other(nurse)));
            let stopped = counts.clone();
            let stopping = handle.clone();
            setup_state.on_stop(Arc::new(move || {
                setup_notifier.clear();
                stopped.set(0);
                // No meeting of the last account stays on screen for the next person.
                call_window::close(&stopping);
            }));
            let missed_to = handle.clone();
            handle
                .state::<Arc<Notifier>>()
                .on_missed(Arc::new(move |missed| {
                    tray::show_missed(&missed_to, missed);
                }));
            let urgent_to = handle.clone();
            handle
                .state::<Arc<Notifier>>()
                .on_urgent(Arc::new(move |chats| {
                    tray::show_urgent(&urgent_to, chats);
                }));
            windows::watch_main(&handle);
            if let Some(w) = windows::main_window(&handle) {
                webview::lean(&w);
                // No camera or microphone for the main window, and no prompt asking.
                call_window::guard_media(&w, None);
            }
            if setup_state.options.hidden
                && let Some(w) = windows::main_window(&handle)
            {
                let _ = w.hide();
            }
            tauri::async_runtime::spawn(add_tray(handle.clone(), counts.clone()));
            tauri::async_runtime::spawn(notifications::run(handle.clone(), jobs));
            tauri::async_runtime::spawn(call_window::run(handle.clone()));
            let policy = setup_state.lock_policy();
            tracing::info!(
                minutes = policy.minutes,
                by_organisation = policy.by_organisation,
                "lock time"
            );
            let lock = tauri::async_runtime::block_on(async move {
                nursecare_core::lock::Lock::start(policy.idle(), false)
            });
            setup_state.set_lock(lock);
            tauri::async_runtime::spawn(watch_lock(setup_state.clone(), notifier.clone()));
            let resume = setup_state.clone();
            tauri::async_runtime::spawn(async move {
                resume.resume().await;
                startup::step("kept accounts started");
            });
            #[cfg(target_os = "linux")]
            {
                let waking = setup_state.clone();
                tauri::async_runtime::spawn(wake::run(move |_| {
                    for client in waking.clients() {
                        client.reconnect_now();
                    }
                }));
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the app could not be built");

    app.run(move |_app, event| {
        if let RunEvent::Exit = event {
            #[cfg(windows)]
            notifications::toasts::clear_all();
            tauri::async_runtime::block_on(state.shutdown());
            tracing::info!("stopped");
        }
    });
}

/// Quits (the tray's Quit, Ctrl+Q).
pub fn quit(app: &AppHandle) {
    app.exit(0);
}

/// What the shell does with each core event: the tray, the title and notifications, for the
/// account in front; of the other nurses signed in, only their counts.
fn observer(app: AppHandle, notifier: Arc<Notifier>) -> bridge::Observer {
    Arc::new(move |user, event| {
        let state = app.state::<Arc<AppState>>();
        if let nursecare_core::Event::Unread { total, .. } = event {
            state.set_unread(user, *total);
        }
        if !state.is_front(user) {
            // Another nurse's: only their calls ring, saying for whom.
            if let Some(email) = state.email_of(user)
                && let Some(ringing) = notifier.on_other_event(user, &email, event)
            {
                state.set_ringing(user, ringing);
            }
            return;
        }
        notifier.on_event(event, Some(user), state.is_focused());
        if let nursecare_core::Event::MyCall { call } = event {
            call_window::nudge(&app);
            // The nurse in a call gives the main window no input: no idle lock meanwhile.
            state.lock().hold(call.is_some());
        }
    })
}

/// Each time the window locks or opens: notifications stop naming anyone, and the window is
/// told (it shows the lock and nothing of the account).
async fn watch_lock(state: Arc<AppState>, notifier: Arc<Notifier>) {
    let mut locked = state.lock().watch();
    loop {
        let now = *locked.borrow_and_update();
        notifier.set_locked(now);
        state
            .bridge
            .tell(ui_types::AppEvent::Session {
                session: state.session_info(),
            })
            .await;
        if locked.changed().await.is_err() {
            return;
        }
    }
}

/// The tray icon where a tray host shows it; without one, closing minimises instead.
async fn add_tray(app: AppHandle, counts: counts::Counts) {
    if !os::tray_host_present().await {
        tracing::info!("no tray host: closing the window minimises it");
        return;
    }
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || match tray::build(&handle) {
        Ok(tray) => {
            handle.manage(tray);
            // A count (and missed calls) that came before the tray existed.
            tray::show_count(&handle, counts.current());
            tray::show_missed(&handle, handle.state::<Arc<Notifier>>().missed_count());
            tray::show_urgent(&handle, handle.state::<Arc<Notifier>>().urgent_chats());
            handle
                .state::<windows::CloseToTray>()
                .0
                .store(true, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!(error = %e, "no tray icon"),
    });
}
