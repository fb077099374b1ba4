// Opens the shell's event feed before the rest of the bundle runs (imported second by
// main.tsx, before React and the app): the shell prepares the first screen's snapshot while
// the page evaluates React, instead of after. The events it hands on wait here until the
// store takes them (`take`, which main.tsx gives `actions.start`).
import { attach } from "./ipc";
import type { AppEvent } from "./shell";

let handler: ((event: AppEvent) => void) | null = null;
const waiting: AppEvent[] = [];

let early: ReturnType<typeof attach> | null = attach((event) => {
  if (handler) handler(event);
  else waiting.push(event);
});
// A refused attach is the store's to tell (through `take`); not an unhandled rejection here.
early.catch(() => undefined);

/** The attach begun at load, the first time (its later events go to `onEvent`, those that
 * came meanwhile first); a fresh attach after that. */
export function take(onEvent: (event: AppEvent) => void): ReturnType<typeof attach> {
  const promise = early;
  early = null;
  if (promise === null) return attach(onEvent);
  handler = onEvent;
  for (const event of waiting.splice(0)) onEvent(event);
  return promise;
}
