import type { ShareClassConfig } from '../core/share-class.js';
import { letterhead, type CertificateFace, type Letterhead } from './face.js';
import { PdfRenderer } from './pdf-renderer.js';

/** What paper certificates print (COMPANY_NAME, PUBLIC_URL). */
export interface PaperSettings {
  /** The issuing company. */
  readonly companyName: string;
  /** The base URL printed in verification links; undefined: the address and port the connection came in on, never the Host header. */
  readonly publicUrl: string | undefined;
}

/** What the paper representations need: who issues, where verification links point, how a PDF is made. */
export interface Printer {
  readonly letterhead: Letterhead;
  /** Base URL printed in verification links; undefined: the address and port the connection came in on, never the Host header. */
  readonly publicUrl?: string;
  /** Renders off the event loop; rejects with `too_many_requests` when too many wait. */
  renderPdf(face: CertificateFace): Promise<Buffer>;
  close(): Promise<void>;
}

/** Recently rendered PDFs kept: a certificate printed again, or fetched by several people, is not rendered again. */
const RECENT_PDFS = 32;

export function printer(settings: PaperSettings, classes: readonly Pick<ShareClassConfig, 'code' | 'name'>[]): Printer {
  const { companyName, publicUrl } = settings;
  const renderer = new PdfRenderer();
  // The face decides the bytes, so it is the key; a Map iterates oldest first, which makes it an LRU.
  const recent = new Map<string, Promise<Buffer>>();
  return {
    letterhead: letterhead(companyName, classes),
    ...(publicUrl === undefined ? {} : { publicUrl }),
    renderPdf(face) {
      const key = JSON.stringify(face);
      const rendered = recent.get(key) ?? renderer.render(face);
      recent.delete(key);
      recent.set(key, rendered);
      if (recent.size > RECENT_PDFS) recent.delete(recent.keys().next().value!);
      // A refusal (too many waiting) or a failure is not remembered.
      rendered.catch(() => recent.delete(key));
      return rendered;
    },
    close: () => renderer.close(),
  };
}
