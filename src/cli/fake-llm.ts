// `litellm-otel fake-llm`: the fake OpenAI-compatible upstream. Every option of startFakeLlm is a flag
// (or, for per-model overrides, a key of the --config file); flags win over the file, the file over
// the defaults. The listen port defaults to 8090 here (the example proxy config points there).

import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_CLI_PORT,
  FakeLlmConfigError,
  startFakeLlm,
  type DelayMs,
  type FakeLlmOptions,
} from '../fake-llm/index.js';

function num(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number`);
    return n;
  };
}

function delayArg(flag: string) {
  return (v: string): DelayMs => {
    const m = /^\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?$/.exec(v);
    const min = m ? Number(m[1]) : NaN;
    const max = m?.[2] === undefined ? min : Number(m[2]);
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      throw new InvalidArgumentError(`${flag} must be milliseconds, fixed (50) or a range (20-80)`);
    }
    return min === max && m?.[2] === undefined ? min : { min, max };
  };
}

function listArg(flag: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((s) => Number(s.trim()));
    if (parts.length === 0 || parts.some((n) => !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be a comma-separated list of status codes (429,500,503)`);
    }
    return parts;
  };
}

function failModelArg(v: string, previous: Record<string, number> | undefined): Record<string, number> {
  const eq = v.lastIndexOf('=');
  const status = Number(v.slice(eq + 1));
  if (eq <= 0 || !Number.isInteger(status)) {
    throw new InvalidArgumentError('--fail-model must be MODEL=STATUS (bad-model=500)');
  }
  return { ...previous, [v.slice(0, eq)]: status };
}

/** The flags, by the option key they set. */
const FLAGS: Record<string, string> = {
  host: '--host',
  port: '--port',
  latencyMs: '--latency-ms',
  firstChunkDelayMs: '--first-chunk-delay-ms',
  streamChunkDelayMs: '--stream-chunk-delay-ms',
  streamChunks: '--stream-chunks',
  promptTokens: '--prompt-tokens',
  completionTokens: '--completion-tokens',
  defaultCompletionTokens: '--default-completion-tokens',
  cachedTokens: '--cached-tokens',
  reasoningTokens: '--reasoning-tokens',
  failureRate: '--failure-rate',
  failureStatuses: '--failure-statuses',
  retryAfterSeconds: '--retry-after-seconds',
  timeoutRate: '--timeout-rate',
  hangMs: '--hang-ms',
  dropRate: '--drop-rate',
  seed: '--seed',
  failModels: '--fail-model',
  models: '--models',
  apiKey: '--api-key',
  rateLimitRequests: '--rate-limit-requests',
  rateLimitTokens: '--rate-limit-tokens',
  enforceRateLimits: '--enforce-rate-limits',
  embeddingDimensions: '--embedding-dimensions',
  maxBodyBytes: '--max-body-bytes',
};

function readConfigFile(path: string): FakeLlmOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read --config ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    throw new Error(`--config ${path} is not valid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`--config ${path} must hold an object of fake-llm options`);
  }
  return parsed as FakeLlmOptions;
}

/** Commander's attribute name of a flag (`--fail-model` -> `failModel`). */
function attributeOf(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The parsed flags, by commander's attribute names. */
type Flags = Record<string, unknown> & { config?: string };

/** The options a command line gives: file first, then every flag that was set; port defaults to 8090. */
export function fakeLlmOptionsFromFlags(flags: Flags): FakeLlmOptions {
  const fromFile: Record<string, unknown> = flags.config ? { ...readConfigFile(flags.config) } : {};
  for (const [key, flag] of Object.entries(FLAGS)) {
    const v = flags[attributeOf(flag)];
    if (v !== undefined) fromFile[key] = v;
  }
  fromFile['port'] ??= DEFAULT_CLI_PORT;
  return fromFile as FakeLlmOptions;
}

/** Adds `fake-llm` to the `litellm-otel` program. */
export function registerFakeLlmCommand(program: Command): Command {
  return program
    .command('fake-llm')
    .description(
      'run the fake OpenAI-compatible upstream (chat completions, SSE, embeddings) for demos, tests and benchmarks',
    )
    .option(
      '--config <file>',
      'YAML or JSON file of options (any key of startFakeLlm, e.g. modelOverrides); flags win',
    )
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', `listen port, 0 for any free one (default ${DEFAULT_CLI_PORT})`, num('--port'))
    .option(
      '--latency-ms <ms>',
      'wait before every answer: fixed (50) or uniform range (20-80) (default 0)',
      delayArg('--latency-ms'),
    )
    .option(
      '--first-chunk-delay-ms <ms>',
      'wait before the first stream chunk, fixed or range (default: --latency-ms)',
      delayArg('--first-chunk-delay-ms'),
    )
    .option(
      '--stream-chunk-delay-ms <ms>',
      'wait between stream chunks (default 0)',
      num('--stream-chunk-delay-ms'),
    )
    .option('--stream-chunks <n>', 'content chunks per stream (default 8)', num('--stream-chunks'))
    .option(
      '--prompt-tokens <n>',
      'fixed prompt tokens (default: characters of the messages / 4)',
      num('--prompt-tokens'),
    )
    .option(
      '--completion-tokens <n>',
      'fixed completion tokens (default: max_tokens, else --default-completion-tokens)',
      num('--completion-tokens'),
    )
    .option(
      '--default-completion-tokens <n>',
      'completion tokens when the request has no max_tokens (default 16)',
      num('--default-completion-tokens'),
    )
    .option(
      '--cached-tokens <n>',
      'usage.prompt_tokens_details.cached_tokens (default 0)',
      num('--cached-tokens'),
    )
    .option(
      '--reasoning-tokens <n>',
      'usage.completion_tokens_details.reasoning_tokens (default 0)',
      num('--reasoning-tokens'),
    )
    .option(
      '--failure-rate <r>',
      'share of requests failed with a status from --failure-statuses, 0..1 (default 0)',
      num('--failure-rate'),
    )
    .option(
      '--failure-statuses <list>',
      'statuses of injected failures (default 429,500,503)',
      listArg('--failure-statuses'),
    )
    .option('--retry-after-seconds <s>', 'Retry-After of a 429 (default 1)', num('--retry-after-seconds'))
    .option('--timeout-rate <r>', 'share of requests never answered, 0..1 (default 0)', num('--timeout-rate'))
    .option(
      '--hang-ms <ms>',
      'a never-answered request has its socket closed after this (default 30000)',
      num('--hang-ms'),
    )
    .option(
      '--drop-rate <r>',
      'share of answers whose connection is destroyed midway, 0..1 (default 0)',
      num('--drop-rate'),
    )
    .option('--seed <n>', 'makes every random decision repeatable (default: unseeded)', num('--seed'))
    .option(
      '--fail-model <model=status>',
      'a model that always fails with this status (repeatable)',
      failModelArg,
    )
    .option(
      '--models <list>',
      'ids listed by GET /v1/models (default fake-model,fake-embedding)',
      (v: string) => v.split(',').map((s) => s.trim()),
    )
    .option('--api-key <key>', 'require Authorization: Bearer <key> (default: no check)')
    .option(
      '--rate-limit-requests <n>',
      'x-ratelimit-limit-requests per minute (default 10000)',
      num('--rate-limit-requests'),
    )
    .option(
      '--rate-limit-tokens <n>',
      'x-ratelimit-limit-tokens per minute (default 10000000)',
      num('--rate-limit-tokens'),
    )
    .option('--enforce-rate-limits', 'answer 429 once a minute window is used up (default: headers only)')
    .option(
      '--embedding-dimensions <n>',
      'embedding length when the request has no dimensions (default 8)',
      num('--embedding-dimensions'),
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body, else 413 (default 10485760)',
      num('--max-body-bytes'),
    )
    .action(async (flags: Flags) => {
      let llm;
      try {
        llm = await startFakeLlm(fakeLlmOptionsFromFlags(flags));
      } catch (e) {
        let msg = e instanceof Error ? e.message : String(e);
        if (e instanceof FakeLlmConfigError) {
          const flag = FLAGS[e.key.split('.')[0]!];
          if (flag !== undefined && flags[attributeOf(flag)] !== undefined) msg += ` (flag ${flag})`;
        }
        process.stderr.write(`litellm-otel fake-llm: ${msg}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `litellm-otel fake-llm listening on ${llm.url} (stats: ${llm.url.replace(/\/v1$/, '')}/__stats)\n`,
      );
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) process.exit(130);
        stopping = true;
        process.stdout.write(`${signal}: stopping fake-llm\n`);
        void llm.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
