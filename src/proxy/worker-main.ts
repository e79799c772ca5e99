// Entry of a node:cluster proxy worker (the primary forks it with `cluster.setupPrimary({ exec })`).

import { runClusterWorker } from './worker.js';

runClusterWorker().catch((e: unknown) => {
  process.stderr.write(
    `litellm-otel proxy worker failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
