import { unzipSync, zipSync, type Zippable } from 'fflate';
import { CertificateError } from '../core/errors.js';
import type { OcfFile } from './export.js';

/** What an import takes at most: a package is a handful of JSON files. */
export const ZIP_LIMITS = {
  /** The zip itself. */
  maxZipBytes: 256 * 1024 * 1024,
  maxFiles: 64,
  /** One file, and all of them, uncompressed (as the zip's directory states them: nothing larger is inflated). */
  maxFileBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
} as const;

/** The package as a `.ocf.zip`, deflated. */
export function zipPackage(files: readonly OcfFile[]): Uint8Array {
  const entries: Zippable = {};
  for (const { path, bytes } of files) entries[path] = bytes;
  return zipSync(entries, { level: 6 });
}

function invalid(message: string): CertificateError {
  return new CertificateError('invalid_import', message);
}

/** The files a `.ocf.zip` holds, by path; refuses a zip past ZIP_LIMITS before inflating anything. */
export function unzipPackage(zip: Uint8Array): Map<string, Uint8Array> {
  if (zip.byteLength > ZIP_LIMITS.maxZipBytes)
    throw invalid(`The zip is ${zip.byteLength} bytes; at most ${ZIP_LIMITS.maxZipBytes} are taken`);
  let count = 0;
  let total = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip, {
      filter: ({ name, originalSize }) => {
        count += 1;
        total += originalSize;
        if (count > ZIP_LIMITS.maxFiles) throw invalid(`The zip holds more than ${ZIP_LIMITS.maxFiles} files`);
        if (originalSize > ZIP_LIMITS.maxFileBytes || total > ZIP_LIMITS.maxTotalBytes)
          throw invalid(
            `${name} is ${originalSize} bytes uncompressed; at most ${ZIP_LIMITS.maxFileBytes} a file and ${ZIP_LIMITS.maxTotalBytes} in all are taken`,
          );
        return !name.endsWith('/');
      },
    });
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw invalid(`The file is not a zip that can be read: ${(error as Error).message}`);
  }
  return new Map(Object.entries(entries));
}
