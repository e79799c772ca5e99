// What the proxy benchmarks share: child processes that print a ready line, the benchmark config, and
// the load (autocannon on the chat route).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { stringify } from 'yaml';

export const REPO = resolve(import.meta.dirname, '../..');

/** Starts `node [--import tsx] ...args` in the repo and resolves once stdout matches `readyPattern`. */
export function startChild(
  args: string[],
  readyPattern: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(
    process.execPath,
    args.some((a) => a.endsWith('.ts')) ? ['--import', 'tsx', ...args] : args,
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`not ready in 60 s: ${args.join(' ')}\n${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(t);
        res({ child, match: m });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${out}`)));
  });
}

/** SIGTERM, SIGKILL after 20 s; resolves when the child is gone. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

/** A proxy config (one deployment on the fake upstream, master key sk-bench) in a new temp dir. */
export function benchConfig(fakeUrl: string, metricsEnabled: boolean): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lom-bench-')), 'config.yaml');
  writeFileSync(
    file,
    stringify({
      model_list: [
        {
          model_name: 'gpt-4o',
          litellm_params: {
            model: 'openai/gpt-4o',
            api_base: fakeUrl,
            input_cost_per_token: 0.0000025,
            output_cost_per_token: 0.00001,
          },
        },
      ],
      litellm_settings: {
        metrics_export: { enabled: metricsEnabled, aggregator_otlp_port: 0, aggregator_prometheus_port: 0 },
      },
      general_settings: { master_key: 'sk-bench' },
    }),
  );
  return file;
}

/** Closed-loop load on the chat route for `seconds`. */
export function load(url: string, seconds: number, connections = 64): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello, how are you?' }],
      max_tokens: 16,
    }),
    connections,
    duration: seconds,
  });
}
