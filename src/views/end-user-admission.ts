// The end-user admission limiter: bounds the distinct `end_user` values a worker records, without
// losing any count. Attached through views, as an OTel attributes processor, to every family that has
// an `end_user` label, and shared by them (a user admitted is admitted everywhere, so per-family totals
// agree).
//
// - at most `maxSeries` distinct values hold a slot;
// - a value idle for longer than `ttlMs` frees its slot, taken by the next new value;
// - a value that finds no slot is recorded under the reserved `overflowValue`, keeping its other
//   labels, so every sum over end users stays exact.
//
// Constant time per record: one Map lookup; slots are kept in least-recently-used order by Map
// re-insertion, so the only eviction candidate is the first entry. No timers, no scans.
//
// Why the bound holds on the endpoint within any TTL window: a slot changes hands only when its holder
// has been idle for more than the TTL, so the holder's last record and the newcomer's first record are
// more than one TTL apart; any window of one TTL sees at most one holder per slot.

import type { Attributes, Context } from '@opentelemetry/api';
import type { IAttributesProcessor } from '@opentelemetry/sdk-metrics';
import { NONE } from '../record/label-values.js';

export const DEFAULT_END_USER_MAX_SERIES = 10_000;
export const DEFAULT_END_USER_TTL_SECONDS = 3_600;
export const DEFAULT_END_USER_OVERFLOW_VALUE = '__overflow__';

export interface EndUserAdmissionOptions {
  maxSeries?: number;
  ttlSeconds?: number;
  overflowValue?: string;
  /** Clock in ms; injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** The label holding the end-user id. Default `end_user`. */
  label?: string;
}

export interface EndUserAdmissionStats {
  /** Values currently holding a slot. */
  readonly admitted: number;
  /** Records that went to the overflow value. */
  readonly overflowed: number;
  /** Slots freed by the TTL and given to a new value. */
  readonly evicted: number;
}

export class EndUserAdmission implements IAttributesProcessor {
  private readonly slots = new Map<string, number>();
  private readonly maxSeries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly label: string;
  readonly overflowValue: string;
  private overflowed = 0;
  private evicted = 0;

  constructor(opts: EndUserAdmissionOptions = {}) {
    this.maxSeries = opts.maxSeries ?? DEFAULT_END_USER_MAX_SERIES;
    this.ttlMs = (opts.ttlSeconds ?? DEFAULT_END_USER_TTL_SECONDS) * 1000;
    this.overflowValue = opts.overflowValue ?? DEFAULT_END_USER_OVERFLOW_VALUE;
    this.now = opts.now ?? Date.now;
    this.label = opts.label ?? 'end_user';
  }

  get stats(): EndUserAdmissionStats {
    return { admitted: this.slots.size, overflowed: this.overflowed, evicted: this.evicted };
  }

  /** Whether `value` may be recorded as itself now; admits it when a slot is free. */
  admit(value: string): boolean {
    const slots = this.slots;
    const t = this.now();
    if (slots.has(value)) {
      // move to the most-recently-used end
      slots.delete(value);
      slots.set(value, t);
      return true;
    }
    if (slots.size < this.maxSeries) {
      slots.set(value, t);
      return true;
    }
    const oldest = slots.keys().next();
    if (!oldest.done && t - slots.get(oldest.value)! > this.ttlMs) {
      slots.delete(oldest.value);
      this.evicted++;
      slots.set(value, t);
      return true;
    }
    this.overflowed++;
    return false;
  }

  /** The value to record for `value`: itself when admitted, else the overflow value. */
  map(value: string): string {
    return value === NONE || value === this.overflowValue || this.admit(value) ? value : this.overflowValue;
  }

  process(incoming: Attributes, _context?: Context): Attributes {
    const v = incoming[this.label];
    if (typeof v !== 'string' || v === NONE || v === this.overflowValue) return incoming;
    if (this.admit(v)) return incoming;
    return { ...incoming, [this.label]: this.overflowValue };
  }
}
