//! Socket.io event names, client → server and server → client.

/// Events a client emits.
pub mod client {
    pub const REGISTER: &str = "register";
    pub const SEND_MESSAGE: &str = "sendMessage";
    pub const JOIN_CONVERSATION: &str = "joinConversation";
    pub const LEAVE_CONVERSATION: &str = "leaveConversation";
    pub const TYPING: &str = "typing";
    pub const START_VIDEO_CALL: &str = "startVideoCall";
    pub const ACCEPT_VIDEO_CALL: &str = "acceptVideoCall";
    pub const REJECT_VIDEO_CALL: &str = "rejectVideoCall";
    pub const HANGUP_VIDEO_CALL: &str = "hangupVideoCall";
    pub const END_VIDEO_CALL: &str = "endVideoCall";
    pub const GET_ONLINE_STATUS: &str = "getOnlineStatus";
    pub const HEARTBEAT: &str = "heartbeat";
}

/// Events the server emits.
pub mod server {
    pub const REGISTERED: &str = "registered";
    pub const NEW_MESSAGE: &str = "newMessage";
    pub const MESSAGE_SENT: &str = "messageSent";
    pub const MESSAGES_READ: &str = "messagesRead";
    pub const JOINED_CONVERSATION: &str = "joinedConversation";
    pub const LEFT_CONVERSATION: &str = "leftConversation";
    pub const USER_TYPING: &str = "userTyping";
    pub const USER_STATUS_CHANGED: &str = "userStatusChanged";
    pub const ONLINE_STATUSES: &str = "onlineStatuses";
    pub const INCOMING_VIDEO_CALL: &str = "incomingVideoCall";
    pub const VIDEO_CALL_STARTED: &str = "videoCallStarted";
    pub const VIDEO_CALL_ACCEPTED: &str = "videoCallAccepted";
    pub const VIDEO_CALL_REJECTED: &str = "videoCallRejected";
    pub const VIDEO_CALL_HUNG_UP: &str = "videoCallHungUp";
    pub const VIDEO_CALL_ENDED: &str = "videoCallEnded";
    /// Part B.8: a call nobody answered turned MISSED by itself.
    pub const VIDEO_CALL_MISSED: &str = "videoCallMissed";
    pub const REFRESH_MESSAGES: &str = "refreshMessages";
    /// Part B: a file was shared in one of the user's conversations (`FileShared`).
    pub const FILE_SHARED: &str = "fileShared";
    /// Part B: a file was deleted (`FileRemoved`).
    pub const FILE_REMOVED: &str = "fileRemoved";
    /// Part B: an administrator signed the user out; the socket is closed after it
    /// (`SignedOut`).
    pub const SIGNED_OUT: &str = "signedOut";
    pub const HEARTBEAT_ACK: &str = "heartbeatAck";
    /// A handler refused or failed: `{status: "error", message}`.
    pub const EXCEPTION: &str = "exception";
    /// A failed `sendMessage`: `{message: "Failed to send message"}`. Shares its name with
    /// rust_socketio's transport error event; tell them apart by payload.
    pub const ERROR: &str = "error";
}

/// Capabilities the project's server announces in `registered.features` (Part B.3).
pub mod features {
    /// The handshake carries the access token.
    pub const AUTH: &str = "auth";
    /// Call events reach every socket of the participants, not only the room.
    pub const USER_RING: &str = "userRing";
    /// `sendMessage` takes an idempotency `clientId`.
    pub const CLIENT_ID: &str = "clientId";
    /// `POST /read` emits `messagesRead`.
    pub const READ_EVENTS: &str = "readEvents";
    /// `fileShared` and `fileRemoved` tell the participants of a file's conversation.
    pub const FILE_EVENTS: &str = "fileEvents";
    /// `sendMessage` takes `urgent: true`; messages carry `urgent` and, once read, `readAt`.
    pub const URGENT: &str = "urgent";
    /// All of them, in the order the server lists them.
    pub const ALL: [&str; 6] = [AUTH, USER_RING, CLIENT_ID, READ_EVENTS, FILE_EVENTS, URGENT];
}

/// The `connect_error` message of a handshake refused for want of a valid token (Part B.1).
pub const UNAUTHORIZED: &str = "unauthorized";
