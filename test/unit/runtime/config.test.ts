// Operator configuration: defaults, flags over env, and clear refusals.
import assert from 'node:assert/strict';
import { parseDurationMs } from '../../../src/api/duration.js';
import { parseInterval } from '../../../src/cli/plugin.js';
import { ConfigError, loadOperatorConfig, parseDuration } from '../../../src/runtime/config.js';

const NO_FILE = '/nonexistent/namespace';

describe('runtime: config', () => {
  it('has the documented defaults', () => {
    const c = loadOperatorConfig([], { TENANTSHIFT_OPERATOR_NAMESPACE: 'tenantshift-system' }, NO_FILE);
    assert.deepEqual(c.namespaces, []);
    assert.equal(c.health.port, 8081);
    assert.equal(c.resyncPeriodMs, 60_000);
    assert.equal(c.lease.namespace, 'tenantshift-system');
    assert.equal(c.lease.name, 'tenantshift-operator');
    assert.deepEqual([c.lease.durationMs, c.lease.renewDeadlineMs, c.lease.retryPeriodMs], [15_000, 10_000, 2_000]);
    assert.ok(c.identity.length > 0);
    assert.equal(c.kubeconfig, undefined);
  });

  it('reads env and lets flags win', () => {
    const env = {
      TENANTSHIFT_OPERATOR_NAMESPACE: 'ops',
      TENANTSHIFT_HEALTH_PORT: '9000',
      TENANTSHIFT_IDENTITY: 'from-env',
      TENANTSHIFT_WATCH_NAMESPACES: 'a, b',
    };
    const c = loadOperatorConfig(
      ['--identity', 'from-flag', '--lease-duration=3s', '--renew-deadline', '2s', '--retry-period', '500ms', '--kubeconfig', '/k'],
      env,
      NO_FILE,
    );
    assert.equal(c.identity, 'from-flag');
    assert.equal(c.health.port, 9000);
    assert.deepEqual(c.namespaces, ['a', 'b']);
    assert.deepEqual([c.lease.durationMs, c.lease.renewDeadlineMs, c.lease.retryPeriodMs], [3000, 2000, 500]);
    assert.equal(c.kubeconfig, '/k');
  });

  it('refuses a missing lease namespace, bad durations and inconsistent lease timings', () => {
    assert.throws(() => loadOperatorConfig([], {}, NO_FILE), /TENANTSHIFT_OPERATOR_NAMESPACE/);
    const env = { TENANTSHIFT_OPERATOR_NAMESPACE: 'ops' };
    assert.throws(() => loadOperatorConfig(['--resync-period', '60'], env, NO_FILE), ConfigError);
    assert.throws(() => loadOperatorConfig(['--lease-duration', '2s', '--renew-deadline', '3s'], env, NO_FILE), /renew-deadline/);
    assert.throws(() => loadOperatorConfig(['--workers', '0'], env, NO_FILE), /--workers/);
    assert.throws(() => loadOperatorConfig(['--bogus', '1'], env, NO_FILE), /Unknown option --bogus/);
    assert.throws(() => loadOperatorConfig(['--log-level', 'loud'], env, NO_FILE), /log-level/);
  });

  it('parses durations in the API grammar, as the CRDs and the plugin do', () => {
    assert.equal(parseDuration('500ms', 'x'), 500);
    assert.equal(parseDuration('1m30s', 'x'), 90_000);
    assert.equal(parseDuration('2m', 'x'), 120_000);
    assert.throws(() => parseDuration('5', 'x'), ConfigError);
    assert.throws(() => parseDuration('1.5s', 'x'), /--x|x must be a duration/);
  });

  it('accepts and refuses the same duration strings as the API and the plugin', () => {
    for (const text of ['500ms', '2s', '1m30s', '1h', '100ms', '5', '1.5s', '2d', '', ' s', '1m30']) {
      let api: number | undefined;
      try {
        api = parseDurationMs(text);
      } catch {
        api = undefined;
      }
      let flag: number | undefined;
      try {
        flag = parseDuration(text, 'x');
      } catch {
        flag = undefined;
      }
      assert.equal(flag, api, `operator flag and API disagree on "${text}"`);
      const interval = parseInterval(text);
      assert.equal(interval, api !== undefined && api >= 100 ? api : undefined, `plugin --interval and API disagree on "${text}"`);
    }
  });

  it('limits initial copies per source: 4 by default, a positive integer from the flag or the environment', () => {
    const env = { TENANTSHIFT_OPERATOR_NAMESPACE: 'ops' };
    assert.equal(loadOperatorConfig([], env, NO_FILE).maxInitialCopiesPerSource, 4);
    const fromEnv = { ...env, TENANTSHIFT_MAX_INITIAL_COPIES_PER_SOURCE: '2' };
    assert.equal(loadOperatorConfig([], fromEnv, NO_FILE).maxInitialCopiesPerSource, 2);
    assert.equal(loadOperatorConfig(['--max-initial-copies-per-source', '7'], fromEnv, NO_FILE).maxInitialCopiesPerSource, 7);
    for (const bad of ['0', '-1', '1.5', 'many']) {
      assert.throws(
        () => loadOperatorConfig([`--max-initial-copies-per-source=${bad}`], env, NO_FILE),
        /--max-initial-copies-per-source must be a positive integer/,
      );
    }
  });

  it('reads the route agents of each pool (none declared by default) and refuses a malformed list', () => {
    const env = { TENANTSHIFT_OPERATOR_NAMESPACE: 'ops' };
    assert.deepEqual(loadOperatorConfig([], env, NO_FILE).routeAgents, {});
    assert.deepEqual(loadOperatorConfig([], { ...env, TENANTSHIFT_ROUTE_AGENTS: 'main=3, eu=2' }, NO_FILE).routeAgents, { main: 3, eu: 2 });
    assert.deepEqual(loadOperatorConfig(['--route-agents', 'local=2'], env, NO_FILE).routeAgents, { local: 2 });
    assert.throws(() => loadOperatorConfig(['--route-agents', 'main'], env, NO_FILE), /pool=count pairs/);
    assert.throws(() => loadOperatorConfig(['--route-agents', 'main=3=2'], env, NO_FILE), /pool=count pairs/);
    assert.throws(() => loadOperatorConfig(['--route-agents', 'main=0'], env, NO_FILE), /--route-agents main must be a positive integer/);
  });

  it('refuses a flag without its value and a stray argument', () => {
    const env = { TENANTSHIFT_OPERATOR_NAMESPACE: 'ops' };
    assert.throws(() => loadOperatorConfig(['--workers'], env, NO_FILE), /Option --workers needs a value/);
    assert.throws(() => loadOperatorConfig(['stray'], env, NO_FILE), /Unexpected argument "stray"/);
  });

  it('answers --help without requiring anything else', () => {
    assert.equal(loadOperatorConfig(['--help'], {}, NO_FILE).help, true);
  });
});
