// Flush on SIGTERM/SIGINT and when the event loop runs dry, without changing how the process ends.
//
// Node kills a process on SIGTERM/SIGINT only while nobody listens; a listener takes that away. So:
// - If ours is the only listener, the signal is ours to finish: run `onSignal`, shut the pipeline down
//   (bounded), remove our listener and send the same signal again. The process then dies of the signal
//   exactly as it would have without us (exit status 128+n, `signal` seen by the parent).
// - If the application listens too, it owns the exit: we only start a flush of what is recorded so far
//   and keep the pipeline running (the application may still be recording while it drains). The final
//   flush happens on 'beforeExit' or when the application awaits `shutdown()` before `process.exit()`.
// - 'beforeExit' (the loop ran dry; exit code already decided by the app) triggers the shutdown once.
// A second identical signal during our shutdown ends the process at once.

import { constants } from 'node:os';
import { diag } from '@opentelemetry/api';

const log = diag.createComponentLogger({ namespace: 'litellm-otel/export' });

export interface SignalHandlingOptions {
  signals?: readonly NodeJS.Signals[];
  /** Bounded shutdown of the pipeline. */
  shutdown: () => Promise<void>;
  /** Flush of what is recorded so far, pipeline kept. */
  forceFlush: () => Promise<void>;
  /** The application's "stop taking work" step, awaited before the shutdown, bounded by `boundMillis`. */
  onSignal?: ((signal: NodeJS.Signals) => void | Promise<void>) | undefined;
  boundMillis: number;
}

function withBound<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/** Installs the handlers; returns the function that removes them (idempotent). */
export function installSignalHandlers(options: SignalHandlingOptions): () => void {
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  let installed = true;
  let handling: NodeJS.Signals | undefined;

  const reraise = (signal: NodeJS.Signals): void => {
    uninstall();
    if (process.listenerCount(signal) > 0) return; // someone else took over meanwhile: theirs to decide
    process.kill(process.pid, signal);
    // The default action is immediate; this only covers a platform where it is not.
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 15)), 2_000);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (handling !== undefined) {
      if (signal === handling) {
        log.warn(`second ${signal} during the metrics flush: exiting now`);
        reraise(signal);
      }
      return;
    }
    if (process.listenerCount(signal) > 1) {
      log.debug(`${signal}: the application handles it; flushing recorded metrics, pipeline kept`);
      options.forceFlush().catch((e: unknown) => log.warn(`flush on ${signal} failed`, e));
      return;
    }
    handling = signal;
    log.debug(`${signal}: flushing metrics, then exiting with the signal`);
    void (async () => {
      try {
        if (options.onSignal) {
          await withBound(
            Promise.resolve().then(() => options.onSignal!(signal)),
            options.boundMillis,
          );
        }
        await options.shutdown();
      } catch (e) {
        log.warn(`metrics shutdown on ${signal} failed`, e);
      } finally {
        reraise(signal);
      }
    })();
  };

  const onBeforeExit = (): void => {
    process.removeListener('beforeExit', onBeforeExit);
    options.shutdown().catch((e: unknown) => log.warn('metrics shutdown on beforeExit failed', e));
  };

  for (const s of signals) process.on(s, onSignal);
  process.on('beforeExit', onBeforeExit);

  function uninstall(): void {
    if (!installed) return;
    installed = false;
    for (const s of signals) process.removeListener(s, onSignal);
    process.removeListener('beforeExit', onBeforeExit);
  }
  return uninstall;
}
