// Regenerates the collector ground truth in test/fixtures/collector/ (see docs/collector.md).
//
//   node --import tsx scripts/capture-collector-exposition.ts            # record anew + capture
//   node --import tsx scripts/capture-collector-exposition.ts --replay   # reuse the committed bodies
//   node --import tsx scripts/capture-collector-exposition.ts --replay --check   # diff, write nothing
//
// 1. Record: two probe-worker processes (real OTel JS SDK, DELTA, distinct service.instance.id)
//    export to a tiny local HTTP recorder; the exact OTLP/JSON request bodies are kept.
// 2. Replay: those bodies are POSTed, in order, to the real collector (otelcol-litellm built by
//    scripts/build-collector.sh, running the shipped otel-collector.yaml on loopback).
// 3. Capture: the collector's /metrics with several Accept headers, and its own telemetry page.
// The bodies are the input and the pages the expected output for the embedded aggregator.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCollector } from '../test/e2e/harness/collector.js';
import { repoRoot, requireCollectorBinary } from '../test/e2e/harness/collector-binary.js';
import {
  ACCEPTS,
  captureExpositions,
  collectorFixtureDir as fixtureDir,
  recordRequests,
  replay,
  type Capture,
  type RecordedRequest,
} from '../test/e2e/harness/exposition-capture.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { replay: { type: 'boolean' }, check: { type: 'boolean' } } });
  if (values.check === true && values.replay !== true) throw new Error('--check needs --replay');
  const binary = requireCollectorBinary();
  mkdirSync(fixtureDir, { recursive: true });

  const requestsFile = join(fixtureDir, 'otlp-requests.json');
  const requests: RecordedRequest[] =
    values.replay === true
      ? (JSON.parse(readFileSync(requestsFile, 'utf8')) as { requests: RecordedRequest[] }).requests
      : await recordRequests();

  const collector = await startCollector({ binary });
  let captures: Capture[];
  let telemetry: string;
  try {
    await replay(collector, requests);
    captures = await captureExpositions(collector);
    telemetry = await (await fetch(collector.telemetryUrl, { signal: AbortSignal.timeout(5000) })).text();
  } finally {
    await collector.stop();
  }

  if (values.check === true) {
    let same = true;
    for (const c of captures) {
      const want = readFileSync(join(fixtureDir, c.file), 'utf8');
      if (want !== c.body) {
        same = false;
        process.stderr.write(`DIFFERS: ${c.file}\n--- committed\n${want}\n--- now\n${c.body}\n`);
      }
    }
    process.stdout.write(same ? 'captures match the committed fixtures\n' : '');
    process.exitCode = same ? 0 : 1;
    return;
  }

  if (values.replay !== true) {
    const doc = {
      note:
        'Exact OTLP/JSON request bodies two probe workers (test/e2e/harness/probe-worker.ts) sent, in ' +
        'the order replayed to the collector. POST each body with its contentType to /v1/metrics.',
      requests,
    };
    writeFileSync(requestsFile, `${JSON.stringify(doc, null, 2)}\n`);
  }
  for (const c of captures) writeFileSync(join(fixtureDir, c.file), c.body);
  writeFileSync(join(fixtureDir, 'telemetry.txt'), telemetry);
  const version = readFileSync(join(repoRoot, 'deploy', 'collector', 'VERSION'), 'utf8').trim();
  const responses = {
    collector: `otelcol-litellm ${version} (scripts/build-collector.sh), config otel-collector.yaml`,
    captures: captures.map((c) => ({
      file: c.file,
      requestAccept: c.accept ?? null,
      why: ACCEPTS.find((a) => a.file === c.file)?.why,
      status: c.status,
      responseContentType: c.contentType,
    })),
  };
  writeFileSync(join(fixtureDir, 'responses.json'), `${JSON.stringify(responses, null, 2)}\n`);
  process.stdout.write(
    `wrote ${captures.length + 2 + (values.replay === true ? 0 : 1)} files to ${fixtureDir}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `capture failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
