import assert from 'node:assert/strict';
import { AGENT_FAILPOINTS, describePlan, drawMove, moveSeed, OPERATOR_FAILPOINTS, random } from '../../torture/draw.js';
import { clientErrorViolations } from '../../torture/checks.js';

describe('torture plans', () => {
  it('draws the same plan from the same seed and side (a failure replays)', () => {
    for (let i = 0; i < 200; i++) {
      const seed = moveSeed(42, i);
      assert.deepEqual(drawMove(seed, 'source'), drawMove(seed, 'source'));
      assert.deepEqual(drawMove(seed, 'target'), drawMove(seed, 'target'));
    }
  });

  it('draws every move kind and fault kind over a campaign, and only moves the side can make', () => {
    const kinds = new Set<string>();
    const faults = new Set<string>();
    let doubled = 0;
    for (let i = 0; i < 500; i++) {
      const from = i % 2 === 0 ? 'source' : 'target';
      const plan = drawMove(moveSeed(7, i), from);
      kinds.add(plan.kind);
      for (const f of plan.faults) faults.add(f.kind);
      assert.notEqual(plan.kind, from === 'source' ? 'rollback' : 'switch', describePlan(plan));
      for (const f of plan.faults) {
        if (f.kind === 'operator-failpoint') assert.ok(OPERATOR_FAILPOINTS.includes(f.point as never));
        if (f.kind === 'agent-failpoint') assert.ok(AGENT_FAILPOINTS.includes(f.point));
      }
      if (plan.faults.length === 2) {
        doubled++;
        const [a, b] = plan.faults.map((f) => f.kind);
        assert.ok(a !== 'none' && b !== 'none' && !b?.endsWith('-failpoint'), describePlan(plan));
        const family = (k?: string) => (k?.startsWith('operator') || k === 'leadership-change' ? 'operator' : k?.split('-')[0]);
        assert.notEqual(family(a), family(b), `two faults of one family: ${describePlan(plan)}`);
      }
      assert.ok(plan.faults.length === 1 || plan.faults.length === 2);
    }
    assert.deepEqual([...kinds].sort(), ['abort', 'rehearsal', 'rollback', 'switch']);
    assert.equal(faults.size, 9);
    assert.ok(doubled > 80 && doubled < 200, `${doubled} of 500 moves with two faults (a third of the 400 with one)`);
  });

  it('gives distinct seeds to the moves of a campaign and numbers in [0, 1) from the generator', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => moveSeed(1, i)));
    assert.equal(seeds.size, 1000);
    const next = random(3);
    for (let i = 0; i < 1000; i++) {
      const x = next();
      assert.ok(x >= 0 && x < 1);
    }
  });

  it('lets clients see only the errors the docs allow under the fault', () => {
    const report = (pooled: string[], bypass: string[] = []) => ({
      pooled: { acknowledged: [], uncertain: [], maxLatencyMs: 0, failures: pooled.map((message) => ({ at: 0, message })) },
      bypass: { acknowledged: [], uncertain: [], maxLatencyMs: 0, failures: bypass.map((message) => ({ at: 0, message })) },
      counters: { acknowledged: [], uncertain: [], failures: [] },
    });
    assert.deepEqual(clientErrorViolations(report([], ['permission denied for table accounts']), [{ kind: 'none' }]), []);
    assert.equal(clientErrorViolations(report(['permission denied for table accounts']), [{ kind: 'none' }]).length, 1);
    assert.deepEqual(
      clientErrorViolations(report(['permission denied for table accounts']), [{ kind: 'operator-kill', atMs: 0, downMs: 0 }]),
      [],
    );
    const restart = [{ kind: 'pgbouncer-restart', atMs: 0, replica: 0, downMs: 0 } as const];
    assert.deepEqual(clientErrorViolations(report(['Connection terminated unexpectedly']), restart), []);
    // node-pg's word for a query on a connection that broke (seed 0x5a17a513, a PgBouncer restart).
    assert.deepEqual(clientErrorViolations(report(['Client has encountered a connection error and is not queryable']), restart), []);
    assert.equal(clientErrorViolations(report(['duplicate key value violates unique constraint']), restart).length, 1);
  });
});
