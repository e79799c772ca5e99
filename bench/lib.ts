// Shared helpers for the benchmarks: child-process runs, medians, machine description.

import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `node --import tsx <script> <args>` in a fresh process and parses the last stdout line as JSON. */
export function runChild<T>(script: string, args: string[], extraNodeArgs: string[] = []): T {
  const r = spawnSync(process.execPath, [...extraNodeArgs, '--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

/** Like runChild, but never throws: every JSON stdout line, the exit status and the stderr tail. */
export function runChildLines(
  script: string,
  args: string[],
  extraNodeArgs: string[] = [],
): {
  lines: unknown[];
  status: number | null;
  signal: string | null;
  stderrTail: string;
  outOfMemory: boolean;
} {
  const r = spawnSync(process.execPath, [...extraNodeArgs, '--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 1_800_000,
  });
  const lines: unknown[] = [];
  for (const l of (r.stdout ?? '').split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      // not a result line
    }
  }
  const stderr = r.stderr ?? '';
  return {
    lines,
    status: r.status,
    signal: r.signal,
    stderrTail: stderr.slice(-400),
    outOfMemory: /heap out of memory/.test(stderr),
  };
}
