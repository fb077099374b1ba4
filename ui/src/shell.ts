// Types of the Tauri shell (src-tauri/src/ui_types.rs). They are generated into bindings/
// now; this module is where the UI imports them from, so the rest of the code does not care.
//   SessionInfo: who is signed in; `ended` says why the last session ended ("expired" when
//     the token was refused, "signedOut"); `problem` why a kept session could not start.
//   AppEvent: "snapshot" (first after attach/sign-in: replace all state), "core" (events in
//     order after the snapshot: apply on top), "session", "openConversation".
export type { AppEvent } from "./bindings/AppEvent";
export type { Ended } from "./bindings/Ended";
export type { SessionInfo } from "./bindings/SessionInfo";
