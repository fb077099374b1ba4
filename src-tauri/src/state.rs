//! What the shell manages: the options, the bridge, and the running account (a core
//! `Client`, or none while signed out). Starting and stopping an account lives here so the
//! commands, the tray and the expiry watcher all go through one place.

use crate::bridge::{Bridge, Observer};
use crate::options::{Options, PRODUCTION};
use crate::ui_types::{AppEvent, Ended, SessionInfo};
use nursecare_core::api::ApiClient;
use nursecare_core::lock::{Lock, LockPolicy};
use nursecare_core::session::{Kept, LockedAccount, Session, SessionError};
use nursecare_core::socket::LinkState;
use nursecare_core::vault::Secret;
use nursecare_core::{Client, ClientConfig, ErrorKind, ErrorReport, Profile};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;
use tokio::task::JoinHandle;

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
    /// Starting and stopping accounts one at a time.
    switching: tokio::sync::Mutex<()>,
    account: RwLock<Option<Account>>,
    /// The profile in use (also while signed out: where the next sign-in goes).
    profile: RwLock<Option<Profile>>,
    last: Mutex<(Option<Ended>, Option<ErrorReport>)>,
    /// Whether the main window has the user's attention.
    focused: AtomicBool,
    /// Whether the window is locked (the core's lock owner; set once at start-up).
    lock: OnceLock<Lock>,
    /// The account kept signed in but sealed under its nurse's PIN, waiting for the PIN to
    /// start (at start-up).
    sealed: Mutex<Option<LockedAccount>>,
    /// Whether the signed-in account has a PIN (else the first unlock sets one).
    has_pin: AtomicBool,
}

#[derive(Clone)]
struct Account {
    client: Arc<Client>,
    session: Session,
    profile: Profile,
    tasks: Arc<Vec<JoinHandle<()>>>,
}

/// The error for commands that need an account while none runs.
pub fn not_signed_in() -> ErrorReport {
    let kind = ErrorKind::NotSignedIn;
    ErrorReport {
        message: kind.sentence(),
        kind,
    }
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
            account: RwLock::default(),
            profile: RwLock::default(),
            last: Mutex::default(),
            focused: AtomicBool::new(false),
            lock: OnceLock::new(),
            sealed: Mutex::default(),
            has_pin: AtomicBool::new(false),
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

    /// The lock time: the organisation's, else the nurse's setting.
    pub fn lock_policy(&self) -> LockPolicy {
        let chosen = self
            .profile(None)
            .ok()
            .and_then(|p| p.settings().ok())
            .and_then(|(s, _)| s.lock_minutes);
        let env = std::env::var(nursecare_core::lock::ENV).ok();
        let app_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        nursecare_core::lock::policy(chosen, env.as_deref(), app_dir.as_deref())
    }

    /// Opens the lock with what the nurse typed (a PIN, or the password). A sealed account
    /// starts; the fifth wrong try signs out (the core keeps the cache and queue sealed for
    /// the next sign-in).
    pub async fn unlock(self: &Arc<Self>, typed: &str) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let profile = self.profile(None)?;
        let opened = profile.sessions().unlock(Secret::Either(typed)).await;
        match opened {
            Ok(session) => {
                self.has_pin.store(true, Ordering::Relaxed);
                let sealed = self.sealed.lock().expect("sealed lock").take();
                if sealed.is_some() {
                    self.start(profile, session).await?;
                }
                self.lock().unlocked().await;
                Ok(self.session_info())
            }
            Err(SessionError::TooManyTries) => {
                self.sealed.lock().expect("sealed lock").take();
                self.stop(Some(Ended::TooManyTries)).await;
                self.last.lock().expect("last lock").0 = Some(Ended::TooManyTries);
                self.has_pin.store(false, Ordering::Relaxed);
                self.lock().unlocked().await;
                tracing::warn!("too many wrong tries at the lock; signed out");
                let info = self.session_info();
                self.bridge
                    .tell(AppEvent::Session {
                        session: info.clone(),
                    })
                    .await;
                Ok(info)
            }
            Err(e) => Err(ErrorReport::of(&e)),
        }
    }

    /// Sets (first lock) or changes the signed-in nurse's PIN, proven by the password; the
    /// lock opens.
    pub async fn set_pin(&self, password: &str, pin: &str) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let (session, profile) = {
            let account = self.account.read().expect("account lock");
            let a = account.as_ref().ok_or_else(not_signed_in)?;
            (a.session.clone(), a.profile.clone())
        };
        let api = ApiClient::new(profile.server(), Default::default())
            .map_err(|e| ErrorReport::of(&e))?;
        let sealed = profile
            .set_pin(&session, &api, password, pin)
            .await
            .map_err(|e| ErrorReport::of(&e))?;
        if let Some(a) = self.account.write().expect("account lock").as_mut() {
            a.session = sealed;
        }
        self.has_pin.store(true, Ordering::Relaxed);
        self.lock().unlocked().await;
        Ok(self.session_info())
    }

    /// What the shell does with each core event (tray, notifications, title).
    pub fn observe_with(&self, observer: Observer) {
        let _ = self.observer.set(observer);
    }

    /// The running client.
    pub fn client(&self) -> Result<Arc<Client>, ErrorReport> {
        self.account
            .read()
            .expect("account lock")
            .as_ref()
            .map(|a| a.client.clone())
            .ok_or_else(not_signed_in)
    }

    /// What to clear when an account stops: nothing of it may outlive it on screen.
    pub fn on_stop(&self, hook: Arc<dyn Fn() + Send + Sync>) {
        let _ = self.on_stop.set(hook);
    }

    /// The main window gained or lost the user's attention.
    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, Ordering::Relaxed);
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
        channel: tauri::ipc::Channel<AppEvent>,
    ) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let client = self.client_if_any();
        self.bridge.attach(channel, client.as_deref()).await?;
        Ok(self.session_info())
    }

    /// Who is signed in.
    pub fn session_info(&self) -> SessionInfo {
        let account = self.account.read().expect("account lock").clone();
        let (ended, problem) = self.last.lock().expect("last lock").clone();
        let server = match &account {
            Some(a) => a.profile.server().to_owned(),
            None => self
                .profile(None)
                .map(|p| p.server().to_owned())
                .unwrap_or_else(|_| PRODUCTION.into()),
        };
        let sealed = self.sealed.lock().expect("sealed lock").clone();
        let lock = self.lock();
        SessionInfo {
            signed_in: account.is_some() || sealed.is_some(),
            server,
            email: account
                .as_ref()
                .map(|a| a.session.email.clone())
                .or_else(|| sealed.as_ref().map(|s| s.email.clone())),
            role: account.as_ref().map(|a| a.session.role),
            user_id: account
                .as_ref()
                .map(|a| a.session.user_id)
                .or_else(|| sealed.as_ref().map(|s| s.user_id)),
            locked: sealed.is_some() || (account.is_some() && lock.is_locked()),
            has_pin: sealed.is_some() || self.has_pin.load(Ordering::Relaxed),
            ended,
            problem,
            production_server: PRODUCTION.into(),
            local_server: crate::options::LOCAL.into(),
        }
    }

    /// At start-up: the kept session of the profile, if any, starts (an account signed in
    /// with `nursecare-cli login` opens signed in).
    pub async fn resume(self: &Arc<Self>) {
        let _one = self.switching.lock().await;
        let result = async {
            let profile = self.profile(None)?;
            match profile
                .sessions()
                .kept()
                .await
                .map_err(|e| ErrorReport::of(&e))?
            {
                Some(Kept::Open(session)) => self.start(profile, session).await,
                // Sealed under its nurse's PIN: the window shows the lock, and the PIN starts it.
                Some(Kept::Locked(account)) => {
                    tracing::info!(user = account.user_id, "the kept account waits for its PIN");
                    *self.sealed.lock().expect("sealed lock") = Some(account);
                    self.lock().lock_now();
                    self.bridge
                        .tell(AppEvent::Session {
                            session: self.session_info(),
                        })
                        .await;
                    Ok(())
                }
                None => Ok(()),
            }
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
        self.stop(None).await;
        let profile = self.profile(Some(server.trim()))?;
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
        self.sealed.lock().expect("sealed lock").take();
        self.has_pin
            .store(session.cache_key.is_some(), Ordering::Relaxed);
        if let Err(e) = self.start(profile.clone(), session).await {
            // Not kept signed in to an account that cannot run (its cache held by the CLI, a
            // keychain that stopped answering): the next launch would start it silently.
            if let Err(forget) = profile.sessions().logout().await {
                tracing::warn!(error = %forget, "could not forget the token of a failed start");
            }
            return Err(e);
        }
        Ok(self.session_info())
    }

    /// Signs out: the account stops, its token is forgotten, and with `forget_cache` its
    /// cache and key are deleted. The window is told it is signed out whatever fails after
    /// the stop; a failure to forget or delete is answered as the error.
    pub async fn sign_out(&self, forget_cache: bool) -> Result<SessionInfo, ErrorReport> {
        let _one = self.switching.lock().await;
        let stopped = self.stop(Some(Ended::SignedOut)).await;
        self.sealed.lock().expect("sealed lock").take();
        self.has_pin.store(false, Ordering::Relaxed);
        self.lock().unlocked().await;
        let profile = match &stopped {
            Some(a) => a.profile.clone(),
            None => self.profile(None)?,
        };
        let mut failure = None;
        if forget_cache {
            // Stopped already (the token expired meanwhile): the kept session says whose.
            let session = match &stopped {
                Some(a) => Some(a.session.clone()),
                None => profile.sessions().current().await.ok().flatten(),
            };
            match session {
                Some(s) => {
                    if let Err(e) = profile.remove_cache(&s).await {
                        failure = Some(ErrorReport::of(&e));
                    }
                }
                None => failure = Some(not_signed_in()),
            }
        }
        if let Err(e) = profile.sessions().logout().await {
            failure.get_or_insert(ErrorReport::of(&e));
        }
        let info = self.session_info();
        self.bridge
            .tell(AppEvent::Session {
                session: info.clone(),
            })
            .await;
        match failure {
            Some(e) => Err(e),
            None => Ok(info),
        }
    }

    /// The server refused the token: the account stops (its cache and queue stay for the next
    /// sign-in) and the window is told.
    async fn expire(&self) {
        let _one = self.switching.lock().await;
        let why = match self.client_if_any() {
            Some(c) if c.signed_out_by_admin() => Ended::SignedOutByAdmin,
            _ => Ended::Expired,
        };
        let Some(stopped) = self.stop(Some(why)).await else {
            return;
        };
        if let Err(e) = stopped.profile.sessions().logout().await {
            tracing::warn!(error = %e, "could not forget the refused token");
        }
        tracing::info!("session expired; signed out");
        self.bridge
            .tell(AppEvent::Session {
                session: self.session_info(),
            })
            .await;
    }

    /// Stops everything (quitting). Runs on the main thread, so it leaves the tray and the
    /// notifications alone (updating the tray waits for the main thread).
    pub async fn shutdown(&self) {
        let _one = self.switching.lock().await;
        let account = self.account.write().expect("account lock").take();
        if let Some(account) = account {
            account.client.shutdown().await;
            for t in account.tasks.iter() {
                t.abort();
            }
        }
    }

    async fn start(
        self: &Arc<Self>,
        profile: Profile,
        session: Session,
    ) -> Result<(), ErrorReport> {
        let (client, stream) = Client::start(&profile, &session, ClientConfig::default())
            .await
            .map_err(|e| ErrorReport::of(&e))?;
        let client = Arc::new(client);
        client.set_focused(self.is_focused());
        let observer = self
            .observer
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(|_: &_| {}));
        let pump = self.bridge.start(stream, observer).await;
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
                    tokio::spawn(async move { me.expire().await });
                }
            })
        };
        *self.last.lock().expect("last lock") = (None, None);
        *self.profile.write().expect("profile lock") = Some(profile.clone());
        tracing::info!(user = session.user_id, "account started");
        *self.account.write().expect("account lock") = Some(Account {
            client: client.clone(),
            session,
            profile,
            tasks: Arc::new(vec![pump, watcher]),
        });
        self.bridge
            .tell(AppEvent::Session {
                session: self.session_info(),
            })
            .await;
        if let Err(e) = self.bridge.release(&client).await {
            // The window asks again when it attaches; the account runs.
            tracing::warn!(kind = ?e.kind, "no snapshot for the window");
        }
        Ok(())
    }

    async fn stop(&self, why: Option<Ended>) -> Option<Account> {
        let account = self.account.write().expect("account lock").take()?;
        account.client.shutdown().await;
        for t in account.tasks.iter() {
            t.abort();
        }
        if let Some(hook) = self.on_stop.get() {
            hook();
        }
        self.last.lock().expect("last lock").0 = why;
        Some(account)
    }
}
