// The one redaction: every shape of credential the operator may meet, and every registered secret,
// is cut from whatever leaves the process; ordinary operator text is left as it is.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { redact, redactDeep, registerSecret, urlPassword } from '../../src/redact.js';
import { createLogger } from '../../src/observability/logger.js';

describe('redaction (src/redact.ts)', () => {
  it('cuts URL passwords, with / or @ inside too', () => {
    assert.equal(redact('cannot reach postgresql://app:hunter2@db:5432/wallet'), 'cannot reach postgresql://app:***@db:5432/wallet');
    assert.equal(redact('url postgres://app:pa/ss@w@rd@db.internal:5432/x failed'), 'url postgres://app:***@db.internal:5432/x failed');
    assert.equal(redact('postgresql://app:p%40ss%2Fw@db/x'), 'postgresql://app:***@db/x');
  });

  it("cuts PASSWORD '...' in SQL, quotes doubled inside", () => {
    assert.equal(redact("ALTER ROLE repl PASSWORD 'it''s s3cret' LOGIN"), "ALTER ROLE repl PASSWORD '***' LOGIN");
    assert.equal(redact("CREATE ROLE r ENCRYPTED PASSWORD 'x'"), "CREATE ROLE r ENCRYPTED PASSWORD '***'");
  });

  it('cuts SCRAM and md5 verifiers, bearer tokens and AWS secret access keys', () => {
    const scram = 'SCRAM-SHA-256$4096:c2FsdHNhbHQ=$c3RvcmVka2V5c3RvcmVka2V5:c2VydmVya2V5c2VydmVya2V5';
    assert.equal(redact(`"app" "${scram}"`), '"app" "SCRAM-SHA-256$***"');
    assert.equal(redact('rolpassword md5a3556571e93b0d20722ba62be61e8c2d'), 'rolpassword md5***');
    assert.equal(redact('Authorization: Bearer abc.DEF-123_x'), 'Authorization: *** ***');
    assert.equal(redact('sent Bearer abc.DEF-123_x to the agent'), 'sent Bearer *** to the agent');
    assert.equal(redact('key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the env'), 'key *** in the env');
  });

  it('cuts key=value and JSON secrets, quoted or not', () => {
    assert.equal(redact("host=db password='a b c' user=app"), 'host=db password=*** user=app');
    assert.equal(redact('host=db password=hunter2 user=app'), 'host=db password=*** user=app');
    assert.equal(redact('{"username":"master","password":"p\\"w"}'), '{"username":"master","password":"***"}');
    assert.equal(redact('AWS_SECRET_ACCESS_KEY=abc123'), 'AWS_SECRET_ACCESS_KEY=***');
    assert.equal(redact('{"SecretString": "not json at all"}'), '{"SecretString": "***"}');
  });

  it('replaces a registered secret wherever it appears, encoded too', () => {
    registerSecret('Canary-7f3a!x/y');
    assert.equal(redact('the server said: Canary-7f3a!x/y is wrong'), 'the server said: *** is wrong');
    assert.equal(redact(`in a URL path ${encodeURIComponent('Canary-7f3a!x/y')}`), 'in a URL path ***');
    assert.equal(redact('extra values: s3cr3t-value', ['s3cr3t-value']), 'extra values: ***');
    registerSecret('abc');
    assert.equal(redact('abc is too short to be registered'), 'abc is too short to be registered');
  });

  it('leaves ordinary operator text alone', () => {
    for (const text of [
      'Table tenant_a.wallet has no primary key',
      'slot ts_tenants_tenant_a at 0/16B3748, lag 0 bytes',
      'commit 2f1c7a9e0b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f',
      'requestToken first; route revision 7; subscriber-sslrootcert-path /etc/ssl/rds.pem',
      'Secret legacy-db: host is not a host name, an IP address or a socket directory',
    ])
      assert.equal(redact(text), text);
  });

  it('redacts every string of a status, keeping keys, numbers and structure', () => {
    const status = {
      conditions: [{ type: 'Ready', message: 'cannot connect to postgresql://u:pw@h/d', observedGeneration: 3 }],
      route: { host: 'db', port: 5432 },
    };
    assert.deepEqual(redactDeep(status), {
      conditions: [{ type: 'Ready', message: 'cannot connect to postgresql://u:***@h/d', observedGeneration: 3 }],
      route: { host: 'db', port: 5432 },
    });
  });

  it("reads a URL's password for registration", () => {
    assert.equal(urlPassword('postgresql://admin:p%40ss@127.0.0.1:6432/pgbouncer'), 'p@ss');
    assert.equal(urlPassword('postgresql://127.0.0.1/x'), undefined);
    assert.equal(urlPassword('not a url'), undefined);
  });

  it("redacts the operator's log lines, every field", () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const log = createLogger({ transports: [new winston.transports.Stream({ stream: out })] });
    registerSecret('Log-Canary-91');
    log.warn('Could not connect to postgresql://app:Log-Canary-91@db/x', {
      error: 'password=Log-Canary-91',
      nested: { v: 'Log-Canary-91' },
    });
    assert.ok(text.length > 0);
    assert.doesNotMatch(text, /Log-Canary-91/);
    assert.match(text, /Could not connect/);
  });
});
