// The local stack's AWS: moto's server answering EC2 and RDS on one loopback port.
import { startDaemon, waitUntil } from './process.js';

export const MOTO_REGION = 'eu-west-1';
// moto accepts any credentials; these are the conventional dummies, never real keys.
export const MOTO_ACCESS_KEY_ID = 'testing';
export const MOTO_SECRET_ACCESS_KEY = 'testing';

export function startMoto(motoServer: string, port: number, logFile: string): number {
  return startDaemon({
    name: 'moto',
    command: motoServer,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    logFile,
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
}

export async function waitForMoto(port: number, pid: number, logFile: string): Promise<void> {
  await waitUntil(`moto on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/moto-api/data.json`)).ok, {
    timeoutMs: 60_000,
    pid,
    logFile,
  });
}
