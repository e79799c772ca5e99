/**
 * OTLP metrics protobuf decoding (opentelemetry-proto `collector/metrics/v1`,
 * `metrics/v1`, `common/v1`, `resource/v1`) with protobufjs, from a JSON descriptor.
 *
 * Every `string` field is declared as `bytes` so that invalid UTF-8 can be detected and refused
 * (protobufjs would silently mangle it); the normalizer decodes them. Exemplars, metadata and
 * entity refs are not declared: protobufjs skips unknown fields. Of exponential histograms only
 * count and sum are read (all the text exposition shows of them); summaries only far enough to
 * count their points as unsupported.
 */
import protobuf from 'protobufjs';

const descriptor = {
  nested: {
    ExportMetricsServiceRequest: {
      fields: { resourceMetrics: { rule: 'repeated', type: 'ResourceMetrics', id: 1 } },
    },
    ResourceMetrics: {
      fields: {
        resource: { type: 'Resource', id: 1 },
        scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 },
      },
    },
    Resource: {
      fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } },
    },
    ScopeMetrics: {
      fields: {
        scope: { type: 'InstrumentationScope', id: 1 },
        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
        schemaUrl: { type: 'bytes', id: 3 },
      },
    },
    InstrumentationScope: {
      fields: {
        name: { type: 'bytes', id: 1 },
        version: { type: 'bytes', id: 2 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
      },
    },
    Metric: {
      oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
      fields: {
        name: { type: 'bytes', id: 1 },
        description: { type: 'bytes', id: 2 },
        unit: { type: 'bytes', id: 3 },
        gauge: { type: 'Gauge', id: 5 },
        sum: { type: 'Sum', id: 7 },
        histogram: { type: 'Histogram', id: 9 },
        exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
        summary: { type: 'Opaque', id: 11 },
      },
    },
    Gauge: {
      fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 } },
    },
    Sum: {
      fields: {
        dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 },
        aggregationTemporality: { type: 'int32', id: 2 },
        isMonotonic: { type: 'bool', id: 3 },
      },
    },
    Histogram: {
      fields: {
        dataPoints: { rule: 'repeated', type: 'HistogramDataPoint', id: 1 },
        aggregationTemporality: { type: 'int32', id: 2 },
      },
    },
    ExponentialHistogram: {
      fields: {
        dataPoints: { rule: 'repeated', type: 'ExponentialHistogramDataPoint', id: 1 },
        aggregationTemporality: { type: 'int32', id: 2 },
      },
    },
    /** Only what the text exposition shows of a native histogram: count and sum. */
    ExponentialHistogramDataPoint: {
      fields: {
        attributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
        startTimeUnixNano: { type: 'fixed64', id: 2 },
        timeUnixNano: { type: 'fixed64', id: 3 },
        count: { type: 'fixed64', id: 4 },
        sum: { type: 'double', id: 5 },
        flags: { type: 'uint32', id: 10 },
      },
    },
    /** Summary: only the number of data points is read. */
    Opaque: {
      fields: { dataPoints: { rule: 'repeated', type: 'bytes', id: 1 } },
    },
    NumberDataPoint: {
      oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
      fields: {
        attributes: { rule: 'repeated', type: 'KeyValue', id: 7 },
        startTimeUnixNano: { type: 'fixed64', id: 2 },
        timeUnixNano: { type: 'fixed64', id: 3 },
        asDouble: { type: 'double', id: 4 },
        asInt: { type: 'sfixed64', id: 6 },
        flags: { type: 'uint32', id: 8 },
      },
    },
    HistogramDataPoint: {
      fields: {
        attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
        startTimeUnixNano: { type: 'fixed64', id: 2 },
        timeUnixNano: { type: 'fixed64', id: 3 },
        count: { type: 'fixed64', id: 4 },
        sum: { type: 'double', id: 5 },
        bucketCounts: { rule: 'repeated', type: 'fixed64', id: 6 },
        explicitBounds: { rule: 'repeated', type: 'double', id: 7 },
        flags: { type: 'uint32', id: 10 },
      },
    },
    KeyValue: {
      fields: {
        key: { type: 'bytes', id: 1 },
        value: { type: 'AnyValue', id: 2 },
      },
    },
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            'stringValue',
            'boolValue',
            'intValue',
            'doubleValue',
            'arrayValue',
            'kvlistValue',
            'bytesValue',
          ],
        },
      },
      fields: {
        stringValue: { type: 'bytes', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: {
      fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } },
    },
    KeyValueList: {
      fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
const requestType = root.lookupType('ExportMetricsServiceRequest');

/**
 * Decodes an `ExportMetricsServiceRequest`. Throws (protobufjs' own errors) on a truncated or
 * malformed body; the caller turns that into a 400.
 */
export function decodeExportRequestProtobuf(body: Uint8Array): unknown {
  return requestType.decode(body);
}
