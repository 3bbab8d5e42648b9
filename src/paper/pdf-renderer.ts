import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CertificateError } from '../core/errors.js';
import type { CertificateFace } from './face.js';

interface Pending {
  readonly resolve: (pdf: Buffer) => void;
  readonly reject: (error: Error) => void;
}

type Answer = { readonly id: number; readonly pdf: Uint8Array } | { readonly id: number; readonly error: string };

// The worker is JavaScript once built, and TypeScript under tsx and vitest.
const extension = extname(fileURLToPath(import.meta.url));
const WORKER = new URL(`./pdf-worker${extension}`, import.meta.url);

function startWorker(): Worker {
  if (extension !== '.ts') return new Worker(WORKER);
  // TypeScript: the worker registers tsx itself, then imports its script. Given `--import tsx` in
  // its execArgv instead, a worker started while both cores were busy failed to load its script
  // ("Unknown file extension .ts") in every try. tsx resolves from the working directory: the
  // repository's root, where tsx and vitest run.
  const script = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(WORKER.href)});`;
  return new Worker(script, { eval: true });
}

/**
 * PDFs are rendered in one worker thread, started on first use, one document at a time, so a burst
 * of downloads costs the issuing path at most one core's share and never its event loop.
 */
export class PdfRenderer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly maxQueued = 64) {}

  render(face: CertificateFace): Promise<Buffer> {
    // Past the limit a download is refused as retryable rather than queued without bound.
    if (this.pending.size >= this.maxQueued) {
      return Promise.reject(
        new CertificateError('too_many_requests', `${this.pending.size} PDFs are already being rendered; retry shortly`),
      );
    }
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.started().postMessage({ id, face });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startWorker();
    // An idle renderer must not keep a stopping process alive.
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if ('pdf' in answer) waiting?.resolve(Buffer.from(answer.pdf.buffer, answer.pdf.byteOffset, answer.pdf.byteLength));
      else waiting?.reject(new Error(`PDF rendering failed: ${answer.error}`));
    });
    const failAll = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`PDF renderer exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
