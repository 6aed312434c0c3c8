// `tenantshift validate` arguments: URLs to connection settings (sslmode honoured, passwords never
// echoed), flags to engine options, usage errors.
import assert from 'node:assert/strict';
import { connectionFromUrl, parseValidateArgs, runValidate } from '../../../src/cli/validate.js';

function capture(): { out: string[]; err: string[]; io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (s: string) => out.push(s) > 0 }, stderr: { write: (s: string) => err.push(s) > 0 } } };
}

describe('validation: CLI arguments', () => {
  it('reads a URL into connection settings, decoding the password and honouring sslmode', () => {
    const info = connectionFromUrl('postgresql://ops:p%40ss%2Fword@db.example:6432/wallet?sslmode=require', '--source');
    assert.deepEqual(info, { host: 'db.example', port: 6432, dbname: 'wallet', user: 'ops', password: 'p@ss/word', sslmode: 'require' });
    assert.equal(connectionFromUrl('postgres://u:p@[::1]/d', '--target').host, '::1');
  });

  it('refuses bad URLs without repeating them', () => {
    for (const url of ['not a url s3cret', 'http://u:s3cret@h/d', 'postgresql://u:s3cret@h/d?sslmode=sometimes']) {
      assert.throws(
        () => connectionFromUrl(url, '--source'),
        (e: Error) => e.message.includes('--source') && !e.message.includes('s3cret'),
      );
    }
  });

  it('maps flags to engine options: repeated schemas, live detection unless told otherwise', () => {
    const parsed = parseValidateArgs([
      '--source',
      'postgresql://u:p@h/d',
      '--target',
      'postgresql://u:p@t/d',
      '--schema',
      'a',
      '--schema',
      'B c',
      '--rate',
      '5000',
      '--parallelism',
      '3',
    ]);
    assert.notEqual(parsed, 'help');
    if (parsed === 'help') return;
    assert.deepEqual(parsed.options.schemas, ['a', 'B c']);
    assert.equal(parsed.options.liveReplication, 'auto');
    assert.deepEqual(parsed.options.rateLimit, { rowsPerSecond: 5000 });
    assert.equal(parsed.options.parallelism, 3);
    const fixed = parseValidateArgs(['--source', 'postgresql://h/d', '--target', 'postgresql://t/d', '--schema', 'a', '--slot', 'ts_x']);
    assert.deepEqual(fixed !== 'help' && fixed.options.liveReplication, { slotName: 'ts_x', publisher: 'source' });
    const staticRun = parseValidateArgs(['--source', 'postgresql://h/d', '--target', 'postgresql://t/d', '--schema', 'a', '--no-live']);
    assert.equal(staticRun !== 'help' && staticRun.options.liveReplication, false);
  });

  it('exits 2 with usage on missing arguments, and 0 with --help', async () => {
    const c = capture();
    assert.equal(await runValidate(['--source', 'postgresql://u:s3cret@h/d', '--target', 'postgresql://u:s3cret@t/d'], c.io), 2);
    assert.match(c.err.join(''), /name at least one --schema/);
    assert.doesNotMatch(c.err.join(''), /s3cret/);
    const h = capture();
    assert.equal(await runValidate(['--help'], h.io), 0);
    assert.match(h.out.join(''), /Exit status: 0 identical, 1 different, 2 could not compare/);
  });

  it('exits 2 when a server cannot be reached, without printing the password', async () => {
    const c = capture();
    const code = await runValidate(
      [
        '--source',
        'postgresql://u:s3cret@127.0.0.1:1/d?sslmode=disable',
        '--target',
        'postgresql://u:s3cret@127.0.0.1:1/d?sslmode=disable',
        '--schema',
        'a',
      ],
      c.io,
    );
    assert.equal(code, 2);
    assert.match(c.err.join(''), /could not compare: cannot connect to the source/);
    assert.doesNotMatch(c.err.join(''), /s3cret/);
  });
});
