import { CertificateError } from './errors.js';

/** What a share class code is, wherever one is read: configuration, ids, seals, the API document. */
export const CLASS_CODE_PATTERN = '[A-Z]{1,16}';

/** A share class as configured: its code, the shares it may issue in all, and what paper calls it. */
export interface ShareClassConfig {
  readonly code: string;
  readonly authorized: number;
  /** What paper certificates call the class, e.g. Common Stock (src/paper/face.ts names it when absent). */
  readonly name?: string;
}

/** A request for a class this service does not issue. */
export function unknownClass(classes: readonly string[], got: string): CertificateError {
  return new CertificateError('unknown_class', `Expected \`class\` to be one of ${classes.join(', ')}, got ${JSON.stringify(got)}`, {
    details: { classes },
  });
}
