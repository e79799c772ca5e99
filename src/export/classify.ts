// What a failed OTLP export means for the data in it. The exporter (otlp-exporter-base 0.223) reports:
// - a non-2xx HTTP status it does not retry: OTLPExporterError with `code` = the status;
// - 429/502/503/504 after its own retries ran out: OTLPExporterError('Export failed with retryable status'), no code;
// - a network error: the Node error (`code` ECONNREFUSED, ECONNRESET, EPIPE, ...);
// - a socket timeout: Error('Request timed out');
// - too many exports in flight: Error('Concurrent export limit reached').
// The request tracker adds what the error cannot say: whether the body was fully sent.

import type { RequestObservation } from './request-tracker.js';

export type ExportOutcome =
  /** Delivered (2xx seen). */
  | 'success'
  /** Nothing was counted by the endpoint: keep the data and send it again. */
  | 'retryable'
  /** The endpoint refused this payload for good (400, 401, 403, 404, 413, 500, ...): resending cannot help. */
  | 'rejected'
  /** The body was sent and no answer came (timeout, reset): the endpoint may have counted it. Not resent. */
  | 'ambiguous';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error
    ? (error as { code: unknown }).code
    : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Classifies a failed export from the exporter's error and the last request's observation.
 * `obs` undefined means no HTTP request was started.
 */
export function classifyExportFailure(error: unknown, obs: RequestObservation | undefined): ExportOutcome {
  const code = errorCode(error);
  const message = errorMessage(error);

  // An HTTP status decides when there is one.
  const status = typeof code === 'number' ? code : obs?.status;
  if (status !== undefined) {
    if (status >= 200 && status <= 299) return 'success'; // e.g. a >4 MiB response body: the data arrived
    return RETRYABLE_STATUSES.has(status) ? 'retryable' : 'rejected';
  }
  if (message === 'Export failed with retryable status') return 'retryable';
  if (message === 'Concurrent export limit reached') return 'retryable';

  if (obs === undefined) {
    // No request was started: the failure came before the wire (headers factory, serializer, agent).
    return message === 'Nothing to send' ? 'rejected' : 'retryable';
  }
  // Refused, unreachable, reset, broken pipe: the connection is gone without a status. Either the server
  // never read the request (refused; or it closed an idle keep-alive socket as we wrote, the common reset),
  // or it died while handling it, and its in-memory totals died with it. Sending again is right either way.
  if (typeof code === 'string') return 'retryable';
  // No response before the body was fully handed over: the endpoint cannot have processed it.
  if (!obs.bodySent) return 'retryable';
  // The body went out and no status came back before the deadline ('Request timed out'): the endpoint is
  // alive and slow, and most likely counts it. Not resent (a resend would double count); counted as dropped.
  return 'ambiguous';
}
