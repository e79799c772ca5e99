// `litellm-otel aggregator`: the embedded aggregator as its own process, in place of the collector
// (same ports, same exposition). Every option of startAggregator is a flag; the bearer token can also
// come from LITELLM_OTEL_AGGREGATOR_TOKEN so it stays out of the process list.

import { InvalidArgumentError, type Command } from 'commander';
import {
  AggregatorConfigError,
  startAggregator,
  type Aggregator,
  type AggregatorOptions,
} from '../aggregate/index.js';

export interface AggregatorCommandOptions extends AggregatorOptions {
  /** Stop on SIGINT/SIGTERM (default true; tests turn it off). */
  readonly handleSignals?: boolean;
  /** Where the startup lines go (default stdout). */
  readonly log?: (line: string) => void;
}

/** Starts the aggregator, prints where it listens, and stops it on SIGINT/SIGTERM. */
export async function runAggregatorCommand(opts: AggregatorCommandOptions = {}): Promise<Aggregator> {
  const { handleSignals = true, log = (l: string) => process.stdout.write(l + '\n'), ...options } = opts;
  const aggregator = await startAggregator(options);
  log(`litellm-otel aggregator: OTLP/HTTP ${aggregator.otlpUrl}`);
  log(
    `litellm-otel aggregator: Prometheus ${aggregator.metricsUrl}${aggregator.options.bearerToken ? ' (bearer token required)' : ''}`,
  );
  if (handleSignals) {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      aggregator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
  return aggregator;
}

function num(flag: string, integer = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be ${integer ? 'an integer' : 'a number'}`);
    }
    return n;
  };
}

interface Flags {
  otlpHost?: string;
  otlpPort?: number;
  metricsHost?: string;
  metricsPort?: number;
  expireAfterSeconds?: number;
  writerExpireAfterSeconds?: number;
  maxBodyBytes?: number;
  bearerToken?: string;
  maxSeries?: number;
  openMetrics?: boolean;
  scopeLabels?: boolean;
  jobLabel: boolean;
  selfMetrics: boolean;
  compress: boolean;
}

/** Adds `aggregator` to the `litellm-otel` program. */
export function registerAggregatorCommand(program: Command): void {
  program
    .command('aggregator')
    .description(
      'run the embedded aggregator: OTLP/HTTP in (:4318), one merged Prometheus /metrics out (:8889)',
    )
    .option('--otlp-host <host>', 'OTLP/HTTP listen address (default 127.0.0.1)')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default 4318)', num('--otlp-port', true))
    .option('--metrics-host <host>', 'Prometheus listen address (default 127.0.0.1)')
    .option('--metrics-port <port>', 'Prometheus port (default 8889)', num('--metrics-port', true))
    .option(
      '--expire-after-seconds <s>',
      'remove series idle this long (default 3600)',
      num('--expire-after-seconds'),
    )
    .option(
      '--writer-expire-after-seconds <s>',
      "forget a silent cumulative writer's state after this long (default 3600)",
      num('--writer-expire-after-seconds'),
    )
    .option(
      '--max-body-bytes <n>',
      'largest OTLP body, before and after decompression (default 20971520)',
      num('--max-body-bytes', true),
    )
    .option(
      '--bearer-token <token>',
      'require Authorization: Bearer <token> on /metrics (or LITELLM_OTEL_AGGREGATOR_TOKEN)',
    )
    .option('--max-series <n>', 'most merged series held (default 1000000)', num('--max-series', true))
    .option(
      '--open-metrics',
      'serve OpenMetrics when the scraper asks (off, like the shipped collector config)',
    )
    .option('--scope-labels', 'add otel_scope_* labels (off, like without_scope_info: true)')
    .option('--no-job-label', 'leave out the job label taken from service.name')
    .option('--no-self-metrics', 'leave out the litellm_otel_aggregator_* metrics')
    .option('--no-compress', 'never gzip the /metrics answer')
    .action(async (flags: Flags) => {
      const options: AggregatorCommandOptions = {
        ...(flags.otlpHost !== undefined && { otlpHost: flags.otlpHost }),
        ...(flags.otlpPort !== undefined && { otlpPort: flags.otlpPort }),
        ...(flags.metricsHost !== undefined && { metricsHost: flags.metricsHost }),
        ...(flags.metricsPort !== undefined && { metricsPort: flags.metricsPort }),
        ...(flags.expireAfterSeconds !== undefined && { expireAfterSeconds: flags.expireAfterSeconds }),
        ...(flags.writerExpireAfterSeconds !== undefined && {
          writerExpireAfterSeconds: flags.writerExpireAfterSeconds,
        }),
        ...(flags.maxBodyBytes !== undefined && { maxBodyBytes: flags.maxBodyBytes }),
        ...(flags.maxSeries !== undefined && { maxSeries: flags.maxSeries }),
        ...(flags.openMetrics !== undefined && { enableOpenMetrics: flags.openMetrics }),
        ...(flags.scopeLabels !== undefined && { scopeLabels: flags.scopeLabels }),
        jobLabel: flags.jobLabel,
        selfMetrics: flags.selfMetrics,
        compressResponse: flags.compress,
      };
      const token = flags.bearerToken ?? process.env.LITELLM_OTEL_AGGREGATOR_TOKEN;
      if (token !== undefined && token !== '') Object.assign(options, { bearerToken: token });
      try {
        await runAggregatorCommand(options);
      } catch (err) {
        const message =
          err instanceof AggregatorConfigError || (err as { code?: string }).code === 'EADDRINUSE'
            ? (err as Error).message
            : String(err);
        process.stderr.write(`litellm-otel aggregator: ${message}\n`);
        process.exitCode = 1;
      }
    });
}
