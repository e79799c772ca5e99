/**
 * Turns a decoded OTLP `ExportMetricsServiceRequest` (the object `JSON.parse` gives for OTLP/JSON,
 * or the protobufjs message for OTLP/protobuf) into the validated `NormalizedRequest`.
 *
 * Everything is checked before anything is merged, so a malformed request is refused whole
 * (`OtlpInvalidError`, answered with 400) and changes nothing.
 *
 * OTLP/JSON rules followed (OTLP spec, "JSON Protobuf Encoding"): lowerCamelCase keys (snake_case
 * accepted too, like the collector), 64-bit integers as decimal strings or numbers, enums as
 * integers (names accepted too), doubles as numbers or "NaN"/"Infinity"/"-Infinity", bytes as base64.
 */
import { isUtf8 } from 'node:buffer';
import type {
  Attr,
  HistogramPoint,
  NormalizedMetric,
  NormalizedRequest,
  NormalizedResource,
  NormalizedScope,
  NumberPoint,
} from './otlp-model.js';

export class OtlpInvalidError extends Error {
  override readonly name = 'OtlpInvalidError';
}

type Obj = Record<string, unknown>;

const snakeCache = new Map<string, string>();
function snake(key: string): string {
  let s = snakeCache.get(key);
  if (s === undefined) {
    s = key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    snakeCache.set(key, s);
  }
  return s;
}

function get(o: Obj, key: string): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  return o[snake(key)];
}

/**
 * A oneof member: only an own property counts (protobufjs puts defaults for unset oneof members on
 * the prototype).
 */
function own(o: Obj, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, key)) return o[key];
  const s = snake(key);
  return Object.prototype.hasOwnProperty.call(o, s) ? o[s] : undefined;
}

function fail(path: string, what: string): never {
  throw new OtlpInvalidError(`${path}: ${what}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function obj(v: unknown, path: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(path, 'expected an object');
  return v;
}

function arr(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  // protobufjs' default for an absent `bytes` field is an empty array.
  if (Array.isArray(v) && v.length === 0) return '';
  if (v instanceof Uint8Array) {
    if (v.length === 0) return '';
    if (!isUtf8(v)) fail(path, 'string is not valid UTF-8');
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  }
  fail(path, 'expected a string');
}

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function isLong(v: unknown): v is LongLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LongLike).low === 'number' &&
    typeof (v as LongLike).high === 'number'
  );
}

const DECIMAL = /^-?\d+$/;

/** A 64-bit integer (fixed64, sfixed64, int64) as a double. */
function int64(v: unknown, path: string, unsigned: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(path, 'expected an integer');
    if (unsigned && v < 0) fail(path, 'expected a non-negative integer');
    return v;
  }
  if (typeof v === 'string') {
    if (!DECIMAL.test(v)) fail(path, 'expected an integer (decimal string)');
    const n = Number(v);
    if (unsigned && n < 0) fail(path, 'expected a non-negative integer');
    return n;
  }
  if (isLong(v)) {
    return v.unsigned ? (v.high >>> 0) * 4294967296 + (v.low >>> 0) : v.high * 4294967296 + (v.low >>> 0);
  }
  fail(path, 'expected an integer');
}

/** int64 attribute values keep every digit (Go's strconv.FormatInt). */
function int64Text(v: unknown, path: string): string {
  if (typeof v === 'string') {
    if (!DECIMAL.test(v)) fail(path, 'expected an integer (decimal string)');
    return BigInt(v).toString();
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(path, 'expected an integer');
    return BigInt(v).toString();
  }
  if (isLong(v)) {
    const big = (BigInt(v.high) << 32n) | BigInt(v.low >>> 0);
    return (v.unsigned ? big : BigInt.asIntN(64, big)).toString();
  }
  if (v === undefined || v === null) return '0';
  fail(path, 'expected an integer');
}

function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  fail(path, 'expected a number');
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  fail(path, 'expected a boolean');
}

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && v in TEMPORALITY_NAMES) return TEMPORALITY_NAMES[v] as number;
  fail(path, 'expected an AggregationTemporality');
}

/** Go's float64 → string as pcommon `AsString` does it (ES6 number formatting). */
function float64AsString(f: number): string {
  if (!Number.isFinite(f)) {
    return `json: unsupported value: ${f !== f ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`;
  }
  if (Object.is(f, -0)) return '-0';
  return String(f);
}

/** pdata's JSON for map/slice attribute values: no HTML escaping (collector 0.155.0 writes `a<b`). */
function goJsonString(s: string): string {
  return JSON.stringify(s);
}

type Raw = string | number | boolean | null | { big: string } | Raw[] | { map: [string, Raw][] };

function rawToGoJson(r: Raw): string {
  if (r === null) return 'null';
  if (typeof r === 'string') return goJsonString(r);
  if (typeof r === 'boolean') return r ? 'true' : 'false';
  if (typeof r === 'number') return Number.isFinite(r) ? float64AsString(r) : 'null';
  if (Array.isArray(r)) return '[' + r.map(rawToGoJson).join(',') + ']';
  if ('big' in r) return r.big;
  const entries = [...r.map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return '{' + entries.map(([k, v]) => goJsonString(k) + ':' + rawToGoJson(v)).join(',') + '}';
}

function bytesB64(v: unknown, path: string): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'string') {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) fail(path, 'expected base64 bytes');
    return Buffer.from(v, 'base64').toString('base64');
  }
  if (v === undefined || v === null) return '';
  fail(path, 'expected bytes');
}

/** An AnyValue as its raw form (for arrays/maps) — depth-limited against hostile nesting. */
function anyRaw(v: unknown, path: string, depth: number): Raw {
  if (depth > 32) fail(path, 'attribute value nested too deeply');
  const o = obj(v, path);
  if (o === undefined) return null;
  let x = own(o, 'stringValue');
  if (x !== undefined && x !== null) return str(x, path + '.stringValue');
  x = own(o, 'boolValue');
  if (x !== undefined && x !== null) return bool(x, path + '.boolValue');
  x = own(o, 'intValue');
  if (x !== undefined && x !== null) return { big: int64Text(x, path + '.intValue') };
  x = own(o, 'doubleValue');
  if (x !== undefined && x !== null) return double(x, path + '.doubleValue');
  x = own(o, 'bytesValue');
  if (x !== undefined && x !== null) return bytesB64(x, path + '.bytesValue');
  x = own(o, 'arrayValue');
  if (x !== undefined && x !== null) {
    const a = obj(x, path + '.arrayValue') as Obj;
    return arr(get(a, 'values'), path + '.arrayValue.values').map((e, i) =>
      anyRaw(e, `${path}.arrayValue.values[${i}]`, depth + 1),
    );
  }
  x = own(o, 'kvlistValue');
  if (x !== undefined && x !== null) {
    const l = obj(x, path + '.kvlistValue') as Obj;
    const map: [string, Raw][] = arr(get(l, 'values'), path + '.kvlistValue.values').map((e, i) => {
      const p = `${path}.kvlistValue.values[${i}]`;
      const kv = obj(e, p) ?? fail(p, 'expected an object');
      return [str(get(kv, 'key'), p + '.key'), anyRaw(get(kv, 'value'), p + '.value', depth + 1)];
    });
    return { map };
  }
  return null;
}

/** `pcommon.Value.AsString()`. */
function anyAsString(v: unknown, path: string): string {
  const o = obj(v, path);
  if (o === undefined) return '';
  const s = own(o, 'stringValue');
  if (s !== undefined && s !== null) return str(s, path + '.stringValue');
  const r = anyRaw(o, path, 0);
  if (r === null) return '';
  if (typeof r === 'string') return r; // bytes → base64
  if (typeof r === 'boolean') return r ? 'true' : 'false';
  if (typeof r === 'number') return float64AsString(r);
  if (!Array.isArray(r) && 'big' in r) return r.big;
  return rawToGoJson(r);
}

function attributes(v: unknown, path: string): Attr[] {
  const list = arr(v, path);
  const out: Attr[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const kv = obj(list[i], p) ?? fail(p, 'expected an object');
    out[i] = [str(get(kv, 'key'), p + '.key'), anyAsString(get(kv, 'value'), p + '.value')];
  }
  return out;
}

function numberPoint(v: unknown, path: string): NumberPoint {
  const p = obj(v, path) ?? fail(path, 'expected an object');
  let value = 0;
  const asInt = own(p, 'asInt');
  const asDouble = own(p, 'asDouble');
  if (asInt !== undefined && asInt !== null) value = int64(asInt, path + '.asInt', false);
  else if (asDouble !== undefined && asDouble !== null) value = double(asDouble, path + '.asDouble');
  const flags = int64(get(p, 'flags'), path + '.flags', true);
  return {
    attrs: attributes(get(p, 'attributes'), path + '.attributes'),
    start: int64(get(p, 'startTimeUnixNano'), path + '.startTimeUnixNano', true),
    time: int64(get(p, 'timeUnixNano'), path + '.timeUnixNano', true),
    value,
    noRecordedValue: (flags & 1) === 1,
  };
}

function histogramPoint(v: unknown, path: string): HistogramPoint {
  const p = obj(v, path) ?? fail(path, 'expected an object');
  const countsIn = arr(get(p, 'bucketCounts'), path + '.bucketCounts');
  const boundsIn = arr(get(p, 'explicitBounds'), path + '.explicitBounds');
  const counts = new Array<number>(countsIn.length);
  for (let i = 0; i < countsIn.length; i++)
    counts[i] = int64(countsIn[i], `${path}.bucketCounts[${i}]`, true);
  const bounds = new Array<number>(boundsIn.length);
  for (let i = 0; i < boundsIn.length; i++) bounds[i] = double(boundsIn[i], `${path}.explicitBounds[${i}]`);
  const flags = int64(get(p, 'flags'), path + '.flags', true);
  return {
    attrs: attributes(get(p, 'attributes'), path + '.attributes'),
    start: int64(get(p, 'startTimeUnixNano'), path + '.startTimeUnixNano', true),
    time: int64(get(p, 'timeUnixNano'), path + '.timeUnixNano', true),
    count: int64(get(p, 'count'), path + '.count', true),
    sum: double(get(p, 'sum'), path + '.sum'),
    bounds,
    counts,
    noRecordedValue: (flags & 1) === 1,
  };
}

function exponentialPoint(v: unknown, path: string): HistogramPoint {
  const p = obj(v, path) ?? fail(path, 'expected an object');
  const flags = int64(get(p, 'flags'), path + '.flags', true);
  return {
    attrs: attributes(get(p, 'attributes'), path + '.attributes'),
    start: int64(get(p, 'startTimeUnixNano'), path + '.startTimeUnixNano', true),
    time: int64(get(p, 'timeUnixNano'), path + '.timeUnixNano', true),
    count: int64(get(p, 'count'), path + '.count', true),
    sum: double(get(p, 'sum'), path + '.sum'),
    bounds: [],
    counts: [],
    noRecordedValue: (flags & 1) === 1,
  };
}

function countPoints(v: unknown, path: string): number {
  const o = obj(v, path);
  return o === undefined ? 0 : arr(get(o, 'dataPoints'), path + '.dataPoints').length;
}

function metric(v: unknown, path: string): NormalizedMetric {
  const m = obj(v, path) ?? fail(path, 'expected an object');
  const name = str(get(m, 'name'), path + '.name');
  const description = str(get(m, 'description'), path + '.description');
  const unit = str(get(m, 'unit'), path + '.unit');
  const sum = own(m, 'sum');
  if (sum !== undefined && sum !== null) {
    const s = obj(sum, path + '.sum') as Obj;
    const dps = arr(get(s, 'dataPoints'), path + '.sum.dataPoints');
    return {
      kind: 'sum',
      name,
      description,
      unit,
      temporality: temporality(get(s, 'aggregationTemporality'), path + '.sum.aggregationTemporality'),
      monotonic: bool(get(s, 'isMonotonic'), path + '.sum.isMonotonic'),
      points: dps.map((d, i) => numberPoint(d, `${path}.sum.dataPoints[${i}]`)),
    };
  }
  const gauge = own(m, 'gauge');
  if (gauge !== undefined && gauge !== null) {
    const g = obj(gauge, path + '.gauge') as Obj;
    const dps = arr(get(g, 'dataPoints'), path + '.gauge.dataPoints');
    return {
      kind: 'gauge',
      name,
      description,
      unit,
      points: dps.map((d, i) => numberPoint(d, `${path}.gauge.dataPoints[${i}]`)),
    };
  }
  const histogram = own(m, 'histogram');
  if (histogram !== undefined && histogram !== null) {
    const h = obj(histogram, path + '.histogram') as Obj;
    const dps = arr(get(h, 'dataPoints'), path + '.histogram.dataPoints');
    return {
      kind: 'histogram',
      name,
      description,
      unit,
      temporality: temporality(get(h, 'aggregationTemporality'), path + '.histogram.aggregationTemporality'),
      points: dps.map((d, i) => histogramPoint(d, `${path}.histogram.dataPoints[${i}]`)),
    };
  }
  const exp = own(m, 'exponentialHistogram');
  if (exp !== undefined && exp !== null) {
    // The collector exposes a merged exponential histogram in text format as a histogram with
    // only the +Inf bucket, `_sum` and `_count`: merged here as a histogram without bounds.
    const h = obj(exp, path + '.exponentialHistogram') as Obj;
    const dps = arr(get(h, 'dataPoints'), path + '.exponentialHistogram.dataPoints');
    return {
      kind: 'histogram',
      name,
      description,
      unit,
      temporality: temporality(
        get(h, 'aggregationTemporality'),
        path + '.exponentialHistogram.aggregationTemporality',
      ),
      points: dps.map((d, i) => exponentialPoint(d, `${path}.exponentialHistogram.dataPoints[${i}]`)),
    };
  }
  const summary = own(m, 'summary');
  if (summary !== undefined && summary !== null) {
    return {
      kind: 'unsupported',
      name,
      dataType: 'summary',
      pointCount: countPoints(summary, path + '.summary'),
    };
  }
  return { kind: 'unsupported', name, dataType: 'empty', pointCount: 0 };
}

function resourceIdentity(attrs: readonly Attr[]): string {
  const sorted = [...attrs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let s = '';
  for (const [k, v] of sorted) s += k + '\u0000' + v + '\u0001';
  return s;
}

function extractJob(res: Obj | undefined, path: string): string | undefined {
  if (res === undefined) return undefined;
  let name: string | undefined;
  let namespace: string | undefined;
  const list = arr(get(res, 'attributes'), path + '.attributes');
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as Obj;
    const key = str(get(kv, 'key'), '');
    if (key !== 'service.name' && key !== 'service.namespace') continue;
    // pcommon `Str()`: the string value, or "" for a value of another type.
    const val = obj(get(kv, 'value'), '');
    const sv = val === undefined ? undefined : own(val, 'stringValue');
    const text = sv === undefined || sv === null ? '' : str(sv, '');
    if (key === 'service.name') name = text;
    else namespace = text;
  }
  if (name === undefined) return undefined;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** Validates and normalizes a decoded request; throws `OtlpInvalidError` naming the bad field. */
export function normalizeExportRequest(decoded: unknown): NormalizedRequest {
  const root = obj(decoded, '(body)') ?? fail('(body)', 'expected an object');
  const rms = arr(get(root, 'resourceMetrics'), 'resourceMetrics');
  let pointCount = 0;
  const resources: NormalizedResource[] = [];
  for (let r = 0; r < rms.length; r++) {
    const rp = `resourceMetrics[${r}]`;
    const rm = obj(rms[r], rp) ?? fail(rp, 'expected an object');
    const res = obj(get(rm, 'resource'), rp + '.resource');
    const resAttrs = res === undefined ? [] : attributes(get(res, 'attributes'), rp + '.resource.attributes');
    const sms = arr(get(rm, 'scopeMetrics'), rp + '.scopeMetrics');
    const scopes: NormalizedScope[] = [];
    for (let s = 0; s < sms.length; s++) {
      const sp = `${rp}.scopeMetrics[${s}]`;
      const sm = obj(sms[s], sp) ?? fail(sp, 'expected an object');
      const scope = obj(get(sm, 'scope'), sp + '.scope');
      const ms = arr(get(sm, 'metrics'), sp + '.metrics');
      const metrics: NormalizedMetric[] = new Array(ms.length);
      for (let i = 0; i < ms.length; i++) {
        const m = metric(ms[i], `${sp}.metrics[${i}]`);
        pointCount += m.kind === 'unsupported' ? m.pointCount : m.points.length;
        metrics[i] = m;
      }
      scopes.push({
        name: scope === undefined ? '' : str(get(scope, 'name'), sp + '.scope.name'),
        version: scope === undefined ? '' : str(get(scope, 'version'), sp + '.scope.version'),
        schemaUrl: str(get(sm, 'schemaUrl'), sp + '.schemaUrl'),
        attrs: scope === undefined ? [] : attributes(get(scope, 'attributes'), sp + '.scope.attributes'),
        metrics,
      });
    }
    resources.push({ identity: resourceIdentity(resAttrs), job: extractJob(res, rp + '.resource'), scopes });
  }
  return { resources, pointCount };
}
