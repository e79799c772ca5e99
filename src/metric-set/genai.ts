// The OpenTelemetry GenAI semantic-convention metrics, recorded (when switched on) from the same request
// events as LiteLLM's families. Names, units, attributes and buckets follow the conventions
// (gen-ai-metrics.md); they are OTel-native names, so renderers sanitize dots to underscores.

import type { MetricFamily } from './types.js';
import {
  GENAI_DURATION_BUCKETS,
  GENAI_TOKEN_BUCKETS,
  GENAI_TPOT_BUCKETS,
  GENAI_TTFT_BUCKETS,
} from './buckets.js';

const COMMON = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'server.address',
  'server.port',
] as const;

export const GENAI_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'gen_ai.client.token.usage',
    instrumentName: 'gen_ai.client.token.usage',
    type: 'histogram',
    instrument: 'histogram',
    help: 'Number of input and output tokens used.',
    labels: [...COMMON, 'gen_ai.token.type'],
    buckets: GENAI_TOKEN_BUCKETS,
    unit: '{token}',
    crossWorker: 'sum',
    customLabels: false,
    group: 'genai',
    optIn: true,
  },
  {
    name: 'gen_ai.client.operation.duration',
    instrumentName: 'gen_ai.client.operation.duration',
    type: 'histogram',
    instrument: 'histogram',
    help: 'GenAI operation duration.',
    labels: [...COMMON, 'error.type'],
    buckets: GENAI_DURATION_BUCKETS,
    unit: 's',
    crossWorker: 'sum',
    customLabels: false,
    group: 'genai',
    optIn: true,
  },
  {
    name: 'gen_ai.server.request.duration',
    instrumentName: 'gen_ai.server.request.duration',
    type: 'histogram',
    instrument: 'histogram',
    help: 'Generative AI server request duration such as time-to-last byte or last output token.',
    labels: [...COMMON, 'error.type'],
    buckets: GENAI_DURATION_BUCKETS,
    unit: 's',
    crossWorker: 'sum',
    customLabels: false,
    group: 'genai',
    optIn: true,
  },
  {
    name: 'gen_ai.server.time_to_first_token',
    instrumentName: 'gen_ai.server.time_to_first_token',
    type: 'histogram',
    instrument: 'histogram',
    help: 'Time to generate first token for successful responses.',
    labels: [...COMMON],
    buckets: GENAI_TTFT_BUCKETS,
    unit: 's',
    crossWorker: 'sum',
    customLabels: false,
    group: 'genai',
    optIn: true,
  },
  {
    name: 'gen_ai.server.time_per_output_token',
    instrumentName: 'gen_ai.server.time_per_output_token',
    type: 'histogram',
    instrument: 'histogram',
    help: 'Time per output token generated after the first token for successful responses.',
    labels: [...COMMON],
    buckets: GENAI_TPOT_BUCKETS,
    unit: 's',
    crossWorker: 'sum',
    customLabels: false,
    group: 'genai',
    optIn: true,
  },
];
