// Event notes never carry credentials.
import assert from 'node:assert/strict';
import { scrubSecrets } from '../../../src/observability/events.js';

describe('runtime: event note scrubbing (observability)', () => {
  it('removes passwords from URLs and key=value pairs', () => {
    assert.equal(scrubSecrets('cannot reach postgresql://app:hunter2@db:5432/wallet'), 'cannot reach postgresql://app:***@db:5432/wallet');
    assert.equal(scrubSecrets('host=db password=hunter2 user=app'), 'host=db password=*** user=app');
    assert.equal(scrubSecrets('{"password": "hunter2"}'), '{"password": "***"}');
    assert.equal(scrubSecrets('Table tenant_a.wallet has no primary key'), 'Table tenant_a.wallet has no primary key');
  });
});
