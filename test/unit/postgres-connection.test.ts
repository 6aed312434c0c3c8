// Connection Secrets: a Secret that names no sslmode never runs `prefer` (which would talk plaintext to
// a server, or a man in the middle, that declines TLS): verify-full with a CA, require without one.
import assert from 'node:assert/strict';
import { isCondition } from '../../src/errors.js';
import { conninfo, connectionFromSecretData, tlsOptions, type ConnectionInfo } from '../../src/postgres/connection.js';

const b64 = (v: string): string => Buffer.from(v).toString('base64');
const secret = (extra: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ host: 'db.example.com', dbname: 'wallet', user: 'op', password: 'pw', ...extra }).map(([k, v]) => [k, b64(v)]),
  );

describe('postgres: connection Secrets and TLS', () => {
  it('defaults a Secret without sslmode to require, never prefer', () => {
    const info = connectionFromSecretData('legacy-db', secret());
    assert.equal(info.sslmode, 'require');
    assert.notEqual(tlsOptions(info), false, 'a Secret without sslmode would start without TLS');
  });
  it('defaults a Secret with a CA but no sslmode to verify-full', () => {
    const info = connectionFromSecretData(
      'legacy-db',
      secret({ sslrootcert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' }),
    );
    assert.equal(info.sslmode, 'verify-full');
  });
  it('keeps an sslmode the Secret names, prefer and disable included', () => {
    assert.equal(connectionFromSecretData('s', secret({ sslmode: 'prefer' })).sslmode, 'prefer');
    assert.equal(connectionFromSecretData('s', secret({ sslmode: 'disable' })).sslmode, 'disable');
  });
  it('uses no TLS on a Unix socket, where PostgreSQL offers none', () => {
    const info = connectionFromSecretData('s', secret({ host: '/var/run/postgresql' }));
    assert.equal(info.sslmode, 'disable');
  });

  const verifying: ConnectionInfo = {
    host: 'legacy.example.com',
    port: 5432,
    dbname: 'wallet',
    user: 'rep',
    password: 'pw',
    sslmode: 'verify-full',
    sslrootcert: 'PEM',
  };
  it('never writes a subscription weaker than verify-full silently: it refuses, naming the key and the spec field', () => {
    const err = (() => {
      try {
        return conninfo(verifying);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(isCondition(err), String(err));
    assert.equal(err.reason, 'SubscriberCannotVerify');
    assert.match(err.message, /subscriber-sslrootcert-path/);
    assert.match(err.message, /subscriptionSslFallback: Require/);
    assert.doesNotMatch(err.message, /pw/);
  });
  it('verifies with the CA file the Secret names for the subscriber, or falls back to require only when the spec says so', () => {
    const withPath = conninfo({ ...verifying, subscriberRootCertPath: '/etc/ssl/legacy-ca.pem' });
    assert.match(withPath, /sslmode='verify-full'/);
    assert.match(withPath, /sslrootcert='\/etc\/ssl\/legacy-ca\.pem'/);
    assert.match(conninfo(verifying, 'Require'), /sslmode='require'/);
    assert.match(conninfo({ ...verifying, sslmode: 'require' }), /sslmode='require'/);
  });
  it('reads subscriber-sslrootcert-path from the Secret and refuses one that is not an absolute one-line path', () => {
    const info = connectionFromSecretData('s', secret({ 'subscriber-sslrootcert-path': '/etc/ssl/ca.pem' }));
    assert.equal(info.subscriberRootCertPath, '/etc/ssl/ca.pem');
    assert.throws(() => connectionFromSecretData('s', secret({ 'subscriber-sslrootcert-path': 'ca.pem' })), /subscriber-sslrootcert-path/);
    assert.throws(
      () => connectionFromSecretData('s', secret({ 'subscriber-sslrootcert-path': "/x' host='evil\n" })),
      /subscriber-sslrootcert-path/,
    );
  });
});
