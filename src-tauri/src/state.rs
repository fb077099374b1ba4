//! What the shell manages: the options, the bridge, and the nurses signed in (a core `Client`
//! each, running whether or not the window shows it; see `roster`). Starting, stopping and
//! showing an account lives here so the commands, the tray and the expiry watchers all go
//! through one place.

use crate::bridge::{Bridge, Observer};
use crate::options::{Options, PRODUCTION};
use crate::roster::{Roster, Running};
use crate::ui_types::{AppEvent, Attached, Ended, FeedNotice, SessionInfo};
use nursecare_core::api::ApiClient;
use nursecare_core::lock::{Lock, LockPolicy};
use nursecare_core::session::{Kept, Session, SessionError};
use nursecare_core::settings::{NotificationPrivacy, Settings};
use nursecare_core::socket::LinkState;
use nursecare_core::vault::Secret;
use nursecare_core::{Client, ClientConfig, ErrorKind, ErrorReport, Profile};
use nursecare_wire::Id;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

/// The managed state.
pub struct AppState {
    /// The options the app started with.
    pub options: Options,
    /// Core events → the window.
    pub bridge: Arc<Bridge>,
    /// When the process started (for the first-paint log line).
    pub started: Instant,
    /// The shell's reactions to core events (set once at start-up).
    observer: OnceLock<Observer>,
    /// What the shell clears when an account stops (notifications, tray, title).
    on_stop: OnceLock<Arc<dyn Fn() + Send + Sync>>,
    /// Starting, stopping and showing accounts one at a time.
    switching: tokio::sync::Mutex<()>,
    /// The nurses signed in, and the one the window is for.
    roster: RwLock<Roster>,
    /// The profile in use (also while signed out: where the next sign-in goes).
    profile: RwLock<Option<Profile>>,
    last: Mutex<(Option<Ended>, Option<ErrorReport>)>,
    /// Whether the main window has the user's attention.
    focused: AtomicBool,
    /// Whether the window is locked (the core's lock owner; set once at start-up).
    lock: OnceLock<Lock>,
    /// Told the shown account's unread count each time it changes or another account is
    /// shown (the tray and the title: numbers only).
    on_count: OnceLock<Arc<dyn Fn(u32) + Send + Sync>>,
    /// Told who came to the front, with their notification privacy.
    on_front: OnceLock<Arc<dyn Fn(Id, NotificationPrivacy) + Send + Sync>>,
    /// Told each account that stops (signed out, expired, another server).
    on_gone: OnceLock<Arc<dyn Fn(Id) + Send + Sync>>,
}

/// Hangs up the call of a nurse who leaves the front (the rule is the core's); a failure is
/// logged, and the core keeps one that could not reach the server to end it later.
async fn leave_call(client: &Client) {
    match client.leave_call().await {
        Ok(Some(call)) => tracing::info!(call = call.id, "the call ended as its nurse left"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "hanging up the call of the nurse who left"),
    }
}

/// The error for commands that need an account while none runs.
pub fn not_signed_in() -> ErrorReport {
    ErrorReport::of(&ErrorKind::NotSignedIn)
}

impl AppState {
    /// Nothing running yet.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            bridge: Arc::default(),
            started: Instant::now(),
            observer: OnceLock::new(),
            on_stop: OnceLock::new(),
            switching: tokio::sync::Mutex::new(()),
            roster: RwLock::default(),
            profile: RwLock::default(),
            last: Mutex::default(),
            focused: AtomicBool::new(false),
            lock: OnceLock::new(),
            on_count: OnceLock::new(),
            on_front: OnceLock::new(),
            on_gone: OnceLock::new(),
        }
    }

    /// The lock's owner (started once, at start-up, on the async runtime).
    pub fn set_lock(&self, lock: Lock) {
        let _ = self.lock.set(lock);
    }

    /// The lock; before start-up made it, one that never locks by itself.
    pub fn lock(&self) -> &Lock {
        self.lock.get_or_init(|| Lock::start(None, false))
    }

    /// The settings as the front nurse sees them (their own choices over the profile's).
    pub fn settings(&self) -> Result<Settings, ErrorReport> {
        let profile = self.profile(None)?;
        let (settings, moved) = profile
            .settings_for(self.roster().front())
            .map_err(|e| ErrorReport::of(&e))?;
        if let Some(to) = moved {
            tracing::warn!(to = %to.display(), "damaged settings file set aside");
        }
        Ok(settings)
    }

    /// Saves the front nurse's settings; the lock time takes effect at once.
    pub fn save_settings(&self, settings: &Settings) -> Result<(), ErrorReport> {
        let profile = self.profile(None)?;
        profile
            .save_settings_for(self.roster().front(), settings)
            .map_err(|e| ErrorReport::of(&e))?;
        self.lock().set_idle(self.lock_policy().idle());
        Ok(())
    }

    /// Told who comes to the front, with their notification privacy, each time another
    /// nurse does.
    pub fn on_front(&self, hook: Arc<dyn Fn(Id, NotificationPrivacy) + Send + Sync>) {
        let _ = self.on_front.set(hook);
    }

    /// Told each account that stops.
    pub fn on_gone(&self, hook: Arc<dyn Fn(Id) + Send + Sync>) {
        let _ = self.on_gone.set(hook);
    }

    /// `user`'s email, when they are signed in and running.
    pub fn email_of(&self, user: Id) -> Option<String> {
        self.roster().running(user).map(|r| r.session.email.clone())
    }

    /// Whether a call rings for `user` (another nurse) changed: the lock screen's list says
    /// so.
    pub fn set_ringing(&self, user: Id, ringing: bool) {
        if let Some(r) = self.roster_mut().running_mut(user) {
            r.ringing = ringing;
        }
        self.announce_soon();
    }

    /// The lock time: the organisation's, else the front nurse's setting.
    pub fn lock_policy(&self) -> LockPolicy {
        let chosen = self.settings().ok().and_then(|s| s.lock_minutes);
        let env = std::env::var(nursecare_core::lock::ENV).ok();
        let app_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        nursecare_core::lock::policy(chosen, env.as_deref(), app_dir.as_deref())
    }

    /// Opens the lock with what the front nurse typed (a PIN, or the password). A sealed
    /// account starts; the window shows the account; the fifth wrong try signs out (the core
    /// keeps the cache and queue sealed for the next sign-in).
    pub async fn unlock(self: &Arc<Self>, typed: &str) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let profile = self.profile(None)?;
        let front = self.roster().front().ok_or_else(not_signed_in)?;
        let opened = profile
            .sessions()
            .unlock_account(front, Secret::Either(typed))
            .await;
        match opened {
            Ok(session) => {
                let running = self.roster().running(front).is_some();
                if running {
                    if let Some(r) = self.roster_mut().running_mut(front) {
                        r.has_pin = true;
                    }
                } else {
                    self.start(profile, session, true).await?;
                }
                self.show_front().await;
                self.lock().unlocked().await;
                Ok(self.session_info())
            }
            Err(SessionError::TooManyTries) => {
                self.stop(front, Some(Ended::TooManyTries)).await;
                self.lock().unlocked().await;
                tracing::warn!("too many wrong tries at the lock; signed out");
                Ok(self.announce().await)
            }
            Err(e) => Err(ErrorReport::of(&e)),
        }
    }

    /// Another nurse signed in on this computer comes to the front (the lock screen's
    /// *Switch nurse*): the window locks, shows nothing of the one before, and asks for the
    /// new one's PIN (or password and a new PIN).
    pub async fn switch_to(&self, user: Id) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let leaving = self
            .roster()
            .front_running()
            .filter(|a| a.session.user_id != user)
            .map(|a| a.client.clone());
        if !self.roster_mut().set_front(Some(user)) {
            return Err(not_signed_in());
        }
        // Taken before the answer is built: the answer must say locked.
        self.lock().locked_now().await;
        self.hide().await;
        // Her call closed with the window: it ends for the other side too. Her account runs
        // on, so it finishes there (offline: when it reconnects) without holding the switch.
        if let Some(client) = leaving {
            tokio::spawn(async move { leave_call(&client).await });
        }
        if let Ok(profile) = self.profile(None)
            && let Err(e) = profile.sessions().make_current(user).await
        {
            tracing::warn!(error = %e, "could not keep who is in front for the next start");
        }
        tracing::info!(user, "switched nurse");
        Ok(self.announce().await)
    }

    /// Sets (first lock) or changes the front nurse's PIN, proven by the password; the lock
    /// opens.
    pub async fn set_pin(
        self: &Arc<Self>,
        password: &str,
        pin: &str,
    ) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let (session, profile) = {
            let roster = self.roster();
            let a = roster.front_running().ok_or_else(not_signed_in)?;
            (a.session.clone(), a.profile.clone())
        };
        let api = ApiClient::new(profile.server(), Default::default())
            .map_err(|e| ErrorReport::of(&e))?;
        let sealed = profile
            .set_pin(&session, &api, password, pin)
            .await
            .map_err(|e| ErrorReport::of(&e))?;
        if let Some(a) = self.roster_mut().running_mut(session.user_id) {
            a.session = sealed;
            a.has_pin = true;
        }
        self.show_front().await;
        self.lock().unlocked().await;
        Ok(self.session_info())
    }

    /// What the shell does with each core event (tray, notifications, title).
    pub fn observe_with(&self, observer: Observer) {
        let _ = self.observer.set(observer);
    }

    /// Told the shown account's unread count each time it changes or another account is
    /// shown (the tray and the title: numbers only).
    pub fn on_count(&self, hook: Arc<dyn Fn(u32) + Send + Sync>) {
        let _ = self.on_count.set(hook);
    }

    fn roster(&self) -> std::sync::RwLockReadGuard<'_, Roster> {
        self.roster.read().expect("roster lock")
    }

    fn roster_mut(&self) -> std::sync::RwLockWriteGuard<'_, Roster> {
        self.roster.write().expect("roster lock")
    }

    /// The client of the account in front, when it runs (the window's commands act on it).
    pub fn client(&self) -> Result<Arc<Client>, ErrorReport> {
        self.roster()
            .front_running()
            .map(|a| a.client.clone())
            .ok_or_else(not_signed_in)
    }

    /// Whether `user`'s account is the one the window shows (else its events are counted,
    /// never shown or named).
    pub fn is_front(&self, user: Id) -> bool {
        self.roster().front() == Some(user)
    }

    /// `user`'s account said its unread count; the tray and title follow the front one's,
    /// and the lock screen's list of the other nurses theirs.
    pub fn set_unread(&self, user: Id, total: u32) {
        let (front, changed) = {
            let mut roster = self.roster_mut();
            let changed = roster
                .running_mut(user)
                .map(|r| std::mem::replace(&mut r.unread, total) != total)
                .unwrap_or(false);
            (roster.front() == Some(user), changed)
        };
        if front {
            if let Some(hook) = self.on_count.get() {
                hook(total);
            }
        } else if changed {
            self.announce_soon();
        }
    }

    /// Every running client (waking from sleep reconnects them all).
    pub fn clients(&self) -> Vec<Arc<Client>> {
        self.roster()
            .all_running()
            .map(|r| r.client.clone())
            .collect()
    }

    /// What to clear when an account stops: nothing of it may outlive it on screen.
    pub fn on_stop(&self, hook: Arc<dyn Fn() + Send + Sync>) {
        let _ = self.on_stop.set(hook);
    }

    /// The main window gained or lost the user's attention.
    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, Ordering::Relaxed);
        // Only the front account is on screen: the others read nothing.
        if let Some(client) = self.client_if_any() {
            client.set_focused(focused);
        }
    }

    /// Whether the main window has the user's attention.
    pub fn is_focused(&self) -> bool {
        self.focused.load(Ordering::Relaxed)
    }

    /// The running client, if any.
    pub fn client_if_any(&self) -> Option<Arc<Client>> {
        self.client().ok()
    }

    /// The profile in use, made on first need: the server from the flags, else the one
    /// chosen at sign-in (settings), else production.
    pub fn profile(&self, server: Option<&str>) -> Result<Profile, ErrorReport> {
        if server.is_none()
            && let Some(p) = self.profile.read().expect("profile lock").clone()
        {
            return Ok(p);
        }
        let dir = self.options.profile.clone();
        let kind = self.options.secret_store.kind();
        let server = match server.or(self.options.server.as_deref()) {
            Some(s) => s.to_owned(),
            None => {
                // Settings live in the profile's directory, whatever the server.
                let probe =
                    Profile::new(PRODUCTION, dir.clone(), kind).map_err(|e| ErrorReport::of(&e))?;
                match probe.settings() {
                    Ok((settings, _)) => settings.server.unwrap_or_else(|| PRODUCTION.into()),
                    Err(e) => {
                        tracing::warn!(error = %e, "settings unreadable; using production");
                        PRODUCTION.into()
                    }
                }
            }
        };
        let profile = Profile::new(&server, dir, kind).map_err(|e| ErrorReport::of(&e))?;
        *self.profile.write().expect("profile lock") = Some(profile.clone());
        Ok(profile)
    }

    /// The window's (new) event channel: waits for a start-up or sign-in under way, then
    /// sends the snapshot when an account runs.
    pub async fn attach(
        &self,
        notices: tauri::ipc::Channel<FeedNotice>,
    ) -> Result<Attached, ErrorReport> {
        crate::startup::step("page loaded and attached");
        let _one = self.switching.lock().await;
        let client = self.client_if_any();
        let (feed, first) = self.bridge.attach(notices, client.as_deref()).await?;
        Ok(Attached {
            session: self.session_info(),
            feed,
            first,
        })
    }

    /// What waits in the window's feed `feed`, as the bytes of its JSON.
    pub async fn pull_events(&self, feed: u64) -> Result<Vec<u8>, ErrorReport> {
        let client = self.client_if_any();
        let items = self.bridge.pull(feed, client.as_deref()).await?;
        serde_json::to_vec(&items).map_err(|e| {
            tracing::error!(error = %e, "the window's events could not be written");
            ErrorReport::of(&ErrorKind::UnexpectedAnswer)
        })
    }

    /// Tells the window who is signed in now; answers what it told.
    async fn announce(&self) -> SessionInfo {
        let session = self.session_info();
        self.bridge
            .tell(AppEvent::Session {
                session: session.clone(),
            })
            .await;
        session
    }

    /// [`AppState::announce`] from code that cannot wait (the observer of core events).
    fn announce_soon(&self) {
        let (bridge, session) = (self.bridge.clone(), self.session_info());
        tokio::spawn(async move { bridge.tell(AppEvent::Session { session }).await });
    }

    /// Who is signed in: the front nurse, and the others.
    pub fn session_info(&self) -> SessionInfo {
        let (ended, problem) = self.last.lock().expect("last lock").clone();
        let roster = self.roster();
        let running = roster.front_running();
        let sealed = roster.front_sealed();
        let server = match running {
            Some(a) => a.profile.server().to_owned(),
            None => self
                .profile(None)
                .map(|p| p.server().to_owned())
                .unwrap_or_else(|_| PRODUCTION.into()),
        };
        let lock = self.lock();
        SessionInfo {
            signed_in: running.is_some() || sealed.is_some(),
            server,
            email: running
                .map(|a| a.session.email.clone())
                .or_else(|| sealed.map(|s| s.email.clone())),
            role: running.map(|a| a.session.role),
            user_id: running
                .map(|a| a.session.user_id)
                .or_else(|| sealed.map(|s| s.user_id)),
            locked: sealed.is_some() || (running.is_some() && lock.is_locked()),
            has_pin: sealed.is_some() || running.is_some_and(|a| a.has_pin),
            ended,
            problem,
            others: roster.others(),
            production_server: PRODUCTION.into(),
            local_server: crate::options::LOCAL.into(),
        }
    }

    /// At start-up: the accounts kept signed in in the profile start (an account signed in
    /// with `nursecare-cli login` opens signed in); those sealed under a PIN wait for it. The
    /// one used last is in front; a sealed one in front shows the lock.
    pub async fn resume(self: &Arc<Self>) {
        let _one = self.switching.lock().await;
        let result = async {
            let profile = self.profile(None)?;
            let kept = profile
                .sessions()
                .kept_all()
                .await
                .map_err(|e| ErrorReport::of(&e))?;
            let mut failed = None;
            for (n, account) in kept.into_iter().enumerate() {
                let user = account.user_id();
                match account {
                    Kept::Open(session) => {
                        let has_pin = session.cache_key.is_some();
                        if let Err(e) = self.start(profile.clone(), session, has_pin).await {
                            tracing::warn!(user, kind = ?e.kind, "a kept account could not start");
                            failed.get_or_insert(e);
                            continue;
                        }
                    }
                    // Sealed under its nurse's PIN: it receives once the PIN starts it.
                    Kept::Locked(account) => {
                        tracing::info!(user, "a kept account waits for its PIN");
                        self.roster_mut().add_sealed(account);
                    }
                }
                if n == 0 {
                    self.roster_mut().set_front(Some(user));
                }
            }
            if self.roster().front_sealed().is_some() {
                self.lock().lock_now();
            } else {
                self.show_front().await;
            }
            self.announce().await;
            failed.map_or(Ok(()), Err)
        }
        .await;
        if let Err(report) = result {
            tracing::warn!(kind = ?report.kind, "the kept session could not start");
            self.last.lock().expect("last lock").1 = Some(report);
        }
    }

    /// Signs in on `server` and starts the account; the server becomes the profile's choice.
    pub async fn sign_in(
        self: &Arc<Self>,
        server: &str,
        email: &str,
        password: &str,
    ) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        // The address meets the core's rules (plain http only to this computer) before the
        // account that runs now is stopped.
        ApiClient::new(server.trim(), Default::default()).map_err(|e| ErrorReport::of(&e))?;
        // The nurses signed in stay (a shift change); on another server they are stopped
        // (still signed in there for the next time it is chosen).
        let before = self.profile(None)?;
        let profile = self.profile(Some(server.trim()))?;
        if profile.server() != before.server() {
            self.stop_all().await;
        }
        let api = ApiClient::new(profile.server(), Default::default())
            .map_err(|e| ErrorReport::of(&e))?;
        let session = profile
            .sessions()
            .login(&api, email.trim(), password)
            .await
            .map_err(|e| ErrorReport::of(&e))?;
        match profile.settings() {
            Ok((mut settings, _)) if settings.server.as_deref() != Some(profile.server()) => {
                settings.server = Some(profile.server().to_owned());
                if let Err(e) = profile.save_settings(&settings) {
                    tracing::warn!(error = %e, "could not keep the server choice");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "settings unreadable"),
        }
        let user = session.user_id;
        let has_pin = session.cache_key.is_some();
        // Signed in again while running (a new token): the account restarts with it.
        self.stop(user, None).await;
        if let Err(e) = self.start(profile.clone(), session, has_pin).await {
            // Not kept signed in to an account that cannot run (its cache held by the CLI, a
            // keychain that stopped answering): the next launch would start it silently.
            if let Err(forget) = profile.sessions().logout_account(user).await {
                tracing::warn!(error = %forget, "could not forget the token of a failed start");
            }
            return Err(e);
        }
        self.roster_mut().set_front(Some(user));
        *self.last.lock().expect("last lock") = (None, None);
        self.show_front().await;
        self.lock().unlocked().await;
        Ok(self.announce().await)
    }

    /// Signs the front nurse out: the account stops, its token is forgotten, and with
    /// `forget_cache` its cache and key are deleted. The other nurses stay signed in. The
    /// window is told whatever fails after the stop; a failure to forget or delete is
    /// answered as the error.
    pub async fn sign_out(&self, forget_cache: bool) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let profile = self.profile(None)?;
        let front = self.roster().front();
        let stopped = match front {
            Some(user) => self.stop(user, Some(Ended::SignedOut)).await,
            None => None,
        };
        self.last.lock().expect("last lock").0 = Some(Ended::SignedOut);
        self.lock().unlocked().await;
        let mut failure = None;
        if forget_cache {
            // A sealed account's cache is deleted only once its nurse opened it.
            match &stopped {
                Some(a) => {
                    if let Err(e) = a.profile.remove_cache(&a.session).await {
                        failure = Some(ErrorReport::of(&e));
                    }
                }
                None => failure = Some(not_signed_in()),
            }
        }
        if let Some(user) = front
            && let Err(e) = profile.sessions().logout_account(user).await
        {
            failure.get_or_insert(ErrorReport::of(&e));
        }
        let info = self.announce().await;
        match failure {
            Some(e) => Err(e),
            None => Ok(info),
        }
    }

    /// The server refused `user`'s token: the account stops (its cache and queue stay for the
    /// next sign-in) and the window is told.
    async fn expire(&self, user: Id) {
        let _one = self.switching.lock().await;
        let why = match self.roster().running(user) {
            Some(r) if r.client.signed_out_by_admin() => Ended::SignedOutByAdmin,
            _ => Ended::Expired,
        };
        let Some(stopped) = self.stop(user, Some(why)).await else {
            return;
        };
        if let Err(e) = stopped.profile.sessions().logout_account(user).await {
            tracing::warn!(error = %e, "could not forget the refused token");
        }
        tracing::info!(user, "session expired; signed out");
        self.announce().await;
    }

    /// Stops everything (quitting). Runs on the main thread, so it leaves the tray and the
    /// notifications alone (updating the tray waits for the main thread).
    pub async fn shutdown(&self) {
        let _one = self.switching.lock().await;
        let all = self.roster_mut().take_all();
        for account in all {
            account.client.shutdown().await;
            for t in account.tasks.iter() {
                t.abort();
            }
        }
    }

    /// Starts `session`'s account, receiving in the background (the window shows it once
    /// it is in front and open: [`AppState::show_front`]).
    async fn start(
        self: &Arc<Self>,
        profile: Profile,
        session: Session,
        has_pin: bool,
    ) -> Result<(), ErrorReport> {
        let user = session.user_id;
        let (client, stream) = Client::start(&profile, &session, ClientConfig::default())
            .await
            .map_err(|e| ErrorReport::of(&e))?;
        let client = Arc::new(client);
        let observer = self
            .observer
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(|_, _: &_| {}));
        let pump = self.bridge.start(user, stream, observer).await;
        let watcher = {
            let me = self.clone();
            let mut link = client.link();
            tokio::spawn(async move {
                if link
                    .wait_for(|s| matches!(s, LinkState::SessionExpired))
                    .await
                    .is_ok()
                {
                    // Its own task: stopping the account aborts this watcher.
                    tokio::spawn(async move { me.expire(user).await });
                }
            })
        };
        *self.profile.write().expect("profile lock") = Some(profile.clone());
        tracing::info!(user, "account started");
        self.roster_mut().add_running(Running {
            client,
            session,
            profile,
            tasks: Arc::new(vec![pump, watcher]),
            has_pin,
            unread: 0,
            ringing: false,
        });
        Ok(())
    }

    /// The window shows the front account, if it runs (its snapshot, then its events), and
    /// only it has the user's attention.
    async fn show_front(&self) {
        let (front, others) = {
            let roster = self.roster();
            let front = roster.front_running().map(|r| (r.client.clone(), r.unread));
            let others: Vec<Arc<Client>> = roster
                .all_running()
                .filter(|r| Some(r.session.user_id) != roster.front())
                .map(|r| r.client.clone())
                .collect();
            (front, others)
        };
        for other in others {
            other.set_focused(false);
        }
        // The front nurse's own choices: their lock time and what notifications show.
        self.lock().set_idle(self.lock_policy().idle());
        if let (Some(hook), Some(front), Ok(settings)) =
            (self.on_front.get(), front.as_ref(), self.settings())
        {
            hook(front.0.me(), settings.notification_privacy);
        }
        let Some((client, unread)) = front else {
            self.hide().await;
            return;
        };
        client.set_focused(self.is_focused());
        if self.bridge.shown().await == Some(client.me()) {
            return;
        }
        *self.last.lock().expect("last lock") = (None, None);
        if let Some(hook) = self.on_count.get() {
            hook(unread);
        }
        if let Err(e) = self.bridge.show(Some(&client)).await {
            // The window asks again when it attaches; the account runs.
            tracing::warn!(kind = ?e.kind, "no snapshot for the window");
        }
    }

    /// The window shows no account (another nurse comes to the front): nothing of the one
    /// before stays on screen.
    async fn hide(&self) {
        if self.bridge.shown().await.is_none() {
            return;
        }
        let _ = self.bridge.show(None).await;
        if let Some(hook) = self.on_stop.get() {
            hook();
        }
    }

    /// Stops `user`'s account (signed out, expired); `why` is said when it was in front.
    async fn stop(&self, user: Id, why: Option<Ended>) -> Option<Running> {
        let was_front = self.is_front(user);
        let account = self.roster_mut().take(user);
        if was_front {
            self.last.lock().expect("last lock").0 = why;
            if self.bridge.shown().await == Some(user) {
                self.bridge.forget(user).await;
                if let Some(hook) = self.on_stop.get() {
                    hook();
                }
            }
        }
        if let Some(hook) = self.on_gone.get() {
            hook(user);
        }
        let account = account?;
        self.bridge.forget(user).await;
        // Her call closed with the window: it ends for the other side too, before her account
        // stops (offline: the next time she signs in here).
        leave_call(&account.client).await;
        account.client.shutdown().await;
        for t in account.tasks.iter() {
            t.abort();
        }
        Some(account)
    }

    /// Stops every account (another server was chosen).
    async fn stop_all(&self) {
        let all = self.roster_mut().take_all();
        for account in all {
            let user = account.session.user_id;
            if self.bridge.shown().await == Some(user)
                && let Some(hook) = self.on_stop.get()
            {
                hook();
            }
            if let Some(hook) = self.on_gone.get() {
                hook(user);
            }
            self.bridge.forget(user).await;
            account.client.shutdown().await;
            for t in account.tasks.iter() {
                t.abort();
            }
        }
    }
}
