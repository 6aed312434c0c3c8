// When a SchemaReplication's validation is due (a new request token, or its schedule), and which report ConfigMap is its own.
import assert from 'node:assert/strict';
import type { SchemaReplication } from '../../../src/api/index.js';
import { reportOwnedBy, validationDue } from '../../../src/controllers/validation.js';

const base = (
  annotations: Record<string, string> = {},
  status: SchemaReplication['status'] = {},
  interval?: string,
): SchemaReplication => ({
  apiVersion: 'tenantshift.io/v1alpha1',
  kind: 'SchemaReplication',
  metadata: { name: 'a', namespace: 'n', annotations },
  spec: {
    tenant: 'a',
    source: { secretRef: { name: 's' } },
    target: { secretRef: { name: 't' } },
    schemas: ['x'],
    ...(interval ? { validationInterval: interval } : {}),
  },
  status,
});

describe('validationDue', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('runs once per new annotation value', () => {
    assert.deepEqual(validationDue(base({ 'tenantshift.io/validate': '1' }), now), { due: true, token: '1' });
    assert.equal(
      validationDue(
        base({ 'tenantshift.io/validate': '1' }, { validation: { state: 'Done', requestToken: '1', finishedAt: '2026-11-25T11:59:00Z' } }),
        now,
      ).due,
      false,
    );
  });
  it('follows spec.validationInterval from the last finished run', () => {
    assert.equal(validationDue(base({}, {}, '1h'), now).due, true);
    assert.equal(validationDue(base({}, { validation: { state: 'Done', finishedAt: '2026-11-25T11:30:00Z' } }, '1h'), now).due, false);
    assert.equal(validationDue(base({}, { validation: { state: 'Done', finishedAt: '2026-11-25T10:59:00Z' } }, '1h'), now).due, true);
  });
  it('runs once after a switch, over the reverse replication', () => {
    assert.equal(
      validationDue(
        base({}, { targetServingSince: '2026-11-25T11:50:00Z', validation: { state: 'Done', finishedAt: '2026-11-25T11:00:00Z' } }),
        now,
      ).due,
      true,
    );
    assert.equal(
      validationDue(
        base({}, { targetServingSince: '2026-11-25T11:50:00Z', validation: { state: 'Done', finishedAt: '2026-11-25T11:55:00Z' } }),
        now,
      ).due,
      false,
    );
  });
  it('never runs without a request or a schedule', () => {
    assert.equal(validationDue(base(), now).due, false);
  });
});

describe("validation report ConfigMap: only the replication's own is written", () => {
  it('is owned when an ownerReference names the replication', () => {
    assert.equal(reportOwnedBy({ ownerReferences: [{ uid: 'u1' }] }, 'u1'), true);
    assert.equal(
      reportOwnedBy({ ownerReferences: [{ uid: 'u2' }], labels: { 'app.kubernetes.io/managed-by': 'tenantshift' } }, 'u1'),
      false,
    );
  });
  it("adopts an earlier version's unowned report, never an unlabelled or foreign ConfigMap", () => {
    assert.equal(reportOwnedBy({ labels: { 'app.kubernetes.io/managed-by': 'tenantshift' } }, 'u1'), true);
    assert.equal(reportOwnedBy({ labels: { 'app.kubernetes.io/managed-by': 'helm' } }, 'u1'), false);
    assert.equal(reportOwnedBy({}, 'u1'), false);
    assert.equal(reportOwnedBy(undefined, 'u1'), false);
  });
});
