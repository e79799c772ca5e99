// Where the end-user id of a request comes from, in LiteLLM's order
// (litellm/proxy/auth/auth_utils.py get_end_user_id_from_request_body):
//   1. the standard customer headers `x-litellm-customer-id`, `x-litellm-end-user-id`;
//   2. a configured header (LiteLLM's general_settings.user_header_name, or the header mapped to the
//      customer role in user_header_mappings); a list of headers is tried in order;
//   3. body `user` (OpenAI);
//   4. body `litellm_metadata.user` (Anthropic);
//   5. body `metadata.user_id`;
//   6. body `safety_identifier` (OpenAI Responses API; caller-controlled, trust accordingly).
// `metadata`/`litellm_metadata` given as JSON strings are parsed, as LiteLLM does.

export const STANDARD_CUSTOMER_ID_HEADERS = ['x-litellm-customer-id', 'x-litellm-end-user-id'] as const;

export type HeaderBag =
  Headers | Record<string, string | readonly string[] | undefined> | ReadonlyMap<string, string | undefined>;

export interface EndUserSourceOptions {
  /** LiteLLM's `user_header_name`: one header name or a list tried in order. */
  userHeaderName?: string | readonly string[];
  /**
   * The header bag is a plain object whose names are all lower case, as Node's
   * `IncomingMessage.headers` and Fastify's `request.headers` are: a missing header is not searched for
   * under other spellings. Default false (names matched case-insensitively).
   */
  headerNamesLowercase?: boolean;
}

function header(headers: HeaderBag | undefined, name: string, lowercase: boolean): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let v: string | readonly string[] | undefined;
  if (typeof (headers as Headers).get === 'function' && !(headers instanceof Map)) {
    v = (headers as Headers).get(lower) ?? undefined;
  } else if (headers instanceof Map) {
    for (const [k, val] of headers) if (k.toLowerCase() === lower) v = val;
  } else {
    const rec = headers as Record<string, string | readonly string[] | undefined>;
    v = rec[lower];
    if (v === undefined && !lowercase)
      for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) v = rec[k];
  }
  const s = Array.isArray(v) ? v[0] : (v as string | undefined);
  return typeof s === 'string' && s.trim() !== '' ? s : undefined;
}

function asId(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

function asObject(v: unknown): Readonly<Record<string, unknown>> {
  if (v === undefined || v === null) return NO_FIELDS;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // not JSON: no fields
    }
  }
  return NO_FIELDS;
}

/** The end-user id of a request, or undefined. Never throws. */
export function getEndUserId(
  request: { headers?: HeaderBag; body?: unknown },
  opts: EndUserSourceOptions = {},
): string | undefined {
  const headers = request.headers;
  const lowercase = opts.headerNamesLowercase === true;
  for (const h of STANDARD_CUSTOMER_ID_HEADERS) {
    const v = header(headers, h, lowercase);
    if (v !== undefined) return v;
  }
  const custom = opts.userHeaderName;
  if (typeof custom === 'string') {
    const v = header(headers, custom, lowercase);
    if (v !== undefined) return v;
  } else if (custom !== undefined) {
    for (const h of custom) {
      const v = header(headers, h, lowercase);
      if (v !== undefined) return v;
    }
  }
  const body = asObject(request.body);
  return (
    asId(body.user) ??
    asId(asObject(body.litellm_metadata).user) ??
    asId(asObject(body.metadata).user_id) ??
    asId(body.safety_identifier)
  );
}
