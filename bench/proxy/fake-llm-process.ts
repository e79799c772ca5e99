// The fake upstream in its own process for the benchmark (zero latency), printing its URL.
import { startFakeLlm } from '../../src/fake-llm/index.js';

const fake = await startFakeLlm({ host: '127.0.0.1', port: 0, seed: 1 });
process.stdout.write(`FAKE_LLM_URL ${fake.url}\n`);
const stop = () => void fake.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
