// Label values exactly as LiteLLM produces them: a missing value is the string "None" (Python's
// str(None)), keys are exported only as their sha256 hex, exception classes read `Provider.ClassName`,
// and text that would break the exposition is cleaned as LiteLLM's _sanitize_prometheus_label_value
// does.

import { createHash } from 'node:crypto';

/** The value LiteLLM exports for a missing label value. */
export const NONE = 'None';

const HEX64 = /^[0-9a-f]{64}$/;
const NEEDS_CLEANING = /[\r\n\u2028\u2029]/;

/**
 * LiteLLM's label-value cleaning: U+2028/U+2029 and carriage returns removed, newlines replaced by a
 * space. LiteLLM also backslash-escapes `\` and `"` at this point and prometheus_client escapes them
 * again on output, which doubles them on the wire; escaping belongs to the exposition (collector,
 * aggregator, in-process serializer), so it is not repeated here.
 */
export function cleanLabelValue(value: string): string {
  if (!NEEDS_CLEANING.test(value)) return value;
  return value.replace(/[\r\u2028\u2029]/g, '').replace(/\n/g, ' ');
}

/** A label value from any input: strings cleaned, numbers and booleans as Python's str() writes them. */
export function labelValue(value: unknown): string {
  if (value === undefined || value === null) return NONE;
  if (typeof value === 'string') return cleanLabelValue(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return NONE;
}

/** sha256 hex of a virtual key, as LiteLLM's hash_token. */
export function hashApiKey(rawKey: string): string {
  return createHash('sha256').update(rawKey).digest('hex');
}

const hashCache = new Map<string, string>();
const HASH_CACHE_MAX = 4096;

/**
 * The `hashed_api_key` label value. A 64-hex value is taken as already hashed; anything else is a raw
 * key given by mistake and is hashed, so a key never reaches the endpoint. Results are cached (keys
 * repeat) with a bounded cache.
 */
export function hashedApiKeyValue(hashed: string | null | undefined, raw: string | null | undefined): string {
  const given = typeof hashed === 'string' && hashed.length > 0 ? hashed : raw;
  if (typeof given !== 'string' || given.length === 0) return NONE;
  if (given === lastGiven) return lastValue; // consecutive requests mostly carry the same key
  let h: string | undefined = given;
  if (!HEX64.test(given)) {
    h = hashCache.get(given);
    if (h === undefined) {
      h = hashApiKey(given);
      if (hashCache.size >= HASH_CACHE_MAX) hashCache.clear();
      hashCache.set(given, h);
    }
  }
  lastGiven = given;
  lastValue = h;
  return h;
}
let lastGiven: string | undefined;
let lastValue = NONE;

/** Python's str.capitalize(): first character upper case, the rest lower case. */
function pythonCapitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** LiteLLM's exception_class: `Provider.ClassName` (`Openai.RateLimitError`), or the class name alone. */
export function exceptionClassValue(
  provider: string | null | undefined,
  className: string | null | undefined,
): string {
  const cls =
    typeof className === 'string' && className.length > 0 ? cleanLabelValue(className) : 'Exception';
  if (typeof provider === 'string' && provider.length > 0)
    return `${cleanLabelValue(pythonCapitalize(provider))}.${cls}`;
  return cls;
}

/** LiteLLM's exception_status / status_code: str(status) or "None". */
export function statusValue(status: number | string | null | undefined): string {
  if (typeof status === 'number') return Number.isFinite(status) ? String(Math.trunc(status)) : NONE;
  if (typeof status === 'string' && status.length > 0) return cleanLabelValue(status);
  return NONE;
}

/** LiteLLM's label-name sanitizing for custom labels (`metadata.foo` -> `metadata_foo`). */
export function sanitizeLabelName(label: string): string {
  if (label.length === 0) return '_';
  let s = label.replace(/[^a-zA-Z0-9_]/g, '_');
  if (!/^[a-zA-Z_]/.test(s)) s = `_${s}`;
  return s;
}
