// Child processes that speak JSON lines on stdout and take commands on stdin (one line each), as
// the issue-8 benchmarks start them: writers, servers, cluster primaries. Every one started here is
// killed when this process exits, and `stop()` waits until it is gone.

import { spawn, type ChildProcess } from 'node:child_process';

export type JsonLine = Record<string, unknown>;

export interface JsonChild {
  readonly proc: ChildProcess;
  readonly name: string;
  /** The first JSON line (already seen or still to come) for which `pred` holds. */
  waitFor(pred: (l: JsonLine) => boolean, timeoutMs: number): Promise<JsonLine>;
  /** Writes one command line to the child's stdin. */
  send(line: string): void;
  /** The last 4 KiB of stderr. */
  stderr(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function spawnJson(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): JsonChild {
  const proc = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(proc);
  const lines: JsonLine[] = [];
  const waiters: { pred: (l: JsonLine) => boolean; resolve: (l: JsonLine) => void }[] = [];
  let buf = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!l.startsWith('{')) continue;
      let parsed: JsonLine;
      try {
        parsed = JSON.parse(l) as JsonLine;
      } catch {
        continue;
      }
      lines.push(parsed);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (w.pred(parsed)) {
          waiters.splice(i, 1);
          w.resolve(parsed);
        }
      }
    }
  });
  proc.stderr.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-4096);
  });
  proc.stdin.on('error', () => {}); // a child that already exited
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      live.delete(proc);
      resolve();
    }),
  );
  return {
    proc,
    name,
    waitFor(pred, timeoutMs) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (l: JsonLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${name}: no expected line within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        waiters.push(w);
        void exit.then(() => {
          setTimeout(() => {
            if (waiters.includes(w)) {
              clearTimeout(timer);
              waiters.splice(waiters.indexOf(w), 1);
              reject(new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}); stderr: ${err}`));
            }
          }, 50);
        });
      });
    },
    send(line) {
      if (!exited) proc.stdin.write(`${line}\n`);
    },
    stderr: () => err,
    async stop(graceMs = 5000) {
      if (exited) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(t);
    },
  };
}

/** `node --import tsx <script> ...args` as a JSON child. */
export function spawnTs(name: string, script: string, args: string[], nodeArgs: string[] = []): JsonChild {
  return spawnJson(name, process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args]);
}

/** Resolves on the first line from stdin (a command from the parent); never rejects. */
export function nextStdinLine(): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve(buf.slice(0, nl).trim());
      }
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', () => resolve(''));
  });
}
