// A small external store (useSyncExternalStore): one state object, replaced by `reduce`.
import { useSyncExternalStore } from "react";
import { reduce, type Action } from "./reducer";
import { initialState, type State } from "./state";

export type Store = {
  getState(): State;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
  /** Replaces the whole state (tests; never the app). */
  reset(state?: State): void;
};

export function createStore(start: State = initialState): Store {
  let state = start;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    reset(next = initialState) {
      state = next;
      notify();
    },
  };
}

/** The app's one store. */
export const store: Store = createStore();

/** Reads a slice of the store; re-renders when the selected value changes (by identity). */
export function useStore<T>(selector: (state: State) => T): T {
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
