import { useEffect } from "react";

/** Rings while `ringing`: the app plays its own ring, since notification servers often ignore
 * sound hints. Two short tones every two seconds through Web Audio; silent where there is none. */
export function Ringtone({ ringing }: { ringing: boolean }) {
  useEffect(() => {
    if (!ringing) return;
    const Ctx = (window as { AudioContext?: typeof AudioContext }).AudioContext;
    if (!Ctx) return;
    let ctx: AudioContext;
    try {
      ctx = new Ctx();
    } catch {
      return;
    }
    const ring = () => {
      const t = ctx.currentTime;
      for (const [at, freq] of [
        [0, 880],
        [0.45, 660],
      ] as const) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t + at);
        gain.gain.exponentialRampToValueAtTime(0.25, t + at + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.4);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t + at);
        osc.stop(t + at + 0.42);
      }
    };
    ring();
    const timer = setInterval(ring, 2000);
    return () => {
      clearInterval(timer);
      void ctx.close();
    };
  }, [ringing]);
  return null;
}
