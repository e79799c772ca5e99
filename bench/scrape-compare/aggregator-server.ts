// The embedded aggregator as its own process, as shipped (defaults) but on 127.0.0.1 with free
// ports. Prints {"otlpUrl","metricsUrl"}; a line on stdin (or its end) closes it.
//
//   node --import tsx bench/scrape-compare/aggregator-server.ts
import { startAggregator } from '../../src/aggregate/index.js';
import { nextStdinLine } from '../correctness/procs.js';

const a = await startAggregator({
  otlpHost: '127.0.0.1',
  otlpPort: 0,
  metricsHost: '127.0.0.1',
  metricsPort: 0,
});
console.log(JSON.stringify({ otlpUrl: a.otlpUrl, metricsUrl: a.metricsUrl }));
await nextStdinLine();
await a.close();
process.exit(0);
