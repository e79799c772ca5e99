// Random draws of the fake upstream. With a seed, every draw is a pure function of
// (seed, request number, slot), so a run repeats exactly however requests interleave in time:
// request n (0-based, counted in arrival order over the API endpoints) always gets the same draws.
// Without a seed, Math.random().

/** Slot of the draw that decides the fault (failure / timeout / drop / none). */
export const SLOT_FAULT = 0;
/** Slot of the draw that picks the failure status from `failureStatuses`. */
export const SLOT_STATUS = 1;
/** Slot of the draw of the latency within `[min, max]`. */
export const SLOT_LATENCY = 2;
/** Slot of the draw of the first-chunk delay within `[min, max]`. */
export const SLOT_FIRST_CHUNK = 3;
/** Slot of the draw behind the ids of a request's tool calls. */
export const SLOT_TOOL_CALL = 4;

const TWO_32 = 4_294_967_296;

/** A 32-bit integer finalizer (from MurmurHash3 / "lowbias32"): good avalanche, no allocation. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The seeded uniform draw in [0, 1) of request `index` (0-based) in `slot`. */
export function seededUniform(seed: number, index: number, slot: number): number {
  let h = mix((seed | 0) ^ 0x9e3779b9);
  h = mix(h ^ (Math.floor(seed / TWO_32) | 0));
  h = mix(h ^ (index >>> 0));
  h = mix(h ^ (Math.floor(index / TWO_32) | 0));
  h = mix(h ^ Math.imul(slot + 1, 0x85ebca6b));
  return h / TWO_32;
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A tool call id in OpenAI's shape, `call_` and 24 letters and digits: a pure function of the draw `u`
 * (so repeatable with a seed), the request number and the choice (so the choices of one answer differ).
 */
export function toolCallId(u: number, index: number, choice: number): string {
  let h = mix(((u * TWO_32) >>> 0) ^ mix((index >>> 0) ^ Math.imul(choice + 1, 0x27d4eb2d)));
  let id = 'call_';
  for (let i = 0; i < 24; i++) {
    h = mix((h + 0x9e3779b9) >>> 0);
    id += ID_CHARS[h % ID_CHARS.length];
  }
  return id;
}

/** A draw function for one server: seeded when a seed is given, else Math.random. */
export function createUniform(seed: number | undefined): (index: number, slot: number) => number {
  if (seed === undefined) return () => Math.random();
  return (index, slot) => seededUniform(seed, index, slot);
}
