import { posix } from 'node:path';
import { CertificateError } from '../core/errors.js';
import { EMPTY_LISTS, md5Of, PACKAGE_FILES } from './export.js';
import type { FileType, OcfSchemas } from './schemas.js';
import { unzipPackage } from './zip.js';

/** An OCF object as read: its type and id, the rest as the file had it. */
export type ReadObject = Record<string, unknown> & { readonly object_type: string; readonly id: string };

/** What an OCF package holds, checked against its manifest and the schemas. */
export interface OcfContents {
  readonly manifest: Record<string, unknown> & { readonly issuer: { readonly legal_name: string } };
  readonly objects: Readonly<Record<(typeof PACKAGE_FILES)[number]['type'], readonly ReadObject[]>>;
}

function invalid(message: string): CertificateError {
  return new CertificateError('invalid_import', message);
}

function parse(path: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid(`${path} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * The package in a `.ocf.zip`, refused with `invalid_import` naming the first thing wrong: no
 * manifest or two, a file the manifest lists missing or with another MD5, a file or an object its
 * OCF schema rejects, or objects of a kind this ledger does not hold (stock plans, vesting terms,
 * valuations: their lists must be empty).
 */
export function readPackage(zip: Uint8Array, schemas: OcfSchemas): OcfContents {
  const entries = unzipPackage(zip);
  const manifests = [...entries].filter(
    ([path, bytes]) => path.endsWith('.json') && (parse(path, bytes) as { file_type?: unknown } | null)?.file_type === 'OCF_MANIFEST_FILE',
  );
  if (manifests.length !== 1)
    throw invalid(`Expected one OCF manifest (a JSON file with "file_type": "OCF_MANIFEST_FILE") in the zip, found ${manifests.length}`);
  const [manifestPath, manifestBytes] = manifests[0]!;
  const manifest = parse(manifestPath, manifestBytes) as OcfContents['manifest'];
  const manifestProblem = schemas.fileProblem('OCF_MANIFEST_FILE', manifest);
  if (manifestProblem !== undefined) throw invalid(`${manifestPath}: ${manifestProblem}`);
  const base = posix.dirname(manifestPath);
  const read = (type: FileType, list: string): ReadObject[] => {
    const objects: ReadObject[] = [];
    for (const { filepath, md5 } of manifest[list] as Array<{ filepath: string; md5: string }>) {
      const path = posix.normalize(posix.join(base, filepath));
      const bytes = entries.get(path);
      if (bytes === undefined) throw invalid(`${path}, listed in ${list} of the manifest, is not in the zip`);
      const actual = md5Of(bytes);
      if (actual !== md5.toLowerCase())
        throw invalid(`${path}: its MD5 is ${actual}, the manifest says ${md5}: the file was changed or damaged`);
      const file = parse(path, bytes) as { file_type?: unknown; items?: ReadObject[] };
      if (file?.file_type !== type)
        throw invalid(`${path}: file_type ${JSON.stringify(file?.file_type)}, but the manifest lists it in ${list} (${type})`);
      const problem = schemas.fileProblem(type, file);
      if (problem !== undefined) throw invalid(`${path}: ${problem}`);
      objects.push(...file.items!);
    }
    return objects;
  };
  for (const list of [...EMPTY_LISTS, 'financings_files', 'documents_files']) {
    const listed = manifest[list] as unknown[] | undefined;
    if (listed !== undefined && listed.length > 0)
      throw invalid(`${manifestPath}: ${list} lists files; this ledger holds stock certificates only, and imports none`);
  }
  const objects: Partial<Record<(typeof PACKAGE_FILES)[number]['type'], ReadObject[]>> = {};
  for (const { type, list } of PACKAGE_FILES) objects[type] = read(type, list);
  return { manifest, objects: objects as OcfContents['objects'] };
}
