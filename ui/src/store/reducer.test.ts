import { describe, expect, it } from "vitest";
import type { Event } from "../bindings/Event";
import type { Message } from "../bindings/Message";
import { at, BEN, JANE, ME, msg, outboxItem, session, snapshot, summary } from "../test-fixtures";
import { CACHE_REBUILT_TEXT } from "../text";
import { mergeMessages } from "./messages";
import { reduce, type Action } from "./reducer";
import { buildRows, outboxFor, selectWaiting } from "./selectors";
import { initialState, LIVE_KEEP, LIVE_MAX, type State } from "./state";

const run = (state: State, ...actions: Action[]) => actions.reduce(reduce, state);
const core = (event: Event): Action => ({ type: "appEvent", event: { type: "core", event } });
const snap = (over = {}): Action => ({ type: "appEvent", event: { type: "snapshot", snapshot: snapshot(over) } });

/** Signed in, snapshot applied, conversation 10 loaded with messages 1..3. */
function withThread(messages: Message[] = [msg(1), msg(2, { senderId: ME }), msg(3)]): State {
  return run(
    initialState,
    { type: "attached", session: session() },
    snap(),
    { type: "select", conversationId: 10 },
    { type: "historyLoading", conversationId: 10, older: false },
    { type: "historyLoaded", conversationId: 10, messages, reachedStart: true, replace: true },
  );
}

const ids = (s: State, id = 10) => s.threads[id]?.messages.map((m) => m.id);

describe("snapshot", () => {
  it("replaces all state, threads included", () => {
    const before = run(withThread(), core({ event: "typing", conversationId: 10, userId: JANE, typing: true }));
    expect(before.threads[10]).toBeDefined();
    const after = reduce(
      before,
      snap({
        conversations: [summary(11, { updatedAt: at(1) }), summary(12, { updatedAt: at(9) })],
        unread: { 11: 2 },
        unreadTotal: 2,
        outbox: [outboxItem("c1")],
        typing: [{ conversationId: 12, userId: BEN }],
        presence: [{ userId: BEN, online: true, lastSeen: null }],
        connection: { state: "offline", outbox: 1, retryInMs: 2000 },
        open: 12,
      }),
    );
    expect(after.threads).toEqual({});
    expect(after.conversations.map((c) => c.id)).toEqual([12, 11]);
    expect(after.unread).toEqual({ 11: 2 });
    expect(after.unreadTotal).toBe(2);
    expect(Object.keys(after.outbox)).toEqual(["c1"]);
    expect(after.typing).toEqual({ 12: [BEN] });
    expect(after.presence[BEN]).toEqual({ online: true, lastSeen: null });
    expect(after.connection.state).toBe("offline");
    expect(after.open).toBe(12);
    expect(after.hasSnapshot).toBe(true);
    expect(after.me).toBe(ME);
  });
});

describe("messages", () => {
  it("messageAdded appends to a loaded thread, once", () => {
    const added = core({ event: "messageAdded", message: msg(4), live: true });
    const s = run(withThread(), added, added);
    expect(ids(s)).toEqual([1, 2, 3, 4]);
  });

  it("a message arriving while the first page loads is kept with the page", () => {
    const s = run(
      initialState,
      { type: "attached", session: session() },
      snap(),
      { type: "select", conversationId: 10 },
      { type: "historyLoading", conversationId: 10, older: false },
      core({ event: "messageAdded", message: msg(60), live: true }),
      { type: "historyLoaded", conversationId: 10, messages: [msg(1), msg(2)], reachedStart: true, replace: true },
    );
    expect(ids(s)).toEqual([1, 2, 60]);
  });

  it("messageAdded to a thread not loaded keeps no messages", () => {
    const s = run(withThread(), core({ event: "messageAdded", message: msg(50, { conversationId: 11 }), live: true }));
    expect(s.threads[11]).toBeUndefined();
  });

  it("messagesFound merges by id, keeps createdAt-then-id order, newer copies win", () => {
    const s = run(
      withThread([msg(1), msg(5), msg(9)]),
      core({
        event: "messagesFound",
        conversationId: 10,
        messages: [msg(7), msg(5, { content: "edited" }), msg(3), msg(8, { createdAt: at(9) }), msg(7)],
      }),
    );
    expect(ids(s)).toEqual([1, 3, 5, 7, 8, 9]);
    expect(s.threads[10]?.messages.find((m) => m.id === 5)?.content).toBe("edited");
  });

  it("orders equal times by id", () => {
    const t = at(3);
    expect(mergeMessages([msg(4, { createdAt: t })], [msg(2, { createdAt: t }), msg(9, { createdAt: at(1) })]).map((m) => m.id)).toEqual([
      9, 2, 4,
    ]);
  });

  it("older pages go before, and the start is remembered", () => {
    const s = run(withThread([msg(51), msg(52)]), {
      type: "historyLoaded",
      conversationId: 10,
      messages: [msg(49), msg(50)],
      reachedStart: true,
      replace: false,
    });
    expect(ids(s)).toEqual([49, 50, 51, 52]);
    expect(s.threads[10]?.reachedStart).toBe(true);
  });

  it("a sender's message ends their typing", () => {
    const s = run(
      withThread(),
      core({ event: "typing", conversationId: 10, userId: JANE, typing: true }),
      core({ event: "messageAdded", message: msg(4), live: true }),
    );
    expect(s.typing[10]).toBeUndefined();
  });
});

describe("batches", () => {
  const coreEvent = (event: Event) => ({ type: "core" as const, event });
  it("a batch ends where the same events one by one end, messages merged in runs", () => {
    const events = [
      coreEvent({ event: "typing", conversationId: 10, userId: JANE, typing: true }),
      coreEvent({ event: "messageAdded", message: msg(4), live: true }),
      coreEvent({ event: "conversation", summary: summary(10, { updatedAt: at(4), unread: 1 }) }),
      coreEvent({ event: "unread", conversations: { 10: 1 }, total: 1 }),
      coreEvent({ event: "messageAdded", message: msg(5, { senderId: ME }), live: true }),
      // A read between messages applies to those before it only.
      coreEvent({ event: "read", conversationId: 10, readBy: JANE, at: at(5) }),
      coreEvent({ event: "messageAdded", message: msg(6, { senderId: ME }), live: true }),
      // Typing after a message is not undone by it.
      coreEvent({ event: "typing", conversationId: 10, userId: JANE, typing: true }),
      coreEvent({ event: "messagesFound", conversationId: 10, messages: [msg(8), msg(7)] }),
      coreEvent({ event: "messageAdded", message: msg(9), live: true }),
    ];
    const oneByOne = events.reduce((s, event) => reduce(s, { type: "appEvent", event }), withThread());
    const batched = reduce(withThread(), { type: "appEvents", events });
    expect(batched).toEqual(oneByOne);
    expect(ids(batched)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("a burst the shell sent as one coreBatch message is applied like its events", () => {
    const events: Event[] = [
      { event: "messageAdded", message: msg(4), live: true },
      { event: "unread", conversations: { 10: 1 }, total: 1 },
      { event: "messageAdded", message: msg(5), live: true },
    ];
    const batch = reduce(withThread(), { type: "appEvent", event: { type: "coreBatch", events } });
    const oneByOne = run(withThread(), ...events.map(core));
    expect(batch).toEqual(oneByOne);
    expect(ids(batch)).toEqual([1, 2, 3, 4, 5]);
  });

  const live = (n: number, from = 100) =>
    Array.from({ length: n }, (_, i) =>
      coreEvent({
        event: "messageAdded",
        message: msg(from + i, { createdAt: new Date(Date.UTC(2030, 0, 1) + (from + i) * 1000).toISOString() }),
        live: true,
      }),
    );

  it("10,000 live messages in one batch land in order in a thread scrolled up", () => {
    const scrolledUp = run(withThread(), { type: "following", conversationId: 10, following: false });
    const batched = reduce(scrolledUp, { type: "appEvents", events: live(10_000) });
    expect(batched.threads[10]?.messages).toHaveLength(10_003);
    expect(ids(batched)?.at(-1)).toBe(10_099);
    expect(batched.threads[10]?.reachedStart).toBe(true);
  });

  it("a followed thread keeps the newest LIVE_KEEP once it passes LIVE_MAX, the rest left to paging", () => {
    const start = withThread();
    expect(start.threads[10]?.following).toBe(true);
    // Up to LIVE_MAX nothing goes.
    const full = reduce(start, { type: "appEvents", events: live(LIVE_MAX - 3) });
    expect(full.threads[10]?.messages).toHaveLength(LIVE_MAX);
    expect(full.threads[10]?.reachedStart).toBe(true);
    const past = reduce(full, { type: "appEvents", events: live(1, 100 + LIVE_MAX) });
    expect(past.threads[10]?.messages).toHaveLength(LIVE_KEEP);
    expect(ids(past)?.at(-1)).toBe(100 + LIVE_MAX);
    // The trimmed ones come back as pages on the way up: the start is no longer loaded.
    expect(past.threads[10]?.reachedStart).toBe(false);
    const flood = reduce(past, { type: "appEvents", events: live(10_000, 1_000) });
    expect(flood.threads[10]?.messages.length).toBeLessThanOrEqual(LIVE_MAX);
    expect(ids(flood)?.at(-1)).toBe(10_999);
  });

  it("a chat in the background and a thread paging back are not trimmed", () => {
    const background = run(withThread(), { type: "select", conversationId: 11 });
    expect(reduce(background, { type: "appEvents", events: live(LIVE_MAX) }).threads[10]?.messages).toHaveLength(
      LIVE_MAX + 3,
    );
    const paging = run(withThread(), { type: "historyLoading", conversationId: 10, older: true });
    expect(reduce(paging, { type: "appEvents", events: live(LIVE_MAX) }).threads[10]?.messages).toHaveLength(LIVE_MAX + 3);
  });

  it("a sent row whose message was trimmed away is not left pending", () => {
    const trimmed = reduce(withThread(), { type: "appEvents", events: live(LIVE_MAX + 1) });
    const sent = reduce(trimmed, { type: "outboxUpsert", item: outboxItem("c9", { state: "sent", messageId: 150 }) });
    expect(sent.outbox["c9"]).toBeUndefined();
  });

  it("a thread opened around a search hit follows only once the view reaches the newest", () => {
    const hit = run(withThread(), {
      type: "aroundLoaded",
      conversationId: 10,
      messages: [msg(1), msg(2), msg(3)],
      highlightId: 2,
      reachedStart: true,
      hasNewer: false,
    });
    expect(hit.threads[10]?.following).toBe(false);
    expect(reduce(hit, { type: "appEvents", events: live(LIVE_MAX) }).threads[10]?.messages).toHaveLength(LIVE_MAX + 3);
  });
});

describe("outbox", () => {
  it("upserts by clientId and drops the row once the real message is in the thread", () => {
    let s = run(withThread(), core({ event: "outbox", item: outboxItem("c1") }));
    expect(outboxFor(s.outbox, 10).map((o) => o.state)).toEqual(["pending"]);
    s = reduce(s, core({ event: "outbox", item: outboxItem("c1", { state: "failed", reason: "Server error" }) }));
    expect(outboxFor(s.outbox, 10).map((o) => o.state)).toEqual(["failed"]);
    // Sent, but its message has not arrived: still shown, so nothing flickers away.
    s = reduce(s, core({ event: "outbox", item: outboxItem("c1", { state: "sent", messageId: 4 }) }));
    expect(s.outbox.c1?.state).toBe("sent");
    // Its message arrives: one copy in the thread, no outbox row.
    s = reduce(s, core({ event: "messageAdded", message: msg(4, { senderId: ME, content: "on its way", clientId: "c1" }), live: true }));
    expect(s.outbox.c1).toBeUndefined();
    const rows = buildRows(s.threads[10]?.messages ?? [], outboxFor(s.outbox, 10), ME, null);
    expect(rows.filter((r) => r.kind === "message" || r.kind === "outbox")).toHaveLength(4);
  });

  it("a sent row whose message is already there goes at once", () => {
    const s = run(
      withThread([msg(1), msg(4, { senderId: ME })]),
      core({ event: "outbox", item: outboxItem("c2", { state: "sent", messageId: 4 }) }),
    );
    expect(s.outbox.c2).toBeUndefined();
  });

  it("rows show until a message with that id or clientId is in the thread", () => {
    const pending = [outboxItem("a", { localId: 1 }), outboxItem("b", { localId: 2, state: "sent", messageId: 7 })];
    const rows = buildRows([msg(1), msg(7, { senderId: ME })], pending, ME, null);
    expect(rows.filter((r) => r.kind === "outbox").map((r) => r.key)).toEqual(["o:a"]);
  });

  it("the banner's count follows the rows the bubbles show, not the link's last report", () => {
    let s = run(
      withThread(),
      snap({ outbox: [outboxItem("c1")], connection: { state: "online", outbox: 1, retryInMs: null } }),
      { type: "select", conversationId: 10 },
    );
    expect(selectWaiting(s)).toBe(1);
    // Delivered after the reconnect: the link reports nothing new, the row says sent.
    s = reduce(s, core({ event: "outbox", item: outboxItem("c1", { state: "sent", messageId: 4 }) }));
    expect(s.connection.outbox).toBe(1);
    expect(selectWaiting(s)).toBe(0);
    // A failed row waits for the user, not the link.
    s = reduce(s, core({ event: "outbox", item: outboxItem("c2", { state: "failed", reason: "refused" }) }));
    expect(selectWaiting(s)).toBe(0);
  });

  it("outboxDiscarded removes the row", () => {
    const s = run(withThread(), core({ event: "outbox", item: outboxItem("c1") }), core({ event: "outboxDiscarded", clientId: "c1", conversationId: 10 }));
    expect(s.outbox).toEqual({});
  });
});

describe("unread, read, typing, presence", () => {
  it("unread replaces the counts and the rows' badges", () => {
    const s = run(withThread(), core({ event: "unread", conversations: { 11: 4 }, total: 4 }));
    expect(s.unreadTotal).toBe(4);
    expect(s.conversations.find((c) => c.id === 11)?.unread).toBe(4);
    expect(s.conversations.find((c) => c.id === 10)?.unread).toBe(0);
  });

  it("read marks my messages up to `at` as read, not theirs, not later ones", () => {
    const s = run(
      withThread([msg(1, { senderId: ME }), msg(2), msg(3, { senderId: ME })]),
      core({ event: "read", conversationId: 10, readBy: JANE, at: at(2) }),
    );
    expect(s.threads[10]?.messages.map((m) => m.read)).toEqual([true, false, false]);
  });

  it("an urgent message's sender learns when it was read; an ordinary one carries no time", () => {
    const s = run(
      withThread([msg(1, { senderId: ME, urgent: true }), msg(2, { senderId: ME })]),
      core({ event: "read", conversationId: 10, readBy: JANE, at: at(5) }),
    );
    expect(s.threads[10]?.messages.map((m) => m.readAt ?? null)).toEqual([at(5), null]);
  });

  it("my own read elsewhere changes no ticks", () => {
    const s = withThread([msg(1, { senderId: ME })]);
    expect(reduce(s, core({ event: "read", conversationId: 10, readBy: ME, at: at(5) }))).toBe(s);
  });

  it("typing on and off; my own typing is ignored", () => {
    let s = run(withThread(), core({ event: "typing", conversationId: 10, userId: JANE, typing: true }));
    expect(s.typing[10]).toEqual([JANE]);
    s = reduce(s, core({ event: "typing", conversationId: 10, userId: ME, typing: true }));
    expect(s.typing[10]).toEqual([JANE]);
    s = reduce(s, core({ event: "typing", conversationId: 10, userId: JANE, typing: false }));
    expect(s.typing[10]).toBeUndefined();
  });

  it("presence is kept per user", () => {
    const s = run(withThread(), core({ event: "presence", userId: JANE, online: false, lastSeen: at(3) }));
    expect(s.presence[JANE]).toEqual({ online: false, lastSeen: at(3) });
  });
});

describe("conversations", () => {
  it("an upsert replaces the row and keeps updatedAt order", () => {
    let s = run(withThread()); // 11 (newer) before 10
    expect(s.conversations.map((c) => c.id)).toEqual([11, 10]);
    s = reduce(s, core({ event: "conversation", summary: summary(10, { updatedAt: at(99), unread: 1 }) }));
    expect(s.conversations.map((c) => c.id)).toEqual([10, 11]);
    expect(s.unread[10]).toBe(1);
    s = reduce(s, core({ event: "conversation", summary: summary(12, { updatedAt: at(50) }) }));
    expect(s.conversations.map((c) => c.id)).toEqual([10, 12, 11]);
  });

  it("the whole list replaces the old one", () => {
    const s = run(withThread(), core({ event: "conversations", conversations: [summary(30, { updatedAt: at(1) })] }));
    expect(s.conversations.map((c) => c.id)).toEqual([30]);
  });
});

describe("notices and session", () => {
  it("cacheRebuilt and error events become notices", () => {
    const s = run(
      withThread(),
      core({ event: "cacheRebuilt", movedTo: "/x", reason: "bad key" }),
      core({ event: "error", message: "The server refused." }),
    );
    expect(s.notices.map((n) => n.text)).toEqual([CACHE_REBUILT_TEXT, "The server refused."]);
  });

  it("signing out forgets the account's data", () => {
    const s = run(withThread(), {
      type: "appEvent",
      event: { type: "session", session: session({ signedIn: false, ended: "expired", userId: null }) },
    });
    expect(s.conversations).toEqual([]);
    expect(s.threads).toEqual({});
    expect(s.session?.ended).toBe("expired");
  });
});

describe("unread marker", () => {
  it("sits at the first of the unread messages from others when the chat opens", () => {
    let s = run(initialState, { type: "attached", session: session() }, snap({ conversations: [summary(10, { unread: 2 })] }));
    s = run(
      s,
      { type: "select", conversationId: 10 },
      {
        type: "historyLoaded",
        conversationId: 10,
        messages: [msg(1), msg(2), msg(3, { senderId: ME }), msg(4), msg(5, { senderId: ME }), msg(6)],
        reachedStart: true,
        replace: true,
      },
    );
    expect(s.threads[10]?.unreadMarkerId).toBe(4);
    const rows = buildRows(s.threads[10]?.messages ?? [], [], ME, 4);
    expect(rows.filter((r) => r.kind === "message" && r.unread).map((r) => r.key)).toEqual(["m:4"]);
  });
});

describe("thread rows", () => {
  it("put a day separator on the first message of each day, outbox rows last", () => {
    const now = new Date(2026, 10, 20, 18, 0);
    const day = (d: number, h: number) => new Date(2026, 10, d, h, 0).toISOString();
    const rows = buildRows(
      [msg(1, { createdAt: day(19, 9) }), msg(2, { createdAt: day(19, 10) }), msg(3, { createdAt: day(20, 9) })],
      [outboxItem("c1", { createdAt: day(20, 17) })],
      ME,
      null,
      now,
    );
    expect(rows.map((r) => [r.key, r.kind === "start" ? null : r.day])).toEqual([
      ["m:1", "Yesterday"],
      ["m:2", null],
      ["m:3", "Today"],
      ["o:c1", null],
    ]);
  });

  it("show the sender's name once per run", () => {
    const rows = buildRows([msg(1), msg(2), msg(3, { senderId: ME }), msg(4)], [], ME, null);
    expect(rows.map((r) => r.kind === "message" && r.firstOfGroup)).toEqual([true, false, true, true]);
  });
});

describe("the user's call", () => {
  const call = {
    callId: 4,
    conversationId: 10,
    roomName: "nursecare-10-00000000000000aa",
    direction: "outgoing" as const,
    phase: "rejoin" as const,
    jitsiUrl: "https://meet.clinic.test/nursecare-10-00000000000000aa",
    jitsiJwt: null,
    startedAt: at(0),
    inCallSince: null,
  };

  it("comes with the snapshot and follows myCall events until it is over", () => {
    let s = run(initialState, snap({ call }));
    expect(s.myCall?.phase).toBe("rejoin");
    s = run(s, core({ event: "myCall", call: { ...call, phase: "inCall", inCallSince: at(1) } }));
    expect(s.myCall?.phase).toBe("inCall");
    s = run(s, core({ event: "myCall", call: null }));
    expect(s.myCall).toBeNull();
  });
});

describe("a call answered here", () => {
  it("stops ringing when it becomes the user's call", () => {
    const ring = { event: "incomingCall" as const, callId: 7, conversationId: 10, roomName: "r7", callerId: 2 };
    let s = run(initialState, snap(), core(ring), core({ ...ring, callId: 8, roomName: "r8" }));
    expect(s.ringing.map((r) => r.callId)).toEqual([7, 8]);
    s = run(
      s,
      core({
        event: "myCall",
        call: {
          callId: 7,
          conversationId: 10,
          roomName: "r7",
          direction: "incoming",
          phase: "inCall",
          jitsiUrl: "https://meet.clinic.test/r7",
          jitsiJwt: null,
          startedAt: at(0),
          inCallSince: at(1),
        },
      }),
    );
    expect(s.ringing.map((r) => r.callId)).toEqual([8]);
  });
});
