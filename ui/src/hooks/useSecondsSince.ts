import { useEffect, useState } from "react";

/** Seconds since `since` (an ISO time), ticking every second; null without a time. */
export function useSecondsSince(since: string | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [since]);
  return since === null ? null : Math.max(0, (now - Date.parse(since)) / 1000);
}
