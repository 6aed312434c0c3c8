// The CA bundle that verifies RDS server certificates (sslrootcert, for sslmode=verify-full), fetched
// from AWS's public trust store per region and kept in memory; unavailable means "none", never an error.
export const RDS_TRUST_STORE_URL = 'https://truststore.pki.rds.amazonaws.com';

export interface RdsTrustStoreOptions {
  /** Base URL of the trust store; a mirror in air-gapped clusters. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** How long a bundle (or a failure to get one) is remembered. */
  cacheMs?: number;
  now?: () => number;
}

export class RdsTrustStore {
  private readonly cache = new Map<string, { bundle: string | undefined; at: number }>();

  constructor(private readonly opts: RdsTrustStoreOptions = {}) {}

  async bundleFor(region: string): Promise<string | undefined> {
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(region);
    if (hit && now - hit.at < (this.opts.cacheMs ?? 3_600_000)) return hit.bundle;
    const bundle = await this.download(region);
    this.cache.set(region, { bundle, at: now });
    return bundle;
  }

  private async download(region: string): Promise<string | undefined> {
    const base = this.opts.baseUrl ?? RDS_TRUST_STORE_URL;
    try {
      const res = await (this.opts.fetch ?? fetch)(`${base}/${encodeURIComponent(region)}/${encodeURIComponent(region)}-bundle.pem`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) return undefined;
      const pem = await res.text();
      return pem.includes('-----BEGIN CERTIFICATE-----') ? pem : undefined;
    } catch {
      // No network to the trust store: the Secret falls back to sslmode=require, which still encrypts.
      return undefined;
    }
  }
}
