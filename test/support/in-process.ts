// A real MeterProvider with the project's views and a manual reader, rendered as Prometheus text by the
// real @opentelemetry/exporter-prometheus serializer: the single-process path, without HTTP.

import {
  MeterProvider,
  MetricReader,
  AggregationTemporality,
  type MetricProducer,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import type { HistogramProducer } from '../../src/record/histograms.js';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';

class ManualReader extends MetricReader {
  constructor(temporality: AggregationTemporality, metricProducers?: MetricProducer[]) {
    super({ aggregationTemporalitySelector: () => temporality, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface InProcess {
  provider: MeterProvider;
  render(): Promise<string>;
  collect(): ReturnType<MetricReader['collect']>;
  shutdown(): Promise<void>;
}

export interface InProcessOptions {
  /** Default cumulative. */
  temporality?: AggregationTemporality;
  /** The recorder's histogram producer, attached to this reader. */
  histograms?: HistogramProducer;
}

export function inProcess(views: ViewOptions[], opts: InProcessOptions = {}): InProcess {
  const temporality = opts.temporality ?? AggregationTemporality.CUMULATIVE;
  const reader = new ManualReader(
    temporality,
    opts.histograms ? [opts.histograms.attach(temporality)] : undefined,
  );
  const provider = new MeterProvider({ views, readers: [reader] });
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  return {
    provider,
    collect: () => reader.collect(),
    async render() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`collect errors: ${errors.join('; ')}`);
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** Splits an exposition into families keyed by the name on their TYPE line, each a block of lines. */
export function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let block: string[] = [];
  const flush = () => {
    if (name !== undefined) out.set(name, block.join('\n'));
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      flush();
      name = line.split(' ')[2];
      block = [line];
    } else if (line.trim() !== '') {
      block.push(line);
    }
  }
  flush();
  return out;
}
