// The shared lock table and a move's fence: the fence locks every table and partition of a tenant in
// one transaction, so a server whose lock table cannot hold them would abort every move.
import type { Finding, PreflightInput } from './preflight.js';

/** The shared lock table: max_locks_per_transaction x (max_connections + max_prepared_transactions) entries. */
export interface LockTable {
  perTransaction: number;
  sessions: number;
}

/** Columns for a settings query the preflight already runs on each server: read with `lockTableOf`. */
export const LOCK_TABLE_COLUMNS = `current_setting('max_locks_per_transaction')::int AS lock_per,
            current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int AS lock_sessions`;

export function lockTableOf(row: { lock_per?: number; lock_sessions?: number } | undefined): LockTable {
  return { perTransaction: row?.lock_per ?? 64, sessions: row?.lock_sessions ?? 100 };
}

/**
 * A move's fence locks every table and partition of the tenant in one transaction on the side giving
 * it up (the source at a switch, the target at a rollback), in the lock table every session shares.
 * Warned when the tenant would take more than half of it: the fence would fail with "out of shared
 * memory" under the workload's own locks, and every move would abort.
 */
export function lockTableRoom({ source, target, inventory }: Pick<PreflightInput, 'source' | 'target' | 'inventory'>): Finding | undefined {
  const relations = inventory.tables.length;
  const short = (['source', 'target'] as const)
    .map((side) => ({ side, locks: (side === 'source' ? source : target).locks }))
    .filter((s): s is { side: 'source' | 'target'; locks: LockTable } => s.locks !== undefined)
    .filter(({ locks }) => relations * 2 > locks.perTransaction * locks.sessions);
  if (short.length === 0) return undefined;
  const detail = short
    .map(
      ({ side, locks }) =>
        `the ${side}'s holds ${locks.perTransaction * locks.sessions} (max_locks_per_transaction ${locks.perTransaction} x ` +
        `${locks.sessions} sessions): raise max_locks_per_transaction there to at least ${Math.ceil((relations * 2) / locks.sessions)}`,
    )
    .join('; ');
  return {
    reason: 'LockTableTooSmall',
    blocking: false,
    message:
      `a move's fence locks the tenant's ${relations} tables and partitions in one transaction, in the lock table every session ` +
      `shares; ${detail} (a restart; on RDS a static parameter of the parameter group)`,
  };
}
