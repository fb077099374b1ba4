import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The Tauri shell loads dist/ from disk under a strict CSP (no inline scripts or styles):
// relative asset paths, CSS emitted as a file, no module preload polyfill (an inline script).
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  server: { port: 1420, strictPort: true },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test-setup.ts"],
    css: false,
    restoreMocks: true,
  },
});
