import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexColumns } from '../core/certificate-index.js';
import type { StateSnapshot } from '../core/log-state.js';

// Version 2: remembered keys are scoped per principal (src/core/provenance.ts) and an anchor's
// fingerprint holds the principal and request id. A version-1 file is refused, and the log is read
// from its start once: slower that one time, never wrong.
const MAGIC = Buffer.from('CERTIFICATES-STATE-2\n');
const DIGEST_BYTES = 32;

/** The part of a snapshot that is JSON; the columns follow it as raw bytes, in this order. */
interface Header extends Omit<StateSnapshot, 'indexes'> {
  readonly topic: string;
  readonly indexes: ReadonlyArray<{
    readonly code: string;
    readonly count: number;
    readonly nameBytes: number;
    readonly issuedAtTexts: IndexColumns['issuedAtTexts'];
  }>;
}

export type Loaded = { readonly snapshot: StateSnapshot } | { readonly snapshot?: undefined; readonly reason: string };

/** SHA-256 of the parts, a slice at a time: hundreds of megabytes must not hold the event loop at once. */
async function digestOf(parts: readonly Buffer[]): Promise<Buffer> {
  const SLICE = 4 * 1024 * 1024;
  const digest = createHash('sha256');
  for (const part of parts) {
    for (let at = 0; at < part.length; at += SLICE) {
      digest.update(part.subarray(at, at + SLICE));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return digest.digest();
}

const bytes = (array: Float64Array | Uint8Array): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/**
 * One file per topic in a directory of the instance's own: the log state as of an offset, so that a
 * restart reads only what came after it. Written whole to a temporary file, flushed, then renamed
 * over the last one, so a crash leaves the previous snapshot or the new one, never half of one; a
 * SHA-256 over the content catches a file damaged since.
 */
export class SnapshotFile {
  readonly path: string;

  constructor(
    private readonly dir: string,
    private readonly topic: string,
  ) {
    this.path = join(dir, `${topic}.state`);
  }

  async save(snapshot: StateSnapshot): Promise<number> {
    const header: Header = {
      ...snapshot,
      topic: this.topic,
      indexes: snapshot.indexes.map(({ code, columns }) => ({
        code,
        count: columns.totals.length,
        nameBytes: columns.names.length,
        issuedAtTexts: columns.issuedAtTexts,
      })),
    };
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    const parts: Buffer[] = [MAGIC, length, json];
    for (const { columns } of snapshot.indexes) {
      parts.push(bytes(columns.totals), bytes(columns.issuedAtMs), bytes(columns.nameStarts), bytes(columns.names));
    }
    parts.push(await digestOf(parts));
    await mkdir(this.dir, { recursive: true });
    // A name of its own: instances may share the directory (their snapshots of one log are alike).
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writev(parts);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    return parts.reduce((sum, part) => sum + part.length, 0);
  }

  /**
   * The snapshot, or why there is none to use; never throws. Each column is read from the file
   * straight into an array of its own, so loading holds the state once, not the file and a copy.
   */
  async load(): Promise<Loaded> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (error) {
      return { reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no snapshot yet' : `unreadable: ${String(error)}` };
    }
    try {
      const size = (await file.stat()).size;
      const digest = createHash('sha256');
      let at = 0;
      const next = async (into: Uint8Array): Promise<void> => {
        if (at + into.length > size - DIGEST_BYTES) throw new Error('shorter than its header says');
        const { bytesRead } = await file.read(into, 0, into.length, at);
        if (bytesRead !== into.length) throw new Error('shorter than its header says');
        digest.update(into);
        at += into.length;
      };
      const prefix = Buffer.alloc(MAGIC.length + 4);
      await next(prefix);
      if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return { reason: 'not a snapshot of this version' };
      const json = Buffer.alloc(prefix.readUInt32LE(MAGIC.length));
      await next(json);
      const header = JSON.parse(json.toString('utf8')) as Header;
      if (header.topic !== this.topic) return { reason: `written for topic ${header.topic}` };
      const indexes = [];
      for (const { code, count, nameBytes, issuedAtTexts } of header.indexes) {
        const columns = {
          totals: new Float64Array(count),
          issuedAtMs: new Float64Array(count),
          nameStarts: new Float64Array(count + 1),
          names: new Uint8Array(nameBytes),
          issuedAtTexts,
        };
        for (const column of [columns.totals, columns.issuedAtMs, columns.nameStarts, columns.names]) await next(bytes(column));
        indexes.push({ code, columns });
      }
      const stored = Buffer.alloc(DIGEST_BYTES);
      await file.read(stored, 0, DIGEST_BYTES, at);
      if (at + DIGEST_BYTES !== size) return { reason: 'damaged (sizes differ)' };
      if (!digest.digest().equals(stored)) return { reason: 'damaged (digest differs)' };
      const { classes, keyWindow, end, voids, progress, anchor, keys } = header;
      return { snapshot: { classes, keyWindow, end, voids, progress, anchor, keys, indexes } };
    } catch (error) {
      return { reason: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      await file.close();
    }
  }
}
