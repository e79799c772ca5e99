// The recorder: one request event in, LiteLLM's families out, through the OTel API. Its methods follow
// LiteLLM's hooks (success, LLM-call failure, failure answered to the client, fallbacks, cooldowns,
// guardrails, in-flight), and record what LiteLLM's PrometheusLogger records at those points.
//
// The hot path never throws: each public method catches, reports through `diag` and drops.
//
// Batching. The OTel SDK hashes the attributes of every measurement (sort + JSON.stringify), which for
// LiteLLM's 10-14 labels costs microseconds per write and ~30 writes per request. So counters and
// gauges are pre-aggregated here, per request label set: each call finds its batch entry once (a recent
// entry with the same values, or one looked up by a key made of the label values), one small record per
// distinct label set and interval holding a sum or last value per family. Just before
// each collection (an observable callback, which the SDK runs before it reads the synchronous
// instruments) the batch is written into the SDK's instruments, once per label set and family, and
// cleared; so everything recorded before a collection is in that collection, as with direct writes.
// Histograms are written directly (their observations can not be merged into one call). The batch is
// bounded (`maxBatchedLabelSets`): a full batch is written out early.
//
// Deferred successes. Recording one request is a few hundred instructions, but in a busy proxy they
// run between Node's, Fastify's and undici's work for other requests, with the recorder's code and
// data out of the CPU's caches: in place it costs many times what it costs in a loop. So the request
// helper hands each finished event over with `deferSuccess`, and the recorder records the waiting
// events together once `successBatchSize` of them wait (a 32-request loop runs with warm caches: a
// CPU profile of the benchmark proxy put the success path at about a quarter of its in-place cost).
// Nothing is lost or reordered: any other record call, and every collection, first records the
// waiting successes, in order; so a collection holds everything handed over before it.

import { diag, type Attributes, type Meter } from '@opentelemetry/api';
import type {
  BudgetState,
  CooldownEvent,
  DeploymentState,
  FallbackEvent,
  GuardrailEvent,
  RequestEvent,
  RequestIdentity,
} from './event.js';
import {
  NONE,
  cleanLabelValue,
  exceptionClassValue,
  hashedApiKeyValue,
  labelValue,
  statusValue,
} from './label-values.js';
import { createSlot, type FamilySlot } from './instruments.js';
import type { HistogramProducer, HistogramSeries } from './histograms.js';
import type { CustomLabel, Selection } from '../views/selection.js';

/** Texts by which LiteLLM recognizes an invalid-API-key failure (not counted as a proxy failure). */
const INVALID_KEY_TEXTS = [
  'Invalid proxy server token passed',
  'Authentication Error',
  'invalid api key',
  'Invalid API key',
];

export interface RecorderOptions {
  /** Clock for budget reset hours, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Distinct label sets batched before the batch is written out early. */
  maxBatchedLabelSets?: number;
  /** Maps an end-user id to the value recorded (the admission limiter); identity by default. */
  admitEndUser?: (endUser: string) => string;
  /**
   * Aggregate the histograms here and report them through this producer, which must be one of the
   * reader's `metricProducers` (`startWorkerMetrics` and `startLocalPrometheus` wire it). Without it,
   * histograms are written to the SDK's instruments (one attribute hash per observation).
   */
  histograms?: HistogramProducer;
  /**
   * Successes handed over with `deferSuccess` wait until this many are waiting, then are recorded
   * together (see "Deferred successes" above). Default 32; 1 records each at once.
   */
  successBatchSize?: number;
}

/** Default of `successBatchSize`. */
export const DEFAULT_SUCCESS_BATCH_SIZE = 32;

/** Default bound of the batch: distinct request label sets per collection interval. */
export const DEFAULT_MAX_BATCHED_LABEL_SETS = 20_000;

/** Name of the internal observable instrument whose callback flushes the batch (never has data). */
export const FLUSH_INSTRUMENT_NAME = 'litellm_otel_recorder_flush';

/**
 * One label table's batch entry, until the next collection: the counters' sums and the gauges' last
 * values per family, and each family's attribute object, built once per entry on first use (histograms
 * are written directly with it; counters and gauges at the flush).
 */
interface Batched {
  /** The table's values (index = label id), as they were when the entry was made. */
  readonly values: readonly (string | undefined)[];
  /** Per family (slot index). */
  readonly value: Float64Array;
  /** 0: nothing recorded; for gauges, the sequence number of the last set (later wins). */
  readonly seq: Float64Array;
  readonly attrs: (Attributes | undefined)[];
  /** Per histogram family aggregated by the HistogramProducer: its series, valid in generation `gen`. */
  readonly series: (HistogramSeries | undefined)[];
  gen: number;
}

/** Counts of what the recorder dropped, by reason; for tests and self-observability. */
export interface RecorderStats {
  droppedValues: number;
  errors: number;
  skippedInvalidKey: number;
}

/**
 * Ids of the labels the recorder fills (every label of LiteLLM's families). The label table is an array
 * indexed by these ids, then by the custom labels' ids (from `STANDARD_LABEL_COUNT`): array slots are
 * cheap to write, clear and walk, where an object with 30 dynamic keys is not.
 */
const L = {
  end_user: 0,
  hashed_api_key: 1,
  api_key_alias: 2,
  team: 3,
  team_alias: 4,
  user: 5,
  user_email: 6,
  org_id: 7,
  org_alias: 8,
  requested_model: 9,
  model_group: 10,
  model: 11,
  litellm_model_name: 12,
  model_id: 13,
  api_base: 14,
  api_provider: 15,
  route: 16,
  client_ip: 17,
  user_agent: 18,
  exception_status: 19,
  exception_class: 20,
  status_code: 21,
  fallback_model: 22,
  guardrail_name: 23,
  status: 24,
  error_type: 25,
  hook_type: 26,
  callback_name: 27,
} as const;
const STANDARD_LABEL_COUNT = 28;

/** The label values of the current call, by label id (undefined: not set). */
type LabelTable = (string | undefined)[];

const SUM = 0;
const GAUGE = 1;
const HISTOGRAM = 2;

/**
 * Every family the recorder writes by name. The hot path refers to a family by its position here
 * (`F.<name>`), an array index instead of a Map lookup by name per write.
 */
export const RECORDED_FAMILIES = [
  'litellm_proxy_total_requests_metric',
  'litellm_proxy_failed_requests_metric',
  'litellm_requests_metric',
  'litellm_spend_metric',
  'litellm_total_tokens_metric',
  'litellm_input_tokens_metric',
  'litellm_output_tokens_metric',
  'litellm_input_cached_tokens_metric',
  'litellm_input_cache_creation_tokens_metric',
  'litellm_input_audio_tokens_metric',
  'litellm_output_reasoning_tokens_metric',
  'litellm_output_audio_tokens_metric',
  'litellm_cache_hits_metric',
  'litellm_cache_misses_metric',
  'litellm_cached_tokens_metric',
  'litellm_request_total_latency_metric',
  'litellm_llm_api_latency_metric',
  'litellm_llm_api_time_to_first_token_metric',
  'litellm_request_queue_time_seconds',
  'litellm_overhead_latency_metric',
  'litellm_llm_api_failed_requests_metric',
  'litellm_deployment_success_responses',
  'litellm_deployment_failure_responses',
  'litellm_deployment_total_requests',
  'litellm_deployment_state',
  'litellm_deployment_latency_per_output_token',
  'litellm_deployment_cooled_down',
  'litellm_deployment_successful_fallbacks',
  'litellm_deployment_failed_fallbacks',
  'litellm_remaining_requests_metric',
  'litellm_remaining_tokens_metric',
  'litellm_deployment_rpm_limit',
  'litellm_deployment_tpm_limit',
  'litellm_remaining_api_key_requests_for_model',
  'litellm_remaining_api_key_tokens_for_model',
  'litellm_guardrail_latency_seconds',
  'litellm_guardrail_requests_total',
  'litellm_guardrail_errors_total',
  'litellm_callback_logging_failures_metric',
  'litellm_provider_remaining_budget_metric',
  'litellm_in_flight_requests',
  'litellm_remaining_team_budget_metric',
  'litellm_team_max_budget_metric',
  'litellm_team_budget_remaining_hours_metric',
  'litellm_remaining_org_budget_metric',
  'litellm_org_max_budget_metric',
  'litellm_org_budget_remaining_hours_metric',
  'litellm_remaining_api_key_budget_metric',
  'litellm_api_key_max_budget_metric',
  'litellm_api_key_budget_remaining_hours_metric',
  'litellm_remaining_user_budget_metric',
  'litellm_user_max_budget_metric',
  'litellm_user_budget_remaining_hours_metric',
  'litellm_remaining_customer_budget_metric',
  'litellm_customer_max_budget_metric',
  'litellm_customer_budget_remaining_hours_metric',
] as const;
type RecordedFamily = (typeof RECORDED_FAMILIES)[number];
/** Family name -> its position in RECORDED_FAMILIES. */
const F = Object.fromEntries(RECORDED_FAMILIES.map((name, i) => [name, i])) as {
  readonly [K in RecordedFamily]: number;
};

/** Per budget holder: its three families and the event fields named when a value is dropped. */
const budgetFamilies = (holder: string, remaining: number, max: number, hours: number) => ({
  remaining,
  max,
  hours,
  maxField: `budgets.${holder}.maxBudget`,
  spendField: `budgets.${holder}.spend`,
  resetField: `budgets.${holder}.resetAt`,
});
const BUDGET_FAMILIES = {
  team: budgetFamilies(
    'team',
    F.litellm_remaining_team_budget_metric,
    F.litellm_team_max_budget_metric,
    F.litellm_team_budget_remaining_hours_metric,
  ),
  org: budgetFamilies(
    'org',
    F.litellm_remaining_org_budget_metric,
    F.litellm_org_max_budget_metric,
    F.litellm_org_budget_remaining_hours_metric,
  ),
  apiKey: budgetFamilies(
    'apiKey',
    F.litellm_remaining_api_key_budget_metric,
    F.litellm_api_key_max_budget_metric,
    F.litellm_api_key_budget_remaining_hours_metric,
  ),
  user: budgetFamilies(
    'user',
    F.litellm_remaining_user_budget_metric,
    F.litellm_user_max_budget_metric,
    F.litellm_user_budget_remaining_hours_metric,
  ),
  customer: budgetFamilies(
    'customer',
    F.litellm_remaining_customer_budget_metric,
    F.litellm_customer_max_budget_metric,
    F.litellm_customer_budget_remaining_hours_metric,
  ),
} as const;

type BudgetHolder = keyof typeof BUDGET_FAMILIES;

export class Recorder {
  readonly stats: RecorderStats = { droppedValues: 0, errors: 0, skippedInvalidKey: 0 };
  private readonly slots = new Map<string, FamilySlot>();
  /** Per RECORDED_FAMILIES id: the family's slot index (into `slotList` and the Batched arrays), or -1. */
  private readonly ix = new Int32Array(RECORDED_FAMILIES.length).fill(-1);
  private readonly slotList: FamilySlot[] = [];
  /** Per slot: SUM, GAUGE or HISTOGRAM. */
  private readonly kinds: number[] = [];
  /** Per slot: the label id of each of the family's recorded labels (-1: a label the recorder never fills). */
  private readonly labelIds: Int32Array[] = [];
  /** Label ids some selected family records, ascending: the batch key is made of their values. */
  private readonly keyIds: Int32Array;
  private readonly batch = new Map<string, Batched>();
  private readonly histograms: HistogramProducer | undefined;
  /** Per slot: the producer's family index, or -1 (written to the SDK instrument). */
  private readonly histFamily: number[] = [];
  private readonly maxBatched: number;
  private readonly admitEndUser: ((endUser: string) => string) | undefined;
  private seq = 0;
  /** Requests in flight now, and as last written into the SDK (the family is an up-down counter). */
  private inFlight = 0;
  private inFlightWritten = 0;
  private inFlightSeen = false;
  /**
   * The current call's batch entry, looked up once per call on first use. Invariant: whoever changes the
   * table after a write sets it to undefined.
   */
  private entry: Batched | undefined;
  /** The entries used last (most requests repeat a recent label set): checked before the key is built. */
  private readonly recent: (Batched | undefined)[] = [undefined, undefined, undefined, undefined];
  private recentNext = 0;
  private readonly customLabels: readonly CustomLabel[];
  private readonly endUserTracking: boolean;
  private readonly genai: boolean;
  private readonly now: () => number;
  private readonly warned = new Set<string>();
  /** Scratch table of label values, refilled per call (calls are synchronous, never interleaved). */
  private readonly t: LabelTable;
  /**
   * Per label id: the last input given to `lv` and its label value. Most requests repeat the previous
   * request's values: the cleaning is skipped, and the table gets the very strings the recent batch
   * entries hold, so their comparison in `lookup` is a pointer check.
   */
  private readonly lastRaw: unknown[];
  private readonly lastValue: string[];
  private readonly apiBaseCache = new Map<string, { address?: string; port?: number }>();
  /** Successes handed over by `deferSuccess`, not recorded yet (the first `pendingCount`). */
  private readonly pending: (RequestEvent | undefined)[];
  private pendingCount = 0;
  private readonly successBatchSize: number;

  constructor(meter: Meter, selection: Selection, opts: RecorderOptions = {}) {
    const ids = new Map<string, number>(Object.entries(L));
    selection.customLabels.forEach((c, i) => ids.set(c.name, STANDARD_LABEL_COUNT + i));
    const used = new Set<number>();
    if (opts.histograms !== undefined && !opts.histograms.attached) {
      throw new Error(
        'Recorder: option "histograms" is not attached to a reader: pass it to startWorkerMetrics / startLocalPrometheus (option histograms) first, or attach it to your reader',
      );
    }
    this.histograms = opts.histograms;
    for (const s of selection.families) {
      const hf = this.histograms?.familyIndex(s.family.name) ?? -1;
      this.histFamily.push(hf);
      // a family the producer aggregates gets no SDK instrument
      const slot: FamilySlot =
        hf >= 0 ? { selected: s, labels: s.recordedLabels, write: () => {} } : createSlot(meter, s);
      this.slots.set(s.family.name, slot);
      if (Object.hasOwn(F, s.family.name)) this.ix[F[s.family.name as RecordedFamily]] = this.slotList.length;
      this.slotList.push(slot);
      const i = s.family.instrument;
      this.kinds.push(i === 'histogram' ? HISTOGRAM : i === 'gauge' ? GAUGE : SUM);
      const lids = Int32Array.from(slot.labels, (l) => ids.get(l) ?? -1);
      for (const id of lids) if (id >= 0) used.add(id);
      this.labelIds.push(lids);
    }
    this.keyIds = Int32Array.from([...used].sort((a, b) => a - b));
    this.t = new Array<string | undefined>(STANDARD_LABEL_COUNT + selection.customLabels.length).fill(
      undefined,
    );
    this.lastRaw = new Array<unknown>(this.t.length).fill(undefined);
    this.lastValue = new Array<string>(this.t.length).fill(NONE);
    this.maxBatched = opts.maxBatchedLabelSets ?? DEFAULT_MAX_BATCHED_LABEL_SETS;
    const sbs = opts.successBatchSize ?? DEFAULT_SUCCESS_BATCH_SIZE;
    if (!Number.isInteger(sbs) || sbs < 1 || sbs > 4096) {
      throw new RangeError(
        `Recorder: option "successBatchSize" must be an integer from 1 to 4096, got ${String(sbs)}`,
      );
    }
    this.successBatchSize = sbs;
    this.pending = new Array<RequestEvent | undefined>(sbs).fill(undefined);
    this.admitEndUser = opts.admitEndUser;
    meter.createObservableGauge(FLUSH_INSTRUMENT_NAME).addCallback(() => this.flush());
    this.customLabels = selection.customLabels;
    this.endUserTracking = selection.endUserTracking;
    this.genai = selection.genai;
    this.now = opts.now ?? Date.now;
  }

  /** Whether a family is exported under the current settings. */
  has(family: string): boolean {
    return this.slots.has(family);
  }

  // ---------------------------------------------------------------- hooks

  /**
   * `recordSuccess`, possibly later: the event waits until `successBatchSize` successes wait, or until
   * the next collection or record call, whichever comes first (see "Deferred successes"). The caller
   * hands the event over: it must not change it afterwards. Never throws.
   */
  deferSuccess(e: RequestEvent): void {
    this.pending[this.pendingCount++] = e;
    if (this.pendingCount >= this.successBatchSize) this.drain();
  }

  /** Successes handed over by `deferSuccess` and not recorded yet. */
  get deferredSuccesses(): number {
    return this.pendingCount;
  }

  /** Records the waiting successes, oldest first. */
  private drain(): void {
    const n = this.pendingCount;
    // zero first: the records below clear the table, which drains (nothing then), and a full batch
    // flushes, which drains too
    this.pendingCount = 0;
    const p = this.pending;
    for (let i = 0; i < n; i++) {
      const e = p[i]!;
      p[i] = undefined;
      this.recordSuccess(e);
    }
  }

  /** A successful LLM call answered to the client (streaming or not): LiteLLM's async_log_success_event. */
  recordSuccess(e: RequestEvent): void {
    try {
      const t = this.fill(e);
      t[L.status_code] = '200';
      const asked = e.proxyRequestedModel;
      if (asked !== undefined && asked !== null && asked !== e.requestedModel && e.stream !== true) {
        // a fallback answered: LiteLLM's post-call hook labels this family with the client's model
        t[L.requested_model] = this.lv(L.requested_model, asked);
        this.entry = undefined;
        this.write(F.litellm_proxy_total_requests_metric, 1);
        t[L.requested_model] = t[L.model_group]!;
        this.entry = undefined;
      } else this.write(F.litellm_proxy_total_requests_metric, 1);
      this.write(F.litellm_requests_metric, 1);
      const cost = this.num(e.responseCost, 'responseCost');
      if (cost !== undefined) this.write(F.litellm_spend_metric, cost);

      const u = e.usage;
      const prompt = this.num(u?.promptTokens, 'usage.promptTokens');
      const completion = this.num(u?.completionTokens, 'usage.completionTokens');
      let total = this.num(u?.totalTokens, 'usage.totalTokens');
      if (total === undefined && (prompt !== undefined || completion !== undefined))
        total = (prompt ?? 0) + (completion ?? 0);
      if (total !== undefined) this.write(F.litellm_total_tokens_metric, total);
      if (prompt !== undefined) this.write(F.litellm_input_tokens_metric, prompt);
      if (completion !== undefined) this.write(F.litellm_output_tokens_metric, completion);
      // Token details are sparse in LiteLLM: recorded only when the provider reports a non-zero value.
      this.incPositive(F.litellm_input_cached_tokens_metric, u?.cachedInputTokens, 'usage.cachedInputTokens');
      this.incPositive(
        F.litellm_input_cache_creation_tokens_metric,
        u?.cacheCreationInputTokens,
        'usage.cacheCreationInputTokens',
      );
      this.incPositive(F.litellm_input_audio_tokens_metric, u?.inputAudioTokens, 'usage.inputAudioTokens');
      this.incPositive(F.litellm_output_reasoning_tokens_metric, u?.reasoningTokens, 'usage.reasoningTokens');
      this.incPositive(F.litellm_output_audio_tokens_metric, u?.outputAudioTokens, 'usage.outputAudioTokens');

      if (e.cacheHit === true) {
        this.write(F.litellm_cache_hits_metric, 1);
        if (total !== undefined && total > 0) this.write(F.litellm_cached_tokens_metric, total);
      } else if (e.cacheHit === false) {
        this.write(F.litellm_cache_misses_metric, 1);
      }

      const tm = e.timings;
      const start = this.time(tm?.startTime, 'timings.startTime');
      const apiStart = this.time(tm?.apiCallStartTime, 'timings.apiCallStartTime');
      const first = this.time(tm?.completionStartTime, 'timings.completionStartTime');
      const end = this.time(tm?.endTime, 'timings.endTime');
      const totalLatency = this.seconds(start, end);
      const apiLatency = this.seconds(apiStart, end);
      if (totalLatency !== undefined) this.write(F.litellm_request_total_latency_metric, totalLatency);
      if (apiLatency !== undefined) this.write(F.litellm_llm_api_latency_metric, apiLatency);
      const ttft = e.stream === true ? this.seconds(apiStart, first) : undefined;
      if (ttft !== undefined) this.write(F.litellm_llm_api_time_to_first_token_metric, ttft);
      const queue = this.num(tm?.queueTimeSeconds, 'timings.queueTimeSeconds');
      if (queue !== undefined) this.write(F.litellm_request_queue_time_seconds, queue);
      const overheadMs = this.num(tm?.overheadMs, 'timings.overheadMs');
      if (overheadMs !== undefined && overheadMs > 0)
        this.write(F.litellm_overhead_latency_metric, overheadMs / 1000);

      this.write(F.litellm_deployment_success_responses, 1);
      this.write(F.litellm_deployment_total_requests, 1);
      this.write(F.litellm_deployment_state, 0);
      if (completion !== undefined && completion > 0) {
        const perTokenLatency = e.stream === true ? this.seconds(start, first) : totalLatency;
        if (perTokenLatency !== undefined)
          this.write(F.litellm_deployment_latency_per_output_token, perTokenLatency / completion);
      }

      const rl = e.rateLimits;
      if (rl) {
        this.setIf(F.litellm_remaining_requests_metric, rl.remainingRequests, 'rateLimits.remainingRequests');
        this.setIf(F.litellm_remaining_tokens_metric, rl.remainingTokens, 'rateLimits.remainingTokens');
        this.setIf(F.litellm_deployment_rpm_limit, rl.deploymentRpmLimit, 'rateLimits.deploymentRpmLimit');
        this.setIf(F.litellm_deployment_tpm_limit, rl.deploymentTpmLimit, 'rateLimits.deploymentTpmLimit');
        // The key's per-model limits label `model` with the model group (LiteLLM's
        // get_model_group_from_litellm_kwargs), not the provider model: written last, `model` swapped
        // (only when there is one to write: a swap costs two batch-entry lookups).
        const keyRequests = rl.keyRemainingRequests;
        const keyTokens = rl.keyRemainingTokens;
        if (
          (keyRequests !== undefined && keyRequests !== null) ||
          (keyTokens !== undefined && keyTokens !== null)
        ) {
          const swap = t[L.model] !== t[L.requested_model];
          if (swap) {
            t[L.model] = t[L.requested_model]!;
            this.entry = undefined;
          }
          this.setIf(
            F.litellm_remaining_api_key_requests_for_model,
            keyRequests,
            'rateLimits.keyRemainingRequests',
          );
          this.setIf(
            F.litellm_remaining_api_key_tokens_for_model,
            keyTokens,
            'rateLimits.keyRemainingTokens',
          );
          if (swap) {
            t[L.model] = t[L.litellm_model_name]!;
            this.entry = undefined;
          }
        }
      }
      if (e.budgets) this.writeBudgets(e.budgets);
      if (this.genai) this.recordGenAi(e, prompt, completion, start, apiStart, first, end, undefined);
    } catch (err) {
      this.fail('recordSuccess', err);
    }
  }

  /** The call to the LLM API failed (the router may still fall back): LiteLLM's async_log_failure_event. */
  recordLlmFailure(e: RequestEvent): void {
    try {
      const t = this.fill(e);
      this.write(F.litellm_llm_api_failed_requests_metric, 1);
      if (!e.modelId) {
        // No deployment was selected: LiteLLM writes empty strings for the deployment labels.
        t[L.litellm_model_name] = '';
        t[L.model_id] = '';
        t[L.api_base] = '';
        t[L.api_provider] = '';
        this.entry = undefined; // the table changed after a write: a new batch entry
      }
      this.write(F.litellm_deployment_failure_responses, 1);
      this.write(F.litellm_deployment_total_requests, 1);
      if (e.modelId) this.write(F.litellm_deployment_state, 1);
      if (this.genai) {
        const tm = e.timings;
        this.recordGenAi(
          e,
          undefined,
          undefined,
          this.time(tm?.startTime, 'timings.startTime'),
          this.time(tm?.apiCallStartTime, 'timings.apiCallStartTime'),
          undefined,
          this.time(tm?.endTime, 'timings.endTime'),
          e.error?.className ?? '_OTHER',
        );
      }
    } catch (err) {
      this.fail('recordLlmFailure', err);
    }
  }

  /**
   * The proxy answered the client with an error: LiteLLM's async_post_call_failure_hook. Requests that
   * failed for an invalid API key are skipped, as LiteLLM skips them.
   */
  recordProxyFailure(e: RequestEvent): void {
    try {
      if (isInvalidKeyFailure(e)) {
        this.stats.skippedInvalidKey++;
        return;
      }
      const t = this.fill(e);
      t[L.status_code] = t[L.exception_status]!;
      this.write(F.litellm_proxy_failed_requests_metric, 1);
      this.write(F.litellm_proxy_total_requests_metric, 1);
    } catch (err) {
      this.fail('recordProxyFailure', err);
    }
  }

  /** A router fallback succeeded or failed: LiteLLM's log_success/failure_fallback_event. */
  recordFallback(e: FallbackEvent, success: boolean): void {
    try {
      const t = this.fillIdentity(e);
      t[L.requested_model] = labelValue(e.requestedModel);
      t[L.fallback_model] = labelValue(e.fallbackModel);
      t[L.exception_status] = statusValue(e.error?.status);
      t[L.exception_class] = exceptionClassValue(e.error?.provider, e.error?.className);
      t[L.model_id] = NONE; // declared by LiteLLM, never set by its fallback emitters
      this.write(
        success ? F.litellm_deployment_successful_fallbacks : F.litellm_deployment_failed_fallbacks,
        1,
      );
    } catch (err) {
      this.fail('recordFallback', err);
    }
  }

  /** The router put a deployment in cooldown: LiteLLM's increment_deployment_cooled_down. */
  recordCooldown(e: CooldownEvent): void {
    try {
      const t = this.clear();
      t[L.litellm_model_name] = labelValue(e.model);
      t[L.model_id] = labelValue(e.modelId);
      t[L.api_base] = labelValue(e.apiBase);
      t[L.api_provider] = labelValue(e.apiProvider);
      t[L.exception_status] = statusValue(e.exceptionStatus);
      this.write(F.litellm_deployment_cooled_down, 1);
    } catch (err) {
      this.fail('recordCooldown', err);
    }
  }

  /** Sets a deployment's health: 0 healthy, 1 partial outage, 2 complete outage. */
  setDeploymentState(e: CooldownEvent, state: DeploymentState): void {
    try {
      const t = this.clear();
      t[L.litellm_model_name] = labelValue(e.model);
      t[L.model_id] = labelValue(e.modelId);
      t[L.api_base] = labelValue(e.apiBase);
      t[L.api_provider] = labelValue(e.apiProvider);
      this.write(F.litellm_deployment_state, state);
    } catch (err) {
      this.fail('setDeploymentState', err);
    }
  }

  /**
   * An HTTP request entered the proxy (LiteLLM's in-flight middleware). Pair with `requestFinished`.
   * A plain count: its net change is written into the SDK at each flush.
   */
  requestStarted(): void {
    this.inFlight++;
    this.inFlightSeen = true;
  }

  requestFinished(): void {
    this.inFlight--;
  }

  /** One guardrail invocation: LiteLLM's _record_guardrail_metrics. */
  recordGuardrail(e: GuardrailEvent): void {
    try {
      const t = this.clear();
      t[L.guardrail_name] = labelValue(e.guardrailName);
      t[L.status] = labelValue(e.status);
      t[L.error_type] = e.errorType ? cleanLabelValue(e.errorType) : 'none';
      t[L.hook_type] = labelValue(e.hookType);
      const latency = this.num(e.latencySeconds, 'latencySeconds');
      if (latency !== undefined) this.write(F.litellm_guardrail_latency_seconds, latency);
      this.write(F.litellm_guardrail_requests_total, 1);
      if (e.status === 'error' && e.errorType) this.write(F.litellm_guardrail_errors_total, 1);
    } catch (err) {
      this.fail('recordGuardrail', err);
    }
  }

  /** A logging callback failed to emit: LiteLLM's increment_callback_logging_failure. */
  recordCallbackFailure(callbackName: string): void {
    try {
      this.clear()[L.callback_name] = labelValue(callbackName);
      this.write(F.litellm_callback_logging_failures_metric, 1);
    } catch (err) {
      this.fail('recordCallbackFailure', err);
    }
  }

  /** Provider budget routing: remaining budget of a provider. */
  setProviderRemainingBudget(provider: string, remaining: number): void {
    try {
      this.clear()[L.api_provider] = labelValue(provider);
      this.setIf(F.litellm_provider_remaining_budget_metric, remaining, 'remaining');
    } catch (err) {
      this.fail('setProviderRemainingBudget', err);
    }
  }

  /** Budget gauges outside a request (LiteLLM's periodic budget refresh). */
  recordBudgets(identity: RequestIdentity, budgets: RequestEvent['budgets']): void {
    try {
      this.fillIdentity(identity);
      if (budgets) this.writeBudgets(budgets);
    } catch (err) {
      this.fail('recordBudgets', err);
    }
  }

  // ---------------------------------------------------------------- label table

  private clear(): LabelTable {
    // every record call starts here: successes handed over earlier are recorded first
    if (this.pendingCount !== 0) this.drain();
    this.entry = undefined;
    return this.t.fill(undefined);
  }

  /** `labelValue(raw)` for label `id`, reused when the input is the one given last time. */
  private lv(id: number, raw: unknown): string {
    if (raw === this.lastRaw[id]) return this.lastValue[id]!;
    const v = labelValue(raw);
    this.lastRaw[id] = raw;
    this.lastValue[id] = v;
    return v;
  }

  private fillIdentity(e: RequestIdentity): LabelTable {
    const t = this.clear();
    t[L.end_user] = this.endUserTracking ? this.endUser(e.endUser) : NONE;
    t[L.hashed_api_key] = hashedApiKeyValue(e.hashedApiKey, e.apiKey);
    t[L.api_key_alias] = this.lv(L.api_key_alias, e.apiKeyAlias);
    t[L.team] = this.lv(L.team, e.team);
    t[L.team_alias] = this.lv(L.team_alias, e.teamAlias);
    t[L.user] = this.lv(L.user, e.user);
    t[L.user_email] = this.lv(L.user_email, e.userEmail);
    t[L.org_id] = this.lv(L.org_id, e.orgId);
    t[L.org_alias] = this.lv(L.org_alias, e.orgAlias);
    return t;
  }

  private fill(e: RequestEvent): LabelTable {
    const t = this.fillIdentity(e);
    const requested = this.lv(L.requested_model, e.requestedModel);
    const model = this.lv(L.model, e.model);
    t[L.requested_model] = requested;
    t[L.model_group] = requested;
    t[L.model] = model;
    t[L.litellm_model_name] = model;
    t[L.model_id] = this.lv(L.model_id, e.modelId);
    t[L.api_base] = this.lv(L.api_base, e.apiBase);
    t[L.api_provider] = this.lv(L.api_provider, e.apiProvider);
    t[L.route] = this.lv(L.route, e.route);
    t[L.client_ip] = this.lv(L.client_ip, e.clientIp);
    t[L.user_agent] = this.lv(L.user_agent, e.userAgent);
    t[L.exception_status] = statusValue(e.error?.status);
    t[L.exception_class] = exceptionClassValue(e.error?.provider, e.error?.className);
    const custom = this.customLabels;
    for (let i = 0; i < custom.length; i++) {
      const c = custom[i]!;
      if (c.source.kind === 'tag') {
        t[STANDARD_LABEL_COUNT + i] = e.tags?.includes(c.source.tag) ? 'true' : 'false';
      } else {
        let v: unknown = e.metadata;
        for (const p of c.source.path)
          v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
        t[STANDARD_LABEL_COUNT + i] = this.lv(STANDARD_LABEL_COUNT + i, v);
      }
    }
    return t;
  }

  /** The batch entry of the current table: built from the table's values once per call (and change). */
  private lookup(): Batched {
    const t = this.t;
    const ids = this.keyIds;
    for (let r = 0; r < this.recent.length; r++) {
      const b = this.recent[r];
      if (b === undefined) continue;
      const v = b.values;
      let j = 0;
      while (j < ids.length && v[ids[j]!] === t[ids[j]!]) j++;
      if (j === ids.length) return (this.entry = b);
    }
    // Unambiguous whatever the values hold: each value is its length, ':' and itself, or '-' when unset.
    let key = '';
    for (let j = 0; j < ids.length; j++) {
      const v = t[ids[j]!];
      key += v === undefined ? '-' : `${v.length}:${v}`;
    }
    let b = this.batch.get(key);
    if (b === undefined) {
      // bounded: a full batch is written out early (keeping the order of gauge sets)
      if (this.batch.size >= this.maxBatched) this.flush();
      const n = this.slotList.length;
      b = {
        values: t.slice(),
        value: new Float64Array(n),
        seq: new Float64Array(n),
        attrs: new Array<Attributes | undefined>(n),
        series: new Array<HistogramSeries | undefined>(n),
        gen: 0,
      };
      this.batch.set(key, b);
    }
    this.recent[this.recentNext] = b;
    this.recentNext = (this.recentNext + 1) % this.recent.length;
    this.entry = b;
    return b;
  }

  /** The attribute object of family slot `i` for an entry's label values, made once per entry. */
  private attrs(b: Batched, i: number): Attributes {
    let a = b.attrs[i];
    if (a === undefined) {
      a = {};
      const labels = this.slotList[i]!.labels;
      const lids = this.labelIds[i]!;
      for (let j = 0; j < labels.length; j++) {
        const id = lids[j]!;
        a[labels[j]!] = (id >= 0 ? b.values[id] : undefined) ?? NONE;
      }
      b.attrs[i] = a;
    }
    return a;
  }

  // ---------------------------------------------------------------- writes

  private endUser(raw: string | null | undefined): string {
    const v = labelValue(raw);
    return v === NONE || this.admitEndUser === undefined ? v : this.admitEndUser(v);
  }

  /** Adds to, records or sets family `f` (an `F.` id) for the current table. */
  private write(f: number, value: number): void {
    const i = this.ix[f]!;
    if (i < 0) return; // not exported under these settings
    const b = this.entry ?? this.lookup();
    const kind = this.kinds[i];
    if (kind === HISTOGRAM) {
      const h = this.histograms;
      const f = this.histFamily[i]!;
      if (h !== undefined && f >= 0) {
        if (b.gen !== h.gen) {
          b.series.fill(undefined);
          b.gen = h.gen;
        }
        h.record(f, (b.series[i] ??= h.seriesFor(f, this.attrs(b, i))), value);
      } else {
        // SDK instrument: observations can not be merged into one call; the entry's attribute object
        this.slotList[i]!.write(value, this.attrs(b, i));
      }
      return;
    }
    if (kind === GAUGE) b.value[i] = value;
    else b.value[i] = b.value[i]! + value;
    b.seq[i] = ++this.seq;
  }

  /** Writes the batch into the SDK's instruments (sums, then gauges in the order they were set). */
  flush(): void {
    if (this.pendingCount !== 0) this.drain();
    this.entry = undefined;
    this.recent.fill(undefined);
    if (this.inFlightSeen) {
      // every interval once a request was seen, so the series is there (with 0) when nothing changed
      const change = this.inFlight - this.inFlightWritten;
      this.inFlightWritten = this.inFlight;
      try {
        const i = this.ix[F.litellm_in_flight_requests]!;
        if (i >= 0) this.slotList[i]!.write(change, {});
      } catch (err) {
        this.fail('flush', err);
      }
    }
    if (this.batch.size === 0) return;
    try {
      const gauges: { seq: number; slot: number; b: Batched }[] = [];
      const n = this.slotList.length;
      for (const b of this.batch.values()) {
        for (let i = 0; i < n; i++) {
          if (b.seq[i] === 0) continue;
          if (this.kinds[i] === GAUGE) gauges.push({ seq: b.seq[i]!, slot: i, b });
          else this.slotList[i]!.write(b.value[i]!, this.attrs(b, i));
        }
      }
      gauges.sort((x, y) => x.seq - y.seq);
      for (const g of gauges) this.slotList[g.slot]!.write(g.b.value[g.slot]!, this.attrs(g.b, g.slot));
    } catch (err) {
      this.fail('flush', err);
    } finally {
      this.batch.clear();
    }
  }

  private incPositive(family: number, raw: unknown, field: string): void {
    const v = this.num(raw, field);
    if (v !== undefined && v > 0) this.write(family, v);
  }

  private setIf(family: number, raw: unknown, field: string): void {
    if (raw === undefined || raw === null) return;
    if (typeof raw !== 'number' || Number.isNaN(raw)) {
      this.drop(field, raw);
      return;
    }
    this.write(family, raw);
  }

  private writeBudgets(b: NonNullable<RequestEvent['budgets']>): void {
    this.writeBudget('team', b.team);
    this.writeBudget('org', b.org);
    this.writeBudget('apiKey', b.apiKey);
    this.writeBudget('user', b.user);
    if (this.endUserTracking) this.writeBudget('customer', b.customer);
  }

  private writeBudget(holder: BudgetHolder, s: BudgetState | null | undefined): void {
    if (!s) return;
    const f = BUDGET_FAMILIES[holder];
    const max =
      s.maxBudget === null || s.maxBudget === undefined ? undefined : this.finite(s.maxBudget, f.maxField);
    const spend = s.spend === null || s.spend === undefined ? undefined : this.finite(s.spend, f.spendField);
    // LiteLLM: remaining = max - spend; +Inf without a budget; = max when spend is unknown.
    if (s.maxBudget === null || s.maxBudget === undefined) this.write(f.remaining, Infinity);
    else if (max !== undefined) this.write(f.remaining, max - (spend ?? 0));
    if (max !== undefined) this.write(f.max, max);
    if (s.resetAt !== null && s.resetAt !== undefined) {
      const at = this.finite(s.resetAt, f.resetField);
      if (at !== undefined) this.write(f.hours, (at - this.now()) / 3_600_000);
    }
  }

  private recordGenAi(
    e: RequestEvent,
    prompt: number | undefined,
    completion: number | undefined,
    start: number | undefined,
    apiStart: number | undefined,
    first: number | undefined,
    end: number | undefined,
    errorType: string | undefined,
  ): void {
    const base: Attributes = { 'gen_ai.operation.name': e.operation ? cleanLabelValue(e.operation) : 'chat' };
    if (e.apiProvider) base['gen_ai.provider.name'] = cleanLabelValue(e.apiProvider);
    if (e.requestedModel) base['gen_ai.request.model'] = cleanLabelValue(e.requestedModel);
    if (e.model) base['gen_ai.response.model'] = cleanLabelValue(e.model);
    if (e.apiBase) {
      const server = this.server(e.apiBase);
      if (server.address) base['server.address'] = server.address;
      if (server.port !== undefined) base['server.port'] = server.port;
    }
    const write = (family: string, value: number, extra?: Attributes) => {
      const s = this.slots.get(family);
      if (s !== undefined) s.write(value, extra ? { ...base, ...extra } : { ...base });
    };
    if (prompt !== undefined) write('gen_ai.client.token.usage', prompt, { 'gen_ai.token.type': 'input' });
    if (completion !== undefined)
      write('gen_ai.client.token.usage', completion, { 'gen_ai.token.type': 'output' });
    const err = errorType ? { 'error.type': cleanLabelValue(errorType) } : undefined;
    const op = this.seconds(apiStart, end);
    if (op !== undefined) write('gen_ai.client.operation.duration', op, err);
    const req = this.seconds(start, end);
    if (req !== undefined) write('gen_ai.server.request.duration', req, err);
    if (errorType === undefined && e.stream === true) {
      const ttft = this.seconds(apiStart, first);
      if (ttft !== undefined) write('gen_ai.server.time_to_first_token', ttft);
      const gen = this.seconds(first, end);
      if (gen !== undefined && completion !== undefined && completion > 1) {
        write('gen_ai.server.time_per_output_token', gen / (completion - 1));
      }
    }
  }

  private server(apiBase: string): { address?: string; port?: number } {
    let s = this.apiBaseCache.get(apiBase);
    if (s === undefined) {
      s = {};
      try {
        const u = new URL(apiBase);
        s.address = u.hostname;
        s.port = u.port
          ? Number(u.port)
          : u.protocol === 'https:'
            ? 443
            : u.protocol === 'http:'
              ? 80
              : undefined;
      } catch {
        // not a URL: no server attributes
      }
      if (this.apiBaseCache.size > 1024) this.apiBaseCache.clear();
      this.apiBaseCache.set(apiBase, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- values

  /** A non-negative finite number, or undefined (absent, or dropped with a diagnostic). */
  private num(raw: unknown, field: string): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
    this.drop(field, raw);
    return undefined;
  }

  private finite(raw: unknown, field: string): number | undefined {
    if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
    this.drop(field, raw);
    return undefined;
  }

  private time(raw: unknown, field: string): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
    this.drop(field, raw);
    return undefined;
  }

  /** Seconds between two ms timestamps; undefined when either is missing or the span is negative. */
  private seconds(from: number | undefined, to: number | undefined): number | undefined {
    if (from === undefined || to === undefined) return undefined;
    const s = (to - from) / 1000;
    if (s < 0) {
      this.drop('timings (end before start)', s);
      return undefined;
    }
    return s;
  }

  private drop(field: string, value: unknown): void {
    this.stats.droppedValues++;
    if (!this.warned.has(field)) {
      this.warned.add(field);
      diag.warn(
        `litellm-otel-metrics: dropped invalid value for ${field}: ${String(value)} (further drops of it are counted, not logged)`,
      );
    }
  }

  private fail(where: string, err: unknown): void {
    this.stats.errors++;
    diag.error(
      `litellm-otel-metrics: ${where} failed and recorded nothing more: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function isInvalidKeyFailure(e: RequestEvent): boolean {
  const status = e.error?.status;
  if (status === 401 || status === '401') return true;
  const msg = e.error?.message;
  return typeof msg === 'string' && INVALID_KEY_TEXTS.some((t) => msg.includes(t));
}
