// Who is signed in at this till, as the UI knows it; the backend holds the real
// session and refuses every command with `errors.locked` while nobody is. The UI
// locks itself after the owner's idle time (keys, clicks and pointer moves count as
// use; so does a sale waiting on the supplier) and tells the backend it is in use,
// at most every TOUCH_EVERY_MS.

import { api, onLocked } from '../lib/api';
import type { Role, SessionView } from '../lib/types';

export const TOUCH_EVERY_MS = 30_000;

/** Which screens each role sees (core checks the role again for every action). */
const RANK: Record<Role, number> = { cashier: 0, manager: 1, owner: 2 };

export function atLeast(role: Role | undefined, needs: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needs];
}

let who = $state<SessionView | null>(null);
let needsOwner = $state(false);
let idleMinutes = $state(5);
let lastUse = Date.now();
let lastTouch = 0;
let timer: ReturnType<typeof setInterval> | null = null;
/** Sales under way: the till does not lock itself in the middle of one. */
let holds = 0;

export const session = {
  get who(): SessionView | null {
    return who;
  },
  get needsOwner(): boolean {
    return needsOwner;
  },
  get idleMinutes(): number {
    return idleMinutes;
  },
  set idleMinutes(m: number) {
    idleMinutes = m;
  },
};

/** Asks the backend who is signed in (at start, and after a lock). */
export async function loadSession(): Promise<void> {
  const s = await api.sessionState();
  needsOwner = s.needs_owner;
  who = s.session;
  idleMinutes = s.idle_lock_minutes;
  lastUse = Date.now();
  lastTouch = 0;
}

export function signedIn(view: SessionView | null): void {
  who = view;
  needsOwner = false;
  lastUse = Date.now();
  lastTouch = Date.now();
}

/** Locks the till now (the lock key, or the idle time). */
export async function lockNow(): Promise<void> {
  who = null;
  lastTouch = 0;
  try {
    await api.lock();
  } catch (e) {
    console.warn('lock failed', e);
  }
}

/** Someone used the till: counts the idle time again, and tells the backend now and then. */
export function used(): void {
  lastUse = Date.now();
  if (who && lastUse - lastTouch > TOUCH_EVERY_MS) {
    lastTouch = lastUse;
    api.touchSession().catch(() => {
      // errors.locked already sent the app to the PIN pad (onLocked).
    });
  }
}

/** `work` (a sale waiting on the supplier) keeps the till unlocked until it ends;
 * the idle time counts from then. */
export async function holdLock<T>(work: Promise<T>): Promise<T> {
  holds += 1;
  try {
    return await work;
  } finally {
    holds -= 1;
    lastUse = Date.now();
  }
}

/** Checks the idle time every few seconds; the backend went locked → the PIN pad. */
export function watchIdle(checkEveryMs = 5_000): () => void {
  onLocked(() => {
    who = null;
  });
  timer = setInterval(() => {
    if (who && holds === 0 && Date.now() - lastUse >= idleMinutes * 60_000) void lockNow();
  }, checkEveryMs);
  return () => {
    if (timer) clearInterval(timer);
    timer = null;
    onLocked(null);
  };
}
