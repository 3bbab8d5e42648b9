import { parentPort } from 'node:worker_threads';
import type { CertificateFace } from './face.js';
import { renderPdf } from './pdf.js';

// Runs in a worker thread: embedding the fonts costs ~100 ms of CPU per document, which must never
// stall the event loop that numbers certificates.
parentPort!.on('message', (job: { readonly id: number; readonly face: CertificateFace }) => {
  renderPdf(job.face).then(
    (pdf) => parentPort!.postMessage({ id: job.id, pdf }),
    (error: unknown) => parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
