import type { CertificateRecord } from './certificate.js';
import type { EventRecord } from './events.js';
import type { Seal } from './seal.js';

/**
 * One record as read from the log at `offset`: a certificate record, an event (src/core/events.ts), a seal (src/core/seal.ts), or
 * why it is neither. `value` is the record's text exactly as the log holds it, which a signed
 * record's leaf hashes; absent only where a record is made in memory (its encoding is then the text).
 */
export type LoggedRecord =
  | {
      readonly offset: number;
      readonly record: CertificateRecord;
      readonly value?: string;
      readonly event?: undefined;
      readonly seal?: undefined;
      readonly malformed?: undefined;
    }
  | {
      readonly offset: number;
      readonly event: EventRecord;
      readonly value?: string;
      readonly record?: undefined;
      readonly seal?: undefined;
      readonly malformed?: undefined;
    }
  | {
      readonly offset: number;
      readonly seal: Seal;
      readonly value?: string;
      readonly record?: undefined;
      readonly event?: undefined;
      readonly malformed?: undefined;
    }
  | {
      readonly offset: number;
      readonly record?: undefined;
      readonly event?: undefined;
      readonly seal?: undefined;
      readonly malformed: string;
    };
