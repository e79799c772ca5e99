// Starts test/export/support/worker.ts in a real child process (node --import tsx) and talks to it over IPC.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Totals, WorkerConfig } from './worker.js';
import type { ExportStats } from '../../../src/export/index.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface WorkerHandle {
  child: ChildProcess;
  instanceId: string;
  pid: number;
  /** Sends a command and resolves with the first reply of `replyType` (bounded by `timeoutMs`). */
  command<T = Record<string, unknown>>(
    cmd: Record<string, unknown>,
    replyType: string,
    timeoutMs?: number,
  ): Promise<T>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export type Reply = { type: string; totals?: Totals; stats?: ExportStats };

export async function spawnWorker(
  config: WorkerConfig,
  env: Record<string, string> = {},
): Promise<WorkerHandle> {
  const child = fork(WORKER, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitReply = <T>(type: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMsg);
        reject(new Error(`worker ${child.pid}: no '${type}' reply within ${timeoutMs} ms; output:\n${err}`));
      }, timeoutMs);
      const onMsg = (m: Reply): void => {
        if (m.type === type) {
          clearTimeout(timer);
          child.off('message', onMsg);
          resolve(m as T);
        }
      };
      child.on('message', onMsg);
    });
  const ready = await waitReply<{ instanceId: string; pid: number }>('ready', 30_000);
  return {
    child,
    instanceId: ready.instanceId,
    pid: ready.pid,
    command<T>(cmd: Record<string, unknown>, replyType: string, timeoutMs = 20_000): Promise<T> {
      const p = waitReply<T>(replyType, timeoutMs);
      child.send(cmd);
      return p;
    },
    exited,
    stderr: () => err,
  };
}

/** Kills a worker if it is still running (SIGKILL), and waits for it. */
export async function killWorker(w: WorkerHandle | undefined): Promise<void> {
  if (!w) return;
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await w.exited;
}
