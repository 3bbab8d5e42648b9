import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexColumns } from '../core/certificate-index.js';
import type { StateSnapshot } from '../core/log-state.js';
import { stateDirectory } from './state-key.js';

// Version 2 carried a keyed MAC where version 1 had a plain digest, and scoped remembered keys per
// principal (src/core/provenance.ts); version 3 adds where each certificate's signed write starts
// and the signed head; version 4 adds the events (src/core/events.ts): what they changed, and each
// certificate's terms and origin. An older file is refused, and the log is read from its start once:
// slower that one time, never wrong.
const MAGIC = Buffer.from('CERTIFICATES-STATE-4\n');
const MAC_BYTES = 32;

/** The part of a snapshot that is JSON; the columns follow it as raw bytes, in this order. */
interface Header extends Omit<StateSnapshot, 'indexes'> {
  readonly topic: string;
  readonly indexes: ReadonlyArray<{
    readonly code: string;
    readonly count: number;
    readonly nameBytes: number;
    readonly issuedAtTexts: IndexColumns['issuedAtTexts'];
    readonly extras: IndexColumns['extras'];
  }>;
}

export type Loaded = { readonly snapshot: StateSnapshot } | { readonly snapshot?: undefined; readonly reason: string };

/** HMAC-SHA256 of the parts, a slice at a time: hundreds of megabytes must not hold the event loop at once. */
async function macOf(key: Buffer, parts: readonly Buffer[]): Promise<Buffer> {
  const SLICE = 4 * 1024 * 1024;
  const digest = createHmac('sha256', key);
  for (const part of parts) {
    for (let at = 0; at < part.length; at += SLICE) {
      digest.update(part.subarray(at, at + SLICE));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return digest.digest();
}

/** The bytes an index's columns take in the file; NaN for a header entry that is not one. */
function columnsSize(index: unknown): number {
  const { count, nameBytes } = (index ?? {}) as { count?: unknown; nameBytes?: unknown };
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(nameBytes) || (count as number) < 0 || (nameBytes as number) < 0) return NaN;
  return 8 * (4 * (count as number) + 1) + (nameBytes as number);
}

const bytes = (array: Float64Array | Uint8Array): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/**
 * One file per topic in a directory of the instance's own: the log state as of an offset, so that a
 * restart reads only what came after it. Written whole to a temporary file, flushed, then renamed
 * over the last one, so a crash leaves the previous snapshot or the new one, never half of one.
 * It holds every holder's name and every remembered key: readable by this service's user alone
 * (0600, in a 0700 directory when the service makes it), and authenticated with an HMAC-SHA256
 * under the state key (src/state/state-key.ts), so a file altered since, damaged or forged without
 * the key is refused, and the log is read from its start instead.
 */
export class SnapshotFile {
  readonly path: string;

  constructor(
    private readonly dir: string,
    private readonly topic: string,
    private readonly key: Buffer,
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
        extras: columns.extras,
      })),
    };
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    const parts: Buffer[] = [MAGIC, length, json];
    for (const { columns } of snapshot.indexes) {
      parts.push(bytes(columns.totals), bytes(columns.issuedAtMs), bytes(columns.writes), bytes(columns.nameStarts), bytes(columns.names));
    }
    parts.push(await macOf(this.key, parts));
    await stateDirectory(this.dir);
    // A name of its own: instances may share the directory (their snapshots of one log are alike).
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    const file = await open(temporary, 'wx', 0o600);
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
      const mac = createHmac('sha256', this.key);
      let at = 0;
      const next = async (into: Uint8Array): Promise<void> => {
        if (at + into.length > size - MAC_BYTES) throw new Error('shorter than its header says');
        const { bytesRead } = await file.read(into, 0, into.length, at);
        if (bytesRead !== into.length) throw new Error('shorter than its header says');
        mac.update(into);
        at += into.length;
      };
      const prefix = Buffer.alloc(MAGIC.length + 4);
      await next(prefix);
      if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return { reason: 'not a snapshot of this version' };
      // Nothing is authenticated until the MAC at the end is: sizes read before must add up to the
      // file's before they size an allocation, or a forged one could ask for any amount of memory.
      const jsonBytes = prefix.readUInt32LE(MAGIC.length);
      if (at + jsonBytes + MAC_BYTES > size) return { reason: 'damaged (sizes differ)' };
      const json = Buffer.alloc(jsonBytes);
      await next(json);
      const header = JSON.parse(json.toString('utf8')) as Header;
      if (header.topic !== this.topic) return { reason: `written for topic ${header.topic}` };
      const columnBytes = (header.indexes as unknown[]).reduce<number>((sum, index) => sum + columnsSize(index), 0);
      if (at + columnBytes + MAC_BYTES !== size) return { reason: 'damaged (sizes differ)' };
      const indexes = [];
      for (const { code, count, nameBytes, issuedAtTexts, extras } of header.indexes) {
        const columns = {
          totals: new Float64Array(count),
          issuedAtMs: new Float64Array(count),
          nameStarts: new Float64Array(count + 1),
          names: new Uint8Array(nameBytes),
          issuedAtTexts,
          writes: new Float64Array(count),
          extras,
        };
        for (const column of [columns.totals, columns.issuedAtMs, columns.writes, columns.nameStarts, columns.names])
          await next(bytes(column));
        indexes.push({ code, columns });
      }
      const stored = Buffer.alloc(MAC_BYTES);
      await file.read(stored, 0, MAC_BYTES, at);
      if (!timingSafeEqual(mac.digest(), stored)) {
        return {
          reason: 'not authenticated (its MAC differs): altered or damaged since it was written, or written under another state key',
        };
      }
      const { classes, keyWindow, end, voids, progress, anchor, keys, events } = header;
      return { snapshot: { classes, keyWindow, end, voids, progress, anchor, keys, indexes, events } };
    } catch (error) {
      return { reason: `unreadable: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      await file.close();
    }
  }
}
