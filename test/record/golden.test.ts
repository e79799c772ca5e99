import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { setupMetrics } from '../../src/record/setup.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';
import { recordGoldenSequence, T0 } from '../support/events.js';

const GOLDEN = fileURLToPath(new URL('./fixtures/golden.prom', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('golden exposition of a fixed event sequence through the real SDK', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  it('renders every family exactly as the checked-in LiteLLM-shaped exposition, family by family', async () => {
    const setup = setupMetrics({ settings: { enable_end_user_cost_tracking_prometheus_only: true } });
    p = inProcess(setup.views);
    const recorder = setup.createRecorder(p.provider, { now: () => T0 });
    recordGoldenSequence(recorder);
    const text = await p.render();
    if (UPDATE) writeFileSync(GOLDEN, text);
    const expected = families(readFileSync(GOLDEN, 'utf8'));
    const actual = families(text);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, block] of expected) {
      expect(actual.get(name), `family ${name}`).toBe(block);
    }
    expect(recorder.stats).toEqual({ droppedValues: 0, errors: 0, skippedInvalidKey: 1 });
  });
});
