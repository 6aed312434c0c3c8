// The alert rules: valid for Prometheus, each alert fired (and held back) by synthetic series under
// `promtool test rules`, documented in the runbook, and embedded unchanged in the chart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createReplicationMetrics } from '../../../src/observability/replication-metrics.js';
import { ensurePromtool, repoPath, run } from './tools.js';

// Not exported yet: the rules are written against these names so that the alerts work the day they land.
const REQUESTED_METRICS = [
  'tenantshift_cutover_step_seconds',
  'tenantshift_cutover_aborts_total',
  'tenantshift_cutover_retries_exhausted',
  'tenantshift_replication_slot_retention_budget_bytes',
];

const RULES = repoPath('config', 'prometheus', 'tenantshift.rules.yaml');
const RULE_TESTS = repoPath('config', 'prometheus', 'tenantshift.rules.test.yaml');

interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{ alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
  }>;
}

const alerts = (): RuleFile['groups'][number]['rules'] => (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);

describe('packaging: Prometheus rules', function () {
  before(function () {
    this.timeout(600_000); // a fresh machine installs Debian's prometheus package
    ensurePromtool();
  });

  it('pass `promtool check rules`', () => {
    const r = run('promtool', ['check', 'rules', RULES]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('pass `promtool test rules` on synthetic series', () => {
    const r = run('promtool', ['test', 'rules', RULE_TESTS]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('have a test case that fires every alert', () => {
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const fired = new Set(
      tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    const missing = alerts()
      .map((a) => a.alert)
      .filter((name) => name && !fired.has(name));
    assert.deepEqual(missing, []);
  });

  it('give every alert a severity, a summary and a runbook section that exists', () => {
    const runbook = readFileSync(repoPath('docs', 'runbook.md'), 'utf8');
    for (const a of alerts()) {
      assert.ok(a.alert);
      assert.match(a.labels?.severity ?? '', /^(warning|critical)$/, `${a.alert} severity`);
      assert.ok(a.annotations?.summary, `${a.alert} summary`);
      assert.equal(a.annotations?.runbook, `docs/runbook.md#${a.alert.toLowerCase()}`);
      assert.match(runbook, new RegExp(`^## ${a.alert}$`, 'm'), `docs/runbook.md has no section "## ${a.alert}"`);
    }
  });

  it('only use metrics the operator registers, or the cutover metrics requested for it, each described in the runbook', async () => {
    const registry = new Registry();
    createMetrics(registry, { version: 'test' });
    createReplicationMetrics(registry);
    const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(alerts().flatMap((a) => a.expr.match(/\btenantshift_[a-z_]+/g) ?? []));
    const runbook = readFileSync(repoPath('docs', 'runbook.md'), 'utf8');
    for (const metric of used) {
      assert.ok(
        registered.has(metric) || REQUESTED_METRICS.includes(metric),
        `${metric} is neither registered by the operator nor requested`,
      );
      assert.ok(runbook.includes(`\`${metric}\``), `docs/runbook.md does not describe ${metric}`);
    }
  });

  it('are embedded unchanged in the chart', () => {
    assert.equal(
      readFileSync(repoPath('charts', 'tenantshift', 'files', 'prometheus', 'tenantshift.rules.yaml'), 'utf8'),
      readFileSync(RULES, 'utf8'),
      'charts/tenantshift/files/prometheus/tenantshift.rules.yaml differs from config/prometheus/tenantshift.rules.yaml: cp ' +
        'config/prometheus/tenantshift.rules.yaml charts/tenantshift/files/prometheus/',
    );
  });
});
