// The local stack's listening ports come from outside the kernel's ephemeral range, so an outgoing
// connection can never take a daemon's port between the probe and its bind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { freePort, listeningPortRange } from '../../src/devstack/process.js';

function ephemeral(): [number, number] {
  const file = '/proc/sys/net/ipv4/ip_local_port_range';
  const [low, high] = existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).map(Number) : [32_768, 60_999];
  return [low ?? 32_768, high ?? 60_999];
}

describe('devstack: listening ports', () => {
  it('picks below the ephemeral range, else above it', () => {
    assert.deepEqual(listeningPortRange([32_768, 60_999]), [20_000, 32_767]);
    assert.deepEqual(listeningPortRange([15_000, 50_000]), [50_001, 65_535]);
    assert.deepEqual(listeningPortRange([1_024, 65_000]), [1_024, 65_000]);
  });
  it('hands out distinct ports outside the ephemeral range', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    assert.equal(new Set(ports).size, ports.length);
    const [low, high] = ephemeral();
    for (const p of ports) assert.ok(p < low || p > high || listeningPortRange([low, high])[0] === low, `port ${p} is ephemeral`);
  });
});
