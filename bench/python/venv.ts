// The Python side of the issue-8 benchmarks: a venv outside the repo with the pinned
// bench/python/requirements.txt (prometheus_client), created on first use.
//
//   ~/.cache/litellm-otel-metrics/bench-venv   (override with LOM_BENCH_VENV)

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pythonDir = fileURLToPath(new URL('.', import.meta.url));
const requirements = join(pythonDir, 'requirements.txt');

export function venvDir(): string {
  return process.env.LOM_BENCH_VENV ?? join(homedir(), '.cache', 'litellm-otel-metrics', 'bench-venv');
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr ?? ''}`);
  }
}

/**
 * The venv's python, creating the venv and installing requirements.txt when missing or changed
 * (a stamp file holds the hash of the requirements it was built from).
 */
export function ensureVenvPython(): string {
  const dir = venvDir();
  const python = join(dir, 'bin', 'python');
  const stamp = join(dir, '.requirements.sha256');
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return python;
  const base = process.env.PYTHON ?? 'python3';
  if (!existsSync(python)) run(base, ['-m', 'venv', dir]);
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements]);
  writeFileSync(stamp, want);
  return python;
}

/** `prometheus_client.__version__` of the venv, e.g. `0.26.0`. */
export function prometheusClientVersion(python: string): string {
  const r = spawnSync(
    python,
    ['-c', 'import importlib.metadata as m; print(m.version("prometheus_client"))'],
    { encoding: 'utf8' },
  );
  return r.stdout.trim() || 'unknown';
}
