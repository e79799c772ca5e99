// From the settings to the exact set of families and labels a worker exports: LiteLLM's
// prometheus_metrics_config / prometheus_exclude_* semantics applied to the catalog, once, at start.

import type { MetricFamily } from '../metric-set/types.js';
import { GENAI_FAMILIES, LITELLM_FAMILIES } from '../metric-set/index.js';
import { sanitizeLabelName } from '../record/label-values.js';
import { MetricsConfigError, type ValidMetricsSettings } from './settings.js';

/** A custom label and where its value comes from. */
export interface CustomLabel {
  /** The exported label name (`metadata_foo`, `tag_prod`). */
  readonly name: string;
  readonly source:
    | { readonly kind: 'metadata'; readonly path: readonly string[] }
    | { readonly kind: 'tag'; readonly tag: string };
}

/** One family as this configuration exports it. */
export interface SelectedFamily {
  readonly family: MetricFamily;
  /** Labels the recorder fills: the family's default labels, then its custom labels, in LiteLLM's order. */
  readonly recordedLabels: readonly string[];
  /** Labels that survive selection (a subsequence of recordedLabels). */
  readonly exportedLabels: readonly string[];
  /** Effective histogram buckets. */
  readonly buckets?: readonly number[];
}

export interface Selection {
  /** Families that are exported, in catalog order. */
  readonly families: readonly SelectedFamily[];
  /** Families that exist in the catalog but are switched off. */
  readonly excluded: readonly MetricFamily[];
  readonly customLabels: readonly CustomLabel[];
  readonly endUserTracking: boolean;
  readonly genai: boolean;
}

function customLabelsOf(settings: ValidMetricsSettings): CustomLabel[] {
  const out: CustomLabel[] = [];
  const seen = new Set<string>();
  const add = (label: CustomLabel, key: string) => {
    if (seen.has(label.name)) throw new MetricsConfigError(key, `label ${label.name} is defined twice`);
    seen.add(label.name);
    out.push(label);
  };
  (settings.custom_prometheus_metadata_labels ?? []).forEach((raw, i) => {
    const parts = raw.split('.');
    const path = parts[0] === 'metadata' ? parts.slice(1) : parts;
    if (path.length === 0 || path.some((p) => p.length === 0)) {
      throw new MetricsConfigError(
        `custom_prometheus_metadata_labels[${i}]`,
        `"${raw}" is not a metadata path`,
      );
    }
    add(
      { name: sanitizeLabelName(raw), source: { kind: 'metadata', path } },
      `custom_prometheus_metadata_labels[${i}]`,
    );
  });
  (settings.custom_prometheus_tags ?? []).forEach((tag, i) => {
    add(
      { name: sanitizeLabelName(`tag_${tag}`), source: { kind: 'tag', tag } },
      `custom_prometheus_tags[${i}]`,
    );
  });
  return out;
}

/** Applies the settings to the catalog. Unknown metric or label names fail here, naming them. */
export function selectFamilies(settings: ValidMetricsSettings): Selection {
  const genai = settings.enable_genai_metrics === true;
  const catalog = genai ? [...LITELLM_FAMILIES, ...GENAI_FAMILIES] : [...LITELLM_FAMILIES];
  const byName = new Map(catalog.map((f) => [f.name, f]));
  const customLabels = customLabelsOf(settings);
  const recorded = new Map<string, string[]>();
  for (const f of catalog) {
    const clash = f.customLabels ? customLabels.find((c) => f.labels.includes(c.name)) : undefined;
    if (clash) {
      throw new MetricsConfigError(
        'custom_prometheus_metadata_labels',
        `label ${clash.name} clashes with a default label of ${f.name}`,
      );
    }
    recorded.set(f.name, f.customLabels ? [...f.labels, ...customLabels.map((c) => c.name)] : [...f.labels]);
  }

  const lookup = (name: string, key: string): MetricFamily => {
    const f = byName.get(name);
    if (!f) {
      const alias = catalog.find((x) => x.instrumentName === name);
      const genaiOff = !genai && GENAI_FAMILIES.some((g) => g.name === name);
      const why = alias
        ? `; did you mean ${alias.name}?`
        : genaiOff
          ? ' (the GenAI metrics need enable_genai_metrics: true)'
          : '';
      throw new MetricsConfigError(key, `unknown metric ${name}${why}`);
    }
    return f;
  };

  // prometheus_metrics_config: when present, only the listed metrics are emitted.
  let enabled: Set<string> | undefined;
  const include = new Map<string, Set<string>>();
  (settings.prometheus_metrics_config ?? []).forEach((group, gi) => {
    enabled ??= new Set();
    group.metrics.forEach((m, mi) => {
      const f = lookup(m, `prometheus_metrics_config[${gi}].metrics[${mi}]`);
      enabled!.add(f.name);
      if (group.include_labels) {
        const labels = recorded.get(f.name)!;
        const set = include.get(f.name) ?? new Set<string>();
        group.include_labels.forEach((l, li) => {
          if (!labels.includes(l)) {
            throw new MetricsConfigError(
              `prometheus_metrics_config[${gi}].include_labels[${li}]`,
              `unknown label ${l} for metric ${f.name} (its labels: ${labels.join(', ') || 'none'})`,
            );
          }
          set.add(l);
        });
        include.set(f.name, set);
      }
    });
  });

  const excludedNames = new Set<string>();
  (settings.prometheus_exclude_metrics ?? []).forEach((m, i) => {
    excludedNames.add(lookup(m, `prometheus_exclude_metrics[${i}]`).name);
  });

  const excludeLabels = new Set<string>();
  (settings.prometheus_exclude_labels ?? []).forEach((l, i) => {
    if (![...recorded.values()].some((labels) => labels.includes(l))) {
      throw new MetricsConfigError(
        `prometheus_exclude_labels[${i}]`,
        `unknown label ${l} (it is a label of no metric)`,
      );
    }
    excludeLabels.add(l);
  });

  const latency = settings.prometheus_latency_buckets;
  const families: SelectedFamily[] = [];
  const excluded: MetricFamily[] = [];
  for (const f of catalog) {
    if ((enabled && !enabled.has(f.name)) || excludedNames.has(f.name)) {
      excluded.push(f);
      continue;
    }
    const recordedLabels = recorded.get(f.name)!;
    const inc = include.get(f.name);
    const exportedLabels = recordedLabels.filter((l) => !excludeLabels.has(l) && (!inc || inc.has(l)));
    const buckets = f.type === 'histogram' ? (f.latencyBuckets && latency ? latency : f.buckets) : undefined;
    families.push(
      buckets
        ? { family: f, recordedLabels, exportedLabels, buckets }
        : { family: f, recordedLabels, exportedLabels },
    );
  }
  return {
    families,
    excluded,
    customLabels,
    endUserTracking:
      settings.enable_end_user_cost_tracking_prometheus_only === true || settings.track_end_user === true,
    genai,
  };
}
