// The worker's identity: one Resource per process, with a service.instance.id no other process shares.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { WorkerMetricsConfig } from './options.js';

/** `<hostname>-<pid>-<8 random hex>`: unique across hosts, processes and pid reuse. */
export function defaultServiceInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Precedence, lowest first: the SDK's default resource (telemetry.sdk.*), host.name and process.pid,
 * OTEL_RESOURCE_ATTRIBUTES, then service.* from the options/env, then `resourceAttributes`.
 * A `service.instance.id` in OTEL_RESOURCE_ATTRIBUTES is ignored: every worker forked from one parent
 * inherits the same environment, and a shared id is exactly the collision this pipeline must avoid.
 */
export function buildWorkerResource(config: WorkerMetricsConfig): {
  resource: Resource;
  serviceInstanceId: string;
} {
  const envAttrs = { ...config.envResourceAttributes };
  if ('service.instance.id' in envAttrs) {
    diag.warn(
      'litellm-otel/export: ignoring service.instance.id from OTEL_RESOURCE_ATTRIBUTES (workers would share it); ' +
        'pass serviceInstanceId to set it',
    );
    delete envAttrs['service.instance.id'];
  }
  const explicitId = config.resourceAttributes['service.instance.id'];
  const serviceInstanceId =
    typeof explicitId === 'string' && explicitId !== ''
      ? explicitId
      : (config.serviceInstanceId ?? defaultServiceInstanceId());
  const service: Record<string, string> = {
    'service.name': config.serviceName,
    'service.instance.id': serviceInstanceId,
  };
  if (config.serviceNamespace !== undefined) service['service.namespace'] = config.serviceNamespace;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'host.name': hostname(), 'process.pid': process.pid }))
    .merge(resourceFromAttributes(envAttrs))
    .merge(resourceFromAttributes(service))
    .merge(
      resourceFromAttributes({ ...config.resourceAttributes, 'service.instance.id': serviceInstanceId }),
    );
  return { resource, serviceInstanceId };
}
