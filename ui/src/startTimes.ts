// When the page reached each step of its start (ms since performance.timeOrigin), told to the
// shell with the first paint so its log places them beside its own steps. Imported first by
// main.tsx, so `script` is when the bundle began to run.
import type { PageTimes } from "./bindings/PageTimes";

const times = { script: performance.now(), attached: -1, snapshot: -1, rendered: -1, laidOut: -1 };

/** The step happened now (the first time only). */
export function mark(step: "attached" | "snapshot" | "rendered" | "laidOut"): void {
  if (times[step] < 0) times[step] = performance.now();
}

/** Every step, with the list painted now. */
export function pageTimes(): PageTimes {
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  return {
    timeOrigin: performance.timeOrigin,
    document: nav ? nav.responseEnd : -1,
    ...times,
    painted: performance.now(),
  };
}
