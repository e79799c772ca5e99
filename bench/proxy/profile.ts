// Where the metrics' CPU goes in the proxy: a system-wide CPU-time profile (Linux `perf`, cpu-clock) of a
// metrics-on and a metrics-off proxy loaded at the same time, compared per 1000 requests.
//
//   node --import tsx bench/proxy/profile.ts [--seconds 90] [--warmup 5] [--top 30]
//
// Needs `perf` (Debian: linux-perf) allowed to sample every CPU (root, or perf_event_paranoid <= 0).
// Both proxies run the compiled package (dist/) with --perf-basic-prof, so JIT code has names. Unlike
// V8's --cpu-prof (a wall-clock sampler whose samples pile up where a descheduled process resumes), perf
// samples on-CPU time only, so the two proxies' profiles compare fairly on an oversubscribed machine.
// Caveats, seen here: inlining differs between processes (a Node function inlined in one worker appears
// under its caller's name in another), so compare categories before functions; and the perf map is
// append-only, so a sample in code V8 freed and reused can carry an old name.
//
// Prints samples per 1000 requests of the two proxies' workers by category (our metrics code, Node's JS,
// undici, V8 builtins and runtime, GC, kernel, ...), the inclusive cost of our code (samples whose
// innermost JS frame is ours), and the largest self-time differences. Writes bench/proxy/profile.json.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchConfig, load, REPO, startChild } from './harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '90' },
    warmup: { type: 'string', default: '5' },
    top: { type: 'string', default: '30' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const TOP = Number(values.top);

function category(sym: string): string {
  if (
    /Scaveng|Marking|Mark-|MarkCompact|Sweep|Evacuat|Compactor|RememberedSet|SlotSet|Heap::|MemoryAllocator|PagedSpace|LargeObject/.test(
      sym,
    )
  )
    return 'gc';
  if (sym.startsWith('JS:')) {
    if (/dist\/(record|integrations|export|views|metric-set)\//.test(sym)) return 'js: our metrics code';
    if (sym.includes('dist/')) return 'js: proxy';
    if (sym.includes('undici')) return 'js: undici';
    if (sym.includes('node_modules')) return 'js: fastify and other deps';
    return 'js: node internals';
  }
  if (sym.includes('[kernel')) return 'kernel';
  if (sym.includes('libc')) return 'libc';
  if (sym.startsWith('Builtins_')) return 'v8 builtins';
  if (sym.includes('v8::')) return 'v8 runtime and compiler';
  return 'node native and other';
}

const dir = mkdtempSync(join(tmpdir(), 'lom-profile-'));
execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
const children: ChildProcess[] = [];
const group = new Map<number, 'on' | 'off'>();
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  seconds: SECONDS,
};
try {
  const fake = await startChild(['bench/proxy/fake-llm-process.ts'], /FAKE_LLM_URL (\S+)/);
  children.push(fake.child);
  const proxies: Record<'on' | 'off', { child: ChildProcess; url: string }> = {} as never;
  for (const mode of ['on', 'off'] as const) {
    const p = await startChild(
      [
        '--perf-basic-prof',
        'dist/cli/main.js',
        'proxy',
        '--config',
        benchConfig(fake.match[1]!, mode === 'on'),
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--num_workers',
        '4',
      ],
      /listening on (http:\/\/\S+)/,
    );
    children.push(p.child);
    proxies[mode] = { child: p.child, url: p.match[1]! };
  }
  for (let round = 0; round < 4; round++)
    for (const mode of ['on', 'off'] as const) await load(proxies[mode].url, WARMUP);
  const workers = (root: number) =>
    execFileSync('pgrep', ['-P', String(root)])
      .toString()
      .trim()
      .split(/\s+/)
      .map(Number);
  for (const mode of ['on', 'off'] as const)
    for (const pid of workers(proxies[mode].child.pid!)) group.set(pid, mode);
  const data = join(dir, 'perf.data');
  const perf = spawn(
    'perf',
    ['record', '-e', 'cpu-clock', '-F', '999', '-a', '-g', '-o', data, '--', 'sleep', String(SECONDS + 1)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const perfDone = new Promise<number | null>((r) => perf.once('exit', r));
  const [ron, roff] = await Promise.all([load(proxies.on.url, SECONDS), load(proxies.off.url, SECONDS)]);
  if ((await perfDone) !== 0) throw new Error('perf record failed (is perf installed and allowed?)');
  const requests = { on: ron.requests.total, off: roff.requests.total };
  const script = join(dir, 'perf.txt');
  execFileSync('sh', ['-c', `perf script -i ${data} -F pid,ip,sym,dso > ${script} 2>/dev/null`]);

  // One sample: a header line with the pid, then its frames from the leaf up.
  const total = { on: 0, off: 0 };
  const cats = { on: new Map<string, number>(), off: new Map<string, number>() };
  const selfSym = { on: new Map<string, number>(), off: new Map<string, number>() };
  const ours = { on: 0, off: 0 };
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let pid = -1;
  let frames: string[] = [];
  const flush = () => {
    const g = group.get(pid);
    if (g === undefined || frames.length === 0) return;
    total[g]++;
    const leaf = frames[0]!.replace(/^JS:[*^~+]?/, 'JS:').replace(/ \(\/tmp\/perf-\d+\.map\)$/, '');
    add(cats[g], category(leaf));
    add(selfSym[g], leaf);
    const js = frames.find((f) => f.startsWith('JS:'));
    if (js !== undefined && category(js) === 'js: our metrics code') ours[g]++;
  };
  for (const line of readFileSync(script, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    if (!line.startsWith('\t') && !line.startsWith('        ')) {
      flush();
      pid = Number(line.trim().split(/\s+/)[0]);
      frames = [];
    } else {
      const t = line.trim();
      const sp = t.indexOf(' ');
      frames.push(sp < 0 ? '?' : t.slice(sp + 1));
    }
  }
  flush();
  const per = (n: number, g: 'on' | 'off') => (n * 1000) / requests[g];
  const fmt = (x: number) => x.toFixed(2).padStart(7);
  const lines: string[] = [];
  lines.push(
    `requests in ${SECONDS} s: on ${requests.on}, off ${requests.off} (ratio ${(requests.on / requests.off).toFixed(3)})`,
  );
  lines.push(
    `worker CPU samples per 1000 requests (1 sample = 1 ms): on ${per(total.on, 'on').toFixed(1)}, off ${per(total.off, 'off').toFixed(1)} (${((per(total.on, 'on') / per(total.off, 'off') - 1) * 100).toFixed(1)} %)`,
  );
  lines.push(
    `inclusive, innermost JS frame in our metrics code: ${per(ours.on, 'on').toFixed(2)} per 1000 requests (${((100 * ours.on) / total.on).toFixed(1)} % of the on workers' samples)`,
  );
  const catRows = [...new Set([...cats.on.keys(), ...cats.off.keys()])]
    .map((k) => ({ k, on: per(cats.on.get(k) ?? 0, 'on'), off: per(cats.off.get(k) ?? 0, 'off') }))
    .sort((a, b) => b.on - b.off - (a.on - a.off));
  lines.push('self time by category, per 1000 requests:    on     off    diff');
  for (const r of catRows) lines.push(`  ${r.k.padEnd(40)}${fmt(r.on)} ${fmt(r.off)} ${fmt(r.on - r.off)}`);
  const symRows = [...new Set([...selfSym.on.keys(), ...selfSym.off.keys()])]
    .map((k) => ({ k, on: per(selfSym.on.get(k) ?? 0, 'on'), off: per(selfSym.off.get(k) ?? 0, 'off') }))
    .sort((a, b) => b.on - b.off - (a.on - a.off));
  lines.push(`largest self-time increases (on - off), per 1000 requests:`);
  for (const r of symRows.slice(0, TOP)) lines.push(`  ${fmt(r.on - r.off)}  ${r.k.slice(0, 120)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  Object.assign(result, {
    requests,
    samplesPer1000: { on: per(total.on, 'on'), off: per(total.off, 'off') },
    oursInclusivePer1000: per(ours.on, 'on'),
    categories: catRows,
    topSelfIncreases: symRows.slice(0, TOP),
  });
  writeFileSync(join(REPO, 'bench/proxy/profile.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  // --perf-basic-prof's symbol maps
  for (const c of [...children.map((c) => c.pid), ...group.keys()])
    rmSync(`/tmp/perf-${c}.map`, { force: true });
}
