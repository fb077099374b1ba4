// jsdom lacks layout: give elements a size so the virtualised list renders rows, and a
// ResizeObserver that never fires.
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
if (!("ResizeObserver" in globalThis)) {
  (globalThis as unknown as { ResizeObserver: typeof NoResizeObserver }).ResizeObserver = NoResizeObserver;
}

Object.defineProperty(HTMLElement.prototype, "offsetHeight", { configurable: true, get: () => 40 });
Object.defineProperty(HTMLElement.prototype, "offsetWidth", { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 800 });
HTMLElement.prototype.getBoundingClientRect = function () {
  return { x: 0, y: 0, top: 0, left: 0, bottom: 600, right: 800, width: 800, height: 600, toJSON: () => ({}) } as DOMRect;
};
if (!HTMLElement.prototype.scrollTo) {
  HTMLElement.prototype.scrollTo = function () {} as typeof HTMLElement.prototype.scrollTo;
}

afterEach(() => {
  cleanup();
  clearMocks();
});
