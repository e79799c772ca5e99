// Where scripts/build-collector.sh puts (or would put) the otelcol-litellm binary.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const buildScript = join(repoRoot, 'scripts', 'build-collector.sh');
export const shippedCollectorConfig = join(repoRoot, 'otel-collector.yaml');

/** The cache path of the binary for the current manifest and version (asks the build script). */
export function collectorBinaryPath(): string {
  const out = execFileSync('bash', [buildScript, '--print-path'], { encoding: 'utf8', env: process.env });
  const lines = out.trim().split('\n');
  const path = lines[lines.length - 1];
  if (path === undefined || path === '') throw new Error(`${buildScript} --print-path printed nothing`);
  return path;
}

/** The binary path, or an error that says how to build it. */
export function requireCollectorBinary(): string {
  const path = collectorBinaryPath();
  if (!existsSync(path)) {
    throw new Error(
      `collector binary not built: ${path} does not exist. Run scripts/build-collector.sh ` +
        '(~10 min the first time; it needs Go) and run the tests again.',
    );
  }
  return path;
}
