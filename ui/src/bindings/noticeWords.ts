// Generated from nursecare_wire::system::NOTICE_WORDS; the CLI says notices with the same table.

/** What people read for each call notice's code. */
export const NOTICE_WORDS: Readonly<Record<string, string>> = {
  VIDEO_CALL_STARTED: "Video call started",
  VIDEO_CALL_JOINED: "Joined the video call",
  VIDEO_CALL_REJECTED: "Video call declined",
  VIDEO_CALL_MISSED: "Missed video call",
  VIDEO_CALL_ENDED: "Video call ended",
};
