// Errors as the proxy answers them (OpenAI's error body, LiteLLM's fields) and as the metrics label them
// (status + OpenAI-style exception class, LiteLLM's mapping from the provider's status).

/** A failure of one request or one upstream call. */
export interface ProxyError {
  /** HTTP status answered to the client (and the `exception_status` label). */
  status: number;
  /** OpenAI-style class name, e.g. `RateLimitError` (the `exception_class` label). */
  className: string;
  message: string;
  /** The provider that raised it (prefix of `exception_class`), absent for the proxy's own errors. */
  provider?: string;
  /** OpenAI error `type`. */
  type: string;
  /** OpenAI error `param`. */
  param?: string | null;
}

/** LiteLLM's exception class for an HTTP status from a provider. */
export function classNameForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequestError';
    case 401:
      return 'AuthenticationError';
    case 403:
      return 'PermissionDeniedError';
    case 404:
      return 'NotFoundError';
    case 408:
      return 'Timeout';
    case 422:
      return 'UnprocessableEntityError';
    case 429:
      return 'RateLimitError';
    case 503:
      return 'ServiceUnavailableError';
    default:
      return status >= 500 ? 'InternalServerError' : 'APIError';
  }
}

/** OpenAI's error `type` for a status. */
export function errorTypeForStatus(status: number): string {
  if (status === 401) return 'auth_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'internal_server_error';
  return 'invalid_request_error';
}

export function proxyError(status: number, message: string, extra: Partial<ProxyError> = {}): ProxyError {
  return {
    status,
    className: extra.className ?? classNameForStatus(status),
    message,
    type: extra.type ?? errorTypeForStatus(status),
    provider: extra.provider,
    param: extra.param ?? null,
  };
}

/** OpenAI's error body, with LiteLLM's `code` (the status as a string). */
export function errorBody(e: ProxyError): {
  error: { message: string; type: string; param: string | null; code: string };
} {
  return { error: { message: e.message, type: e.type, param: e.param ?? null, code: String(e.status) } };
}
