// The fake OpenAI-compatible upstream for demos, tests and benchmarks of the reference proxy.

export { startFakeLlm } from './server.js';
export type { FakeLlm } from './server.js';
export {
  FakeLlmConfigError,
  resolveFakeLlmOptions,
  DEFAULT_CLI_PORT,
  DEFAULT_FAILURE_STATUSES,
  DEFAULT_HANG_MS,
  DEFAULT_HOST,
  DEFAULT_MODELS,
} from './options.js';
export type { DelayMs, FakeLlmBehaviour, FakeLlmOptions } from './options.js';
export type { FakeLlmModelStats, FakeLlmStats } from './stats.js';
export {
  seededUniform,
  SLOT_FAULT,
  SLOT_FIRST_CHUNK,
  SLOT_LATENCY,
  SLOT_STATUS,
  SLOT_TOOL_CALL,
} from './random.js';
