// Sees each HTTP request the OTLP exporter makes, through the http(s).Agent the exporter accepts as a
// factory, so a failure can be told apart: was the body fully handed to the OS, did any response arrive?
// That is the difference between "nothing reached the endpoint" and "it may have been counted".

import http from 'node:http';
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExportConfigError } from './options.js';

/** What one HTTP request got to before it ended. */
export interface RequestObservation {
  /** The whole request (headers and body) was handed to the OS ('finish'). */
  bodySent: boolean;
  /** The response status, if a response started. */
  status: number | undefined;
}

export interface RequestTracker {
  /** The most recent request started through the agent, or undefined. */
  last: RequestObservation | undefined;
  /** Number of requests started through the agent. */
  requests: number;
  /** Forget the last request (called before each export attempt). */
  reset(): void;
}

export function createRequestTracker(): RequestTracker {
  return {
    last: undefined,
    requests: 0,
    reset() {
      this.last = undefined;
    },
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** TLS material from the standard env vars: with our own agent the exporter no longer reads them. */
export function tlsOptionsFromEnv(env: Env): https.AgentOptions {
  const read = (specific: string, generic: string): Buffer | undefined => {
    const name = env[specific] ? specific : generic;
    const file = env[name];
    if (file === undefined || file === '') return undefined;
    try {
      return readFileSync(resolve(process.cwd(), file));
    } catch (e) {
      throw new ExportConfigError(name, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const out: https.AgentOptions = {};
  const ca = read('OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CERTIFICATE');
  const cert = read('OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE');
  const key = read('OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_CLIENT_KEY');
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  return out;
}

/**
 * An agent factory for the exporter's `httpAgentOptions`: a keep-alive agent whose requests are
 * observed by `tracker`. `Agent#addRequest` is the hook every request passes through.
 */
export function trackingAgentFactory(
  tracker: RequestTracker,
  tls: https.AgentOptions = {},
): (protocol: string) => http.Agent {
  return (protocol: string) => {
    const agent =
      protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ...tls })
        : new http.Agent({ keepAlive: true });
    const withHook = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
    const original = withHook.addRequest.bind(agent);
    withHook.addRequest = (req: ClientRequest, options: unknown) => {
      const obs: RequestObservation = { bodySent: false, status: undefined };
      tracker.last = obs;
      tracker.requests += 1;
      req.once('finish', () => {
        obs.bodySent = true;
      });
      req.once('response', (res) => {
        obs.status = res.statusCode;
      });
      original(req, options);
    };
    return agent;
  };
}

/** Where and how the OTLP/HTTP requests go, as the pipeline resolved it. */
export interface OtlpHttpTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

/**
 * The options of the SDK's OTLP/HTTP metric exporters (and of `convertLegacyHttpOptions`), with our
 * tracking agent: keep-alive, the TLS material read at start, and failures that can be classified.
 */
export function otlpHttpExporterOptions(
  target: OtlpHttpTarget,
  tracker: RequestTracker,
  tls: https.AgentOptions,
): {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  httpAgentOptions: (protocol: string) => http.Agent;
} {
  return {
    url: target.url,
    headers: { ...target.headers },
    timeoutMillis: target.timeoutMillis,
    compression: target.compression,
    httpAgentOptions: trackingAgentFactory(tracker, tls),
  };
}
