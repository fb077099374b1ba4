// Types of the Tauri shell (src-tauri). They will be generated into bindings/ later;
// until then they are written here, exactly as the shell's contract states them.
import type { Event } from "./bindings/Event";
import type { Role } from "./bindings/Role";
import type { Snapshot } from "./bindings/Snapshot";

export type SessionInfo = {
  signedIn: boolean;
  server: string;
  email: string | null;
  role: Role | null;
  userId: number | null;
  name: string | null;
  /** why the last session ended, when it did: "expired" (token refused) or "signedOut" */
  ended: "expired" | "signedOut" | null;
  productionServer: string;
  localServer: string;
};

export type AppEvent =
  | { type: "snapshot"; snapshot: Snapshot } // sent first after attach/sign-in when signed in: replace all state
  | { type: "core"; event: Event } // core events, in order, after the snapshot: apply on top
  | { type: "session"; session: SessionInfo } // signed in / signed out / token expired
  | { type: "openConversation"; conversationId: number }; // a notification or the tray asks to show this chat
