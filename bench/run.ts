// `npm run bench`: every benchmark of BENCHMARKS.md, one after the other, each side by side with its
// alternatives in one run. Output of each goes to bench/results/<name>.json (or the file the
// benchmark writes itself); BENCHMARKS.md quotes them.
//
//   npm run bench                 # all
//   npm run bench -- record proxy # some
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benches: Record<string, { args: string[]; out?: string }> = {
  record: { args: ['bench/record/run.ts', '7', '20000', '1000'], out: 'bench/results/record.json' },
  'aggregate-scrape': { args: ['bench/aggregate/scrape.ts'], out: 'bench/results/aggregate-scrape.json' },
  'aggregate-scrape-shared': {
    args: ['bench/aggregate/scrape.ts', '--shared'],
    out: 'bench/results/aggregate-scrape-shared.json',
  },
  'aggregate-ingest': { args: ['bench/aggregate/ingest.ts'], out: 'bench/results/aggregate-ingest.json' },
  // writes bench/proxy/results.json and bench/proxy/cpu-per-request.json itself
  'proxy-throughput': {
    args: [
      'bench/proxy/throughput.ts',
      '--rounds',
      '4',
      '--runs',
      '16',
      '--sim-runs',
      '20',
      '--duration',
      '5',
      '--warmup',
      '5',
    ],
  },
  'proxy-cpu': { args: ['bench/proxy/cpu-per-request.ts', '--runs', '5', '--requests', '3000'] },
  cardinality: {
    args: ['bench/cardinality/run.ts', '3', '1000000', '1'],
    out: 'bench/results/cardinality.json',
  },
};

const wanted = process.argv.slice(2);
mkdirSync(`${root}bench/results`, { recursive: true });
let failed = 0;
for (const [name, b] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.error(`== ${name}: node --import tsx ${b.args.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...b.args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    failed++;
    console.error(`== ${name} failed (${r.status ?? r.signal})`);
    continue;
  }
  if (b.out) writeFileSync(`${root}${b.out}`, r.stdout);
  process.stdout.write(r.stdout);
}
process.exitCode = failed > 0 ? 1 : 0;
