// PostgreSQL failures classified at the adapter: the SQLSTATE table, conditions of the world with their
// reasons, and everything unknown retried with backoff.
import assert from 'node:assert/strict';
import { isCondition, OperatorError } from '../../src/errors.js';
import { classifyPgError, codeForSqlState, hasSqlState, openSession, sqlState, SqlState } from '../../src/postgres/errors.js';

const pgError = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('postgres: error classification', () => {
  it('reads a SQLSTATE only from a five-character code', () => {
    assert.equal(sqlState(pgError('42501')), '42501');
    assert.equal(sqlState(pgError('ECONNREFUSED')), undefined);
    assert.equal(sqlState(undefined), undefined);
    assert.ok(hasSqlState(pgError(SqlState.lockNotAvailable), 'lockNotAvailable'));
    assert.ok(hasSqlState(pgError('42P07'), 'duplicateSchema', 'duplicateTable'));
    assert.ok(!hasSqlState(pgError('42P07'), 'duplicateObject'));
  });
  it('maps authentication and privileges to conditions of the world, the rest to retries', () => {
    assert.equal(codeForSqlState('28P01'), 'condition');
    assert.equal(codeForSqlState('42501'), 'condition');
    assert.equal(codeForSqlState('53300'), 'throttled');
    assert.equal(codeForSqlState('40001'), 'transient');
    assert.equal(codeForSqlState('XX000'), 'transient');
    assert.equal(codeForSqlState(undefined), 'transient');
  });
  it('keeps the cause and names what was being done', () => {
    const cause = pgError('42501', 'permission denied for table wallets');
    const e = classifyPgError(cause, 'revoking writes on the source');
    assert.ok(isCondition(e));
    assert.equal(e.reason, 'PermissionDenied');
    assert.equal(e.cause, cause);
    assert.match(e.message, /^revoking writes on the source: permission denied/);
    const passthrough = new OperatorError('conflict', 'x');
    assert.equal(classifyPgError(passthrough, 'y'), passthrough);
  });
  it('says what to look for when the operator’s own lock_timeout or statement_timeout ended a statement', () => {
    const lock = classifyPgError(pgError('55P03', 'canceling statement due to lock timeout'), 'adding public.hot to the publication');
    assert.equal(lock.code, 'transient');
    assert.match(
      lock.message,
      /^adding public\.hot to the publication: canceling statement due to lock timeout \(.*lock_timeout.*pg_locks/,
    );
    const slow = classifyPgError(pgError('57014', 'canceling statement due to statement timeout'), 'creating the subscription');
    assert.equal(slow.code, 'transient');
    assert.match(slow.message, /statement_timeout.*pg_stat_activity/);
    assert.doesNotMatch(classifyPgError(pgError('42P07'), 'x').message, /\(/);
  });
  it('turns a refused connection into ConnectionFailed, checked again later', async () => {
    const info = { host: '127.0.0.1', port: 1, dbname: 'wallet', user: 'op', password: 'secret-pw', sslmode: 'disable' as const };
    const err = await openSession(info, 'source').then(
      () => assert.fail('connected to port 1'),
      (e: unknown) => e,
    );
    assert.ok(isCondition(err));
    assert.equal(err.reason, 'ConnectionFailed');
    assert.ok(err.retryAfterMs > 0);
    assert.match(err.message, /cannot connect to the source 127\.0\.0\.1:1\/wallet as op/);
    assert.doesNotMatch(err.message, /secret-pw/);
  });
});
