import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
// The current Compose Specification schema, as shipped by the dclint compose linter.
const schemaFile = join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<string, { image?: string; build?: unknown; volumes?: string[]; command?: string[] }>;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    delete schema.$schema;
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // and the validator is not vacuous: a misspelt service key is rejected
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.proxy!.portz = ['4000:4000'];
    expect(validate(broken)).toBe(false);
  });

  it('pins the collector-contrib image at the version the collector build uses', () => {
    const version = readFileSync(`${root}deploy/collector/VERSION`, 'utf8').trim();
    expect(compose.services['otel-collector']!.image).toBe(`otel/opentelemetry-collector-contrib:${version}`);
  });

  it('runs the proxy with several workers exporting to the collector, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'fake-llm',
      'grafana',
      'otel-collector',
      'prometheus',
      'proxy',
    ]);
    const proxy = compose.services.proxy!;
    expect(proxy.command).toContain('--num_workers');
    expect(JSON.stringify(proxy)).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    for (const s of ['prometheus', 'grafana']) expect(compose.services[s]!.image).toMatch(/:[0-9v][^:]*$/);
  });

  it('mounts only files and folders that exist in the repository', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const host = v.split(':')[0]!;
        expect(existsSync(`${root}${host}`), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('the Dockerfile builds the CLI that the compose commands run', () => {
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/FROM node:20/);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli/main.js"]');
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.bin['litellm-otel']).toBe('./dist/cli/main.js');
  });
});
