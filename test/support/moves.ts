// The shape the move-safety tests share: a tenant ready to move, traffic through PgBouncer and a
// writer around it, and, after the move, the side given up closed and the serving side's book exact.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { TrafficReport, WalletTraffic } from '../../src/devstack/traffic.js';
import { until } from './operator.js';
import { appCanWrite, assertBooksOn, type TenantFixture } from './tenant.js';

export interface MoveTraffic {
  pooled: WalletTraffic;
  bypass: WalletTraffic;
}

/** Replication streaming, a TenantCutover (1.5 s budget, 1 s backoff) owning its route. */
export async function readyToMove(t: TenantFixture, attempts = 3): Promise<void> {
  await t.createReplication();
  await t.createCutover({ maxWritePause: '1500ms', retry: { attempts, backoff: '1s' } });
  await t.waitRouteOwned();
}

/** Wallet traffic through every PgBouncer replica, and two writers connected straight to the source. */
export async function trafficAroundPgBouncer(t: TenantFixture): Promise<MoveTraffic> {
  const pooled = t.walletTraffic();
  const bypass = t.walletTraffic(2, t.directAppConnection('source'));
  await until('traffic through PgBouncer and around it', () => pooled.count > 100 && bypass.count > 100, 60_000);
  return { pooled, bypass };
}

/** The target serves: the source refuses the application's writes, traffic flows, every acknowledged transfer is there once. */
export async function assertServedByTarget(t: TenantFixture, traffic: MoveTraffic, pooledRefusals?: RegExp): Promise<TrafficReport> {
  const accounts = `${pg.escapeIdentifier(t.wallet)}.accounts`;
  assert.equal(await appCanWrite(t.db.source, accounts), false, 'the side given up takes the application’s writes');
  const moved = traffic.pooled.count;
  await until('traffic on the target', () => traffic.pooled.count > moved + 100, 60_000);
  return assertBooksOn(t, 'target', traffic.pooled, traffic.bypass, pooledRefusals);
}
