// Authentication: the master key and the virtual keys of `general_settings`. A request carries its key
// as `Authorization: Bearer <key>` (or LiteLLM's `x-litellm-api-key`, or `api-key`). With no master key
// configured the proxy is open (as LiteLLM is) and requests carry no identity.

import type { ProxyConfig, VirtualKey } from './config.js';
import { proxyError, type ProxyError } from './errors.js';
import { hashApiKey } from '../record/label-values.js';

/** The caller, as the metrics label it. */
export interface Caller {
  /** The raw key (never exported; hashed for labels). */
  readonly key: string | undefined;
  readonly hashedKey: string | undefined;
  readonly virtualKey: VirtualKey | undefined;
  readonly isMaster: boolean;
}

export type AuthResult = { ok: true; caller: Caller } | { ok: false; error: ProxyError };

const ANONYMOUS: Caller = { key: undefined, hashedKey: undefined, virtualKey: undefined, isMaster: false };

function keyFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const auth = first(headers.authorization) ?? first(headers['x-litellm-api-key']);
  if (auth !== undefined) {
    const m = /^\s*Bearer\s+(.+?)\s*$/i.exec(auth);
    return m ? m[1] : auth.trim() || undefined;
  }
  const apiKey = first(headers['api-key']);
  return apiKey?.trim() || undefined;
}

function invalid(message: string): AuthResult {
  // LiteLLM's wording, which its failure hook recognizes as an invalid-key failure (not counted).
  return {
    ok: false,
    error: proxyError(401, `Authentication Error, ${message}`, {
      className: 'ProxyException',
      type: 'auth_error',
    }),
  };
}

export class Authenticator {
  private readonly byKey = new Map<string, Caller>();

  constructor(private readonly config: Pick<ProxyConfig, 'masterKey' | 'virtualKeys'>) {
    if (config.masterKey !== undefined) {
      this.byKey.set(config.masterKey, {
        key: config.masterKey,
        hashedKey: hashApiKey(config.masterKey),
        virtualKey: undefined,
        isMaster: true,
      });
    }
    for (const vk of config.virtualKeys) {
      this.byKey.set(vk.key, { key: vk.key, hashedKey: hashApiKey(vk.key), virtualKey: vk, isMaster: false });
    }
  }

  get enabled(): boolean {
    return this.config.masterKey !== undefined;
  }

  authenticate(headers: Record<string, string | string[] | undefined>): AuthResult {
    if (!this.enabled) return { ok: true, caller: ANONYMOUS };
    const key = keyFrom(headers);
    if (key === undefined) return invalid('No api key passed in.');
    const caller = this.byKey.get(key);
    if (caller === undefined)
      return invalid('Invalid proxy server token passed. Received API Key = invalid key.');
    return { ok: true, caller };
  }

  /** Whether the caller may call the model group; an error (LiteLLM answers 401) otherwise. */
  authorizeModel(caller: Caller, group: string): ProxyError | undefined {
    const models = caller.virtualKey?.models;
    if (models === undefined || models.includes(group)) return undefined;
    return proxyError(
      401,
      `Authentication Error, key not allowed to access model. This key can only access models=${JSON.stringify(models)}. Tried to access ${group}`,
      {
        className: 'ProxyException',
        type: 'key_model_access_denied',
      },
    );
  }
}
