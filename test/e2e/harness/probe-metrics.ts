// The fixed metric set that probe-worker.ts records, as data, so tests can compute the expected
// merged values (the sum over workers) without running a worker.

export const PROBE_SERVICE_NAME = 'litellm';
export const LATENCY_BOUNDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600,
];
export const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

/** The label set of LiteLLM's spend counter on a request without end user, team or alias. */
export const PLAIN_SPEND_LABELS = {
  end_user: 'None',
  hashed_api_key: '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b',
  api_key_alias: 'None',
  model: 'gpt-4o',
  team: 'None',
  team_alias: 'None',
  user: 'None',
  user_email: 'None',
};
export const HOSTILE_SPEND_LABELS = {
  ...PLAIN_SPEND_LABELS,
  end_user: 'quote " backslash \\ newline \n tab \t end',
  model: 'unicode ✓ é 日本語 🚀',
  team: '',
  api_key_alias: 'a,b=c{d}',
};
export const LONG_VALUE_LABELS = { ...PLAIN_SPEND_LABELS, user: 'u'.repeat(300) };
export const GUARDRAIL_LABELS = { guardrail_name: 'pii_mask', error_type: 'timeout', hook_type: 'pre_call' };
export const LATENCY_LABELS = {
  end_user: 'None',
  hashed_api_key: PLAIN_SPEND_LABELS.hashed_api_key,
  api_key_alias: 'None',
  requested_model: 'gpt-4o',
  team: 'None',
  team_alias: 'None',
  user: 'None',
  model: 'gpt-4o',
};
export const TOKEN_LABELS = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.token.type': 'input',
};

/**
 * What one worker records, per series the test checks. Merged value = sum over workers (exact for
 * the integer ones; the spend is a float sum whose last bits depend on the order of addition).
 */
export function expectedFor(worker: number): {
  guardrailErrors: number;
  plainSpend: number;
  latencyCount: number;
  inFlightDelta: number;
} {
  return {
    guardrailErrors: worker + worker * 2,
    plainSpend: 0.1 + 0.2 + 0.1,
    latencyCount: 8,
    inFlightDelta: worker + 1 - 1,
  };
}
