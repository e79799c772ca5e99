import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parse } from 'yaml';
import { LITELLM_FAMILIES } from '../../src/metric-set/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/dashboards/litellm.json`, 'utf8'));

const target = z.object({
  refId: z.string(),
  expr: z.string().min(1),
  datasource: z.object({ type: z.literal('prometheus'), uid: z.string() }),
});
const panel = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('row'),
    title: z.string(),
    gridPos: z.object({ h: z.number(), w: z.number(), x: z.number(), y: z.number() }),
  }),
  ...(['timeseries', 'bargauge', 'stat'] as const).map((t) =>
    z.object({
      type: z.literal(t),
      title: z.string().min(1),
      datasource: z.object({ type: z.literal('prometheus'), uid: z.string() }),
      gridPos: z.object({
        h: z.number().positive(),
        w: z.number().positive().max(24),
        x: z.number().min(0).max(23),
        y: z.number().min(0),
      }),
      targets: z.array(target).min(1),
    }),
  ),
]);
const schema = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int(),
  panels: z.array(panel).min(1),
});

const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
  (p.targets ?? []).map((t) => t.expr),
);

describe('the Grafana dashboard', () => {
  it('has the dashboard shape Grafana provisions (uid, title, panels with Prometheus targets in a 24-column grid)', () => {
    const r = schema.safeParse(dashboard);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    const datasource = parse(
      readFileSync(`${root}deploy/grafana/provisioning/datasources/prometheus.yaml`, 'utf8'),
    );
    const uid = datasource.datasources[0].uid;
    for (const p of dashboard.panels.filter((x: { type: string }) => x.type !== 'row'))
      expect(p.datasource.uid).toBe(uid);
  });

  it('every panel query is parsed by Prometheus (promtool)', () => {
    // Grafana's range variables are not PromQL; substitute durations as Grafana would.
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: exprs.map((e, i) => ({
            record: `dashboard:query:${i}`,
            expr: e.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h'),
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'dash-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(rules));
    const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  it('queries only LiteLLM families of the catalog, by their exposed sample names', () => {
    const known = new Set<string>();
    for (const f of LITELLM_FAMILIES) {
      if (f.type === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) known.add(f.instrumentName + s);
      else known.add(f.instrumentName);
    }
    const labels = new Set(LITELLM_FAMILIES.flatMap((f) => f.labels));
    const used = new Set(
      exprs.flatMap((e) => e.match(/litellm_[a-z_]+/g) ?? []).filter((n) => !labels.has(n)),
    );
    expect([...used].filter((n) => !known.has(n))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });
});
