// Option validation (errors name the key and the reason), environment precedence, and the resource.

import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  ExportConfigError,
  resolveWorkerMetricsConfig,
  DEFAULT_ENDPOINT,
  type WorkerMetricsOptions,
} from '../../src/export/options.js';
import { buildWorkerResource, defaultServiceInstanceId } from '../../src/export/resource.js';

const resolve = (o: unknown, env: Record<string, string> = {}) => resolveWorkerMetricsConfig(o, env);

function errorOf(fn: () => unknown): ExportConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ExportConfigError);
    return e as ExportConfigError;
  }
  throw new Error('expected an ExportConfigError');
}

describe('defaults', () => {
  it('without options or env: 127.0.0.1:4318 JSON, delta, 10 s interval, 100000-point queue, signals handled', () => {
    const c = resolve({});
    expect(c).toMatchObject({
      serviceName: 'litellm-proxy',
      serviceNamespace: undefined,
      endpoint: 'http://127.0.0.1:4318/v1/metrics',
      protocol: 'http/json',
      headers: {},
      timeoutMillis: 10_000,
      compression: 'none',
      exportIntervalMillis: 10_000,
      exportTimeoutMillis: 10_000,
      temporality: 'delta',
      maxQueuedPoints: 100_000,
      exportThread: true,
      handleSignals: true,
      shutdownTimeoutMillis: 5_000,
      diagLogLevel: undefined,
      views: [],
    });
    expect(c.endpoint).toBe(DEFAULT_ENDPOINT);
  });

  it('exportThread: false sends from the calling thread; a non-boolean is refused, naming the key', () => {
    expect(resolve({ exportThread: false }).exportThread).toBe(false);
    const e = errorOf(() => resolve({ exportThread: 'yes' as unknown as boolean }));
    expect(e.key).toBe('exportThread');
  });

  it('the export timeout follows a shorter interval', () => {
    expect(resolve({ exportIntervalMillis: 500 }).exportTimeoutMillis).toBe(500);
    expect(resolve({ exportIntervalMillis: 60_000 }).exportTimeoutMillis).toBe(30_000);
  });
});

describe('environment variables, and explicit options winning over them', () => {
  const env = {
    OTEL_SERVICE_NAME: 'env-svc',
    OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=env-ns,deployment.environment.name=prod',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=3,auth=Bearer%20x',
    OTEL_EXPORTER_OTLP_TIMEOUT: '7000',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_METRIC_EXPORT_INTERVAL: '15000',
    OTEL_METRIC_EXPORT_TIMEOUT: '12000',
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Cumulative',
    OTEL_LOG_LEVEL: 'debug',
  };

  it('reads each standard variable', () => {
    expect(resolve({}, env)).toMatchObject({
      serviceName: 'env-svc',
      serviceNamespace: 'env-ns',
      endpoint: 'http://collector:4318/v1/metrics',
      protocol: 'http/protobuf',
      headers: { a: '1', b: '3', auth: 'Bearer x' },
      timeoutMillis: 7000,
      compression: 'gzip',
      exportIntervalMillis: 15_000,
      exportTimeoutMillis: 12_000,
      temporality: 'cumulative',
      diagLogLevel: 'debug',
      envResourceAttributes: { 'service.namespace': 'env-ns', 'deployment.environment.name': 'prod' },
    });
  });

  it('explicit options win over every variable', () => {
    const o: WorkerMetricsOptions = {
      serviceName: 'opt-svc',
      serviceNamespace: 'opt-ns',
      endpoint: 'http://127.0.0.1:9999/custom',
      protocol: 'http/json',
      headers: { b: 'opt' },
      timeoutMillis: 1000,
      compression: 'none',
      exportIntervalMillis: 2000,
      exportTimeoutMillis: 1500,
      temporality: 'delta',
      diagLogLevel: 'warn',
    };
    expect(resolve(o, env)).toMatchObject({ ...o, headers: { a: '1', b: 'opt', auth: 'Bearer x' } });
  });

  it('the metrics-specific variables win over the generic ones; the metrics endpoint is used verbatim', () => {
    const c = resolve(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318/',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://specific:443/custom/path',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TIMEOUT: '7000',
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '3000',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none',
      },
    );
    expect(c).toMatchObject({
      endpoint: 'https://specific:443/custom/path',
      protocol: 'http/json',
      timeoutMillis: 3000,
      compression: 'none',
    });
    expect(resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318/' }).endpoint).toBe(
      'http://generic:4318/v1/metrics',
    );
  });

  it("'lowmemory' temporality preference selects delta (delta everywhere bounds memory more)", () => {
    expect(resolve({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }).temporality).toBe(
      'delta',
    );
  });

  it('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr' }).serviceName).toBe('attr');
    expect(
      resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr', OTEL_SERVICE_NAME: 'name' }).serviceName,
    ).toBe('name');
  });
});

describe('validation errors name the key and the reason', () => {
  it.each([
    [{ endpoint: 'collector:4318' }, 'endpoint', /http/],
    [{ endpoint: 'ftp://x/v1/metrics' }, 'endpoint', /http/],
    [{ protocol: 'grpc' }, 'protocol', /http\/json|http\/protobuf/],
    [{ exportIntervalMillis: 0 }, 'exportIntervalMillis', /> 0/],
    [{ exportIntervalMillis: 1.5 }, 'exportIntervalMillis', /integer/],
    [{ timeoutMillis: -1 }, 'timeoutMillis', /> 0/],
    [{ maxQueuedPoints: -5 }, 'maxQueuedPoints', />= 0/],
    [{ temporality: 'lowmemory' }, 'temporality', /delta|cumulative/],
    [{ compression: 'br' }, 'compression', /gzip|none/],
    [{ headers: { a: 1 } }, 'headers.a', /string/],
    [{ serviceName: '' }, 'serviceName', /empty/],
    [{ onSignal: 'stop' }, 'onSignal', /function/],
    [{ exportIntervalMillis: 1000, exportTimeoutMillis: 2000 }, 'exportTimeoutMillis', /interval/],
    [{ exportIntervall: 1000 }, 'exportIntervall', /not a known option/],
  ])('%j -> %s', (options, key, reason) => {
    const e = errorOf(() => resolve(options));
    expect(e.key).toBe(key);
    expect(e.reason).toMatch(reason);
    expect(e.message).toContain(key);
    expect(e.code).toBe('LOM_ERR_EXPORT_CONFIG');
  });

  it.each([
    [{ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }, 'OTEL_METRIC_EXPORT_INTERVAL'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '-3' }, 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
    ],
    [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION'],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' },
      'OTEL_METRIC_EXPORT_TIMEOUT',
    ],
  ])('bad env %j names %s', (env, key) => {
    expect(errorOf(() => resolve({}, env)).key).toBe(key);
  });

  it('a malformed env var is not consulted when the explicit option for the same setting is given', () => {
    // The explicit interval is used; the malformed env interval is never consulted.
    expect(
      resolve({ exportIntervalMillis: 1000 }, { OTEL_METRIC_EXPORT_INTERVAL: 'soon' }).exportIntervalMillis,
    ).toBe(1000);
  });
});

describe('resource', () => {
  it('carries service.name, service.namespace, a unique service.instance.id, host.name, process.pid and env attributes', () => {
    const c = resolve(
      { serviceNamespace: 'ns' },
      { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging' },
    );
    const { resource, serviceInstanceId } = buildWorkerResource(c);
    expect(resource.attributes).toMatchObject({
      'service.name': 'litellm-proxy',
      'service.namespace': 'ns',
      'service.instance.id': serviceInstanceId,
      'host.name': hostname(),
      'process.pid': process.pid,
      'deployment.environment.name': 'staging',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(serviceInstanceId).toMatch(new RegExp(`^${hostname()}-${process.pid}-[0-9a-f]{8}$`));
    expect(buildWorkerResource(c).serviceInstanceId).not.toBe(serviceInstanceId); // random suffix per start
    expect(defaultServiceInstanceId()).not.toBe(defaultServiceInstanceId());
  });

  it('ignores service.instance.id from OTEL_RESOURCE_ATTRIBUTES (every worker inherits the same env)', () => {
    const c = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=shared' });
    expect(buildWorkerResource(c).serviceInstanceId).not.toBe('shared');
  });

  it('explicit options win: serviceInstanceId, then resourceAttributes over everything', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'team=env,service.namespace=env-ns' };
    const a = buildWorkerResource(resolve({ serviceInstanceId: 'w-1' }, env));
    expect(a.serviceInstanceId).toBe('w-1');
    expect(a.resource.attributes['service.namespace']).toBe('env-ns');
    const b = buildWorkerResource(
      resolve(
        {
          serviceInstanceId: 'w-1',
          resourceAttributes: { team: 'opt', 'service.instance.id': 'w-2', 'service.name': 'x' },
        },
        env,
      ),
    );
    expect(b.serviceInstanceId).toBe('w-2');
    expect(b.resource.attributes).toMatchObject({
      team: 'opt',
      'service.instance.id': 'w-2',
      'service.name': 'x',
    });
  });
});
