// Reads RDS-managed master passwords (ManageMasterUserPassword) from Secrets Manager, so that a
// LandingZone with masterPassword: aws can still publish its connection Secret.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { registerSecret } from '../redact.js';

/** The LandingZone reconciler's ManagedPasswordReader port, over Secrets Manager (structurally typed: adapters import no reconciler). */
export class SecretsManagerPasswords {
  // One client per region for the life of the reader: they keep connection pools.
  private readonly clients = new Map<string, SecretsManagerClient>();

  constructor(private readonly opts: { endpoint?: string; client?: (region: string) => SecretsManagerClient } = {}) {}

  async read(region: string, secretArn: string): Promise<string> {
    const out = await this.client(region).send(new GetSecretValueCommand({ SecretId: secretArn }));
    // RDS stores {"username": ..., "password": ...}. Anything else is reported without a character of it.
    let parsed: { password?: unknown } | undefined;
    try {
      parsed = JSON.parse(out.SecretString ?? '{}') as { password?: unknown };
    } catch {
      throw new Error(`the RDS-managed secret ${secretArn} is not JSON ({"username": ..., "password": ...} as RDS writes it)`);
    }
    if (typeof parsed?.password !== 'string' || parsed.password === '') {
      throw new Error(`the RDS-managed secret ${secretArn} holds no password`);
    }
    registerSecret(parsed.password);
    return parsed.password;
  }

  private client(region: string): SecretsManagerClient {
    let c = this.clients.get(region);
    if (!c) {
      c = this.opts.client
        ? this.opts.client(region)
        : new SecretsManagerClient({ region, ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}) });
      this.clients.set(region, c);
    }
    return c;
  }
}
