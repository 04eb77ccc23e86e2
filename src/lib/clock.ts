/**
 * Time is injected everywhere it matters (token expiry, key rotation, SigV4 skew), so tests move it
 * instead of sleeping. Milliseconds since the epoch, like Date.now().
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to: for tests of expiry, skew and rotation. */
export function manualClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = startMs;
  const clock = (() => now) as Clock & { advance(ms: number): void; set(ms: number): void };
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export const epochSeconds = (clock: Clock): number => Math.floor(clock() / 1000);
