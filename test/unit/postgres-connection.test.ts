// Connection Secrets: a Secret that names no sslmode never runs `prefer` (which would talk plaintext to
// a server, or a man in the middle, that declines TLS): verify-full with a CA, require without one.
import assert from 'node:assert/strict';
import { connectionFromSecretData, tlsOptions } from '../../src/postgres/connection.js';

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
});
