import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The secret the suite's instances share (CLUSTER_SECRET_FILE): a fixture, made per run. */
export const TEST_CLUSTER_SECRET = `test cluster secret ${process.pid} ${Date.now()} padded to be long enough`;

let file: string | undefined;

/** A file holding TEST_CLUSTER_SECRET, for processes started with CLUSTER_SECRET_FILE. */
export function clusterSecretFile(secret = TEST_CLUSTER_SECRET): string {
  if (secret === TEST_CLUSTER_SECRET && file !== undefined) return file;
  const path = join(mkdtempSync(join(tmpdir(), 'cluster-secret-')), 'secret');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  if (secret === TEST_CLUSTER_SECRET) file = path;
  return path;
}
