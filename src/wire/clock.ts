/**
 * Time as a dependency. The wire's classes take a Clock and Timers through their constructors so tests can drive
 * them; only composition roots pass the system ones below.
 */

/** Clock reads wall-clock time in milliseconds since the epoch (gRPC deadlines are wall-clock). */
export interface Clock {
  now(): number;
}

/** TimerHandle is whatever Timers.setTimeout returns; only Timers.clearTimeout looks inside. */
export type TimerHandle = unknown;

/** Timers schedules one-shot callbacks. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** systemClock is the process clock, for composition roots. */
export const systemClock: Clock = { now: () => Date.now() };

/** systemTimers are Node's timers, for composition roots. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
