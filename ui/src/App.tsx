import { useEffect } from "react";
import { ConnectionBanner } from "./components/ConnectionBanner";
import { CallBar } from "./components/CallBar";
import { IncomingCallBanner } from "./components/IncomingCallBanner";
import { OtherNurseRing } from "./components/OtherNurseRing";
import { Notices } from "./components/Notices";
import { Ringtone } from "./components/Ringtone";
import { Conversations } from "./screens/Conversations";
import { LockScreen } from "./screens/LockScreen";
import { Settings } from "./screens/Settings";
import { SignIn } from "./screens/SignIn";
import { Thread } from "./screens/Thread";
import * as actions from "./store/actions";
import { conversationName, selectInACall, selectOpenSummary, selectWaiting } from "./store/selectors";
import { useStore } from "./store/store";

/** Start-up, sign-in, or the main layout: list on the left, chat (or settings) on the right. */
export function App() {
  const phase = useStore((s) => s.phase);
  const attachError = useStore((s) => s.attachError);
  const session = useStore((s) => s.session);

  // Ctrl+Q (⌘Q) quits; closing the window only hides or minimises it. Ctrl+L (⌘L) locks.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "q") {
        e.preventDefault();
        actions.quit();
      } else if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "l") {
        e.preventDefault();
        actions.lockNow();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Any input puts the idle lock off (reported a few times a minute at most).
  useEffect(() => {
    const onInput = () => actions.reportInput();
    const kinds = ["keydown", "pointerdown", "pointermove", "wheel"] as const;
    for (const k of kinds) window.addEventListener(k, onInput, { passive: true });
    return () => {
      for (const k of kinds) window.removeEventListener(k, onInput);
    };
  }, []);

  if (phase === "attaching") {
    return (
      <main className="splash" aria-busy="true">
        <p role="status">Starting NurseCare…</p>
      </main>
    );
  }
  if (phase === "failed") {
    return (
      <main className="splash">
        <div role="alert">
          <h1>NurseCare could not start</h1>
          <p>{attachError}</p>
          <button type="button" className="primary-button" onClick={() => void actions.start()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (!session?.signedIn) return <SignIn key={session?.ended ?? "none"} session={session} />;
  // Locked: nothing of the account is in the page, only the lock.
  if (session.locked) return <LockScreen key={session.userId ?? "none"} session={session} />;
  return <MainLayout />;
}

function MainLayout() {
  const connection = useStore((s) => s.connection);
  const waiting = useStore(selectWaiting);
  const notices = useStore((s) => s.notices);
  const settingsOpen = useStore((s) => s.settingsOpen);
  const summary = useStore(selectOpenSummary);
  const hasSnapshot = useStore((s) => s.hasSnapshot);

  // Ctrl+F (⌘F) or Ctrl+K goes to "Search messages".
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "f" || e.key === "k")) {
        const box = document.querySelector<HTMLInputElement>(".search-box input");
        if (box) {
          e.preventDefault();
          box.focus();
          box.select();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className="app">
      {/* Until the first snapshot the link's state is not known: say nothing rather than guess. */}
      <ConnectionBanner
        state={hasSnapshot ? connection.state : "online"}
        outbox={hasSnapshot ? waiting : 0}
        onRetryNow={actions.reconnectNow}
      />
      <Notices notices={notices} onDismiss={actions.dismissNotice} />
      <Calls />
      <div className="columns">
        <Conversations />
        <main className="pane">
          {settingsOpen ? (
            <Settings />
          ) : summary ? (
            <Thread key={summary.id} summary={summary} />
          ) : (
            <div className="empty-state">
              <p>Choose a conversation</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}

/** The user's call and the calls ringing here, above the columns; the ring plays while any
 * call rings. */
function Calls() {
  const myCall = useStore((s) => s.myCall);
  const ringing = useStore((s) => s.ringing);
  const conversations = useStore((s) => s.conversations);
  const nameOf = (conversationId: number) => conversationName(conversations.find((c) => c.id === conversationId));
  // Accepting hangs up whatever call the user has here, a rejoin offer included: ask first
  // (a call already left offline needs no question).
  const inCall = useStore(selectInACall);
  // Calls for the other nurses signed in on this computer ring here too, for whom only.
  const session = useStore((s) => s.session);
  const forOthers = session?.others.filter((o) => o.ringing) ?? [];
  return (
    <>
      <Ringtone ringing={ringing.length > 0 || forOthers.length > 0} />
      {myCall ? (
        <CallBar call={myCall} name={nameOf(myCall.conversationId)} onHangUp={actions.hangUp} onRejoin={actions.rejoinCall} />
      ) : null}
      {ringing.map((r) => (
        <IncomingCallBanner
          key={r.callId}
          ring={r}
          name={nameOf(r.conversationId)}
          inCall={inCall}
          onAccept={actions.acceptCall}
          onReject={actions.rejectCall}
        />
      ))}
      {forOthers.map((o) => (
        <OtherNurseRing key={o.userId} nurse={o} />
      ))}
    </>
  );
}
