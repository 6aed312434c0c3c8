import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failpoint, heldFailpoint } from '../../src/failpoint.js';

describe('failpoint', () => {
  const saved = process.env.TENANTSHIFT_FAILPOINT;
  afterEach(() => {
    if (saved === undefined) delete process.env.TENANTSHIFT_FAILPOINT;
    else process.env.TENANTSHIFT_FAILPOINT = saved;
  });

  it('is a no-op unless its own point is named', async () => {
    process.env.TENANTSHIFT_FAILPOINT = 'Other:throw';
    failpoint('Here');
    await heldFailpoint('Here');
  });

  it('throws at the point named with :throw, held or not', async () => {
    process.env.TENANTSHIFT_FAILPOINT = 'Here:throw';
    assert.throws(() => failpoint('Here'), /failpoint Here/);
    await assert.rejects(heldFailpoint('Here'), /failpoint Here/);
  });

  it('reads several points separated by commas, each with its own action', async () => {
    process.env.TENANTSHIFT_FAILPOINT = 'First:throw,Second:throw';
    assert.throws(() => failpoint('First'), /failpoint First/);
    await assert.rejects(heldFailpoint('Second'), /failpoint Second/);
    failpoint('Third');
  });

  it('parks a held point until its file exists, and a plain point ignores :hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failpoint-'));
    const file = join(dir, 'go:on'); // a path may hold a colon
    process.env.TENANTSHIFT_FAILPOINT = `Here:hold=${file}`;
    try {
      failpoint('Here');
      let released = false;
      const held = heldFailpoint('Here').then(() => (released = true));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(released, false, 'released before the file existed');
      writeFileSync(file, '');
      await held;
      assert.equal(released, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
