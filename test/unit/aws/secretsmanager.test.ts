// The RDS-managed master password reader, against a mocked Secrets Manager.
import assert from 'node:assert/strict';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerPasswords } from '../../../src/aws/secretsmanager.js';

describe('SecretsManagerPasswords', () => {
  // Installed only for these tests: the mock patches every SecretsManagerClient in the process.
  let sm: ReturnType<typeof mockClient>;
  beforeEach(() => {
    sm = mockClient(SecretsManagerClient);
  });
  afterEach(() => sm.restore());

  it('reads the password RDS keeps for a managed master user', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1' }).resolves({
      SecretString: '{"username":"postgres","password":"s3cr3t"}',
    });
    const reader = new SecretsManagerPasswords({ client: (region) => new SecretsManagerClient({ region }) });
    assert.equal(await reader.read('eu-west-1', 'arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1'), 's3cr3t');
  });

  it('refuses a secret without a password, naming it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"postgres"}' });
    const reader = new SecretsManagerPasswords({ client: (region) => new SecretsManagerClient({ region }) });
    await assert.rejects(reader.read('eu-west-1', 'arn:x'), /arn:x holds no password/);
  });
});
