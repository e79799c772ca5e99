// `litellm-otel fake-llm` in a real child process: flags and a --config file reach the server, bad
// values exit 1 naming the option and the flag, SIGTERM stops it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chatBody, get, post } from './support/http.js';

const MAIN = fileURLToPath(new URL('./support/cli-main.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'fake-llm', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitForUrl(out: () => string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/\S+\/v1)/.exec(out());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fake-llm did not print its URL; stdout: ${out()}`);
}

describe('litellm-otel fake-llm', () => {
  it('serves with the behaviour its flags and --config file set, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-llm-cli-'));
    const config = join(dir, 'fake-llm.yaml');
    writeFileSync(
      config,
      [
        'completionTokens: 11',
        'modelOverrides:',
        '  pricey:',
        '    completionTokens: 99',
        'failureRate: 0.5',
        '',
      ].join('\n'),
    );
    const p = run([
      '--port',
      '0',
      '--config',
      config,
      '--failure-rate',
      '0',
      '--fail-model',
      'bad-model=502',
      '--rate-limit-requests',
      '50',
      '--latency-ms',
      '1-3',
    ]);
    const url = await waitForUrl(p.out);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    const ok = await post(`${url}/chat/completions`, chatBody('m'));
    expect(ok.status).toBe(200); // the flag's failure rate 0 won over the file's 0.5
    expect((ok.body as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(11);
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('50');
    const pricey = await post(`${url}/chat/completions`, chatBody('pricey'));
    expect((pricey.body as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(99);
    expect((await post(`${url}/chat/completions`, chatBody('bad-model'))).status).toBe(502);
    const stats = await get(`${url.replace(/\/v1$/, '')}/__stats`);
    expect((stats.body as { byStatus: Record<string, number> }).byStatus).toEqual({ '200': 2, '502': 1 });

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('exits 1 naming the option and the flag when a value is out of range', async () => {
    const p = run(['--port', '0', '--failure-rate', '2']);
    expect(await p.exit).toBe(1);
    expect(p.err()).toContain('failureRate: must be <= 1 (flag --failure-rate)');
  });

  it('rejects a malformed --fail-model before starting', async () => {
    const p = run(['--port', '0', '--fail-model', 'no-status']);
    expect(await p.exit).not.toBe(0);
    expect(p.err()).toContain('--fail-model must be MODEL=STATUS');
  });
});
