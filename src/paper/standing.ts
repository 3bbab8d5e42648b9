import { eventId } from '../core/events.js';
import type { Standing } from '../core/log-state.js';

/** What a closed certificate's paper and its verification say of it: the mark, and where it went. */
export interface ClosedNote {
  readonly status: 'cancelled' | 'stopped' | 'superseded';
  /** The mark stamped across the paper: CANCELLED, STOPPED or SUPERSEDED. */
  readonly mark: string;
  /** When the event that closed it was written (ISO 8601), and that date as the paper prints dates. */
  readonly at: string;
  readonly on: string;
  readonly event: { readonly id: string; readonly type: string };
  /** The certificates its event issued in its place (a transfer's, a reissuance's, a balance). */
  readonly replacedBy: readonly string[];
  /** One line, e.g. "CANCELLED on November 24, 2026 by transfer CS-E17; replaced by CS-31, CS-32". */
  readonly line: string;
}

const DATE = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });

/** The date a paper prints for an instant: "November 24, 2026", in UTC. */
export function printedDate(at: string): string {
  return DATE.format(new Date(at));
}

/** What a stopped certificate may still become: why its mark says more than the event. */
const STOPPED = 'reported lost or stolen: void for transfer, it may only be replaced';

/** Where a closed certificate went; undefined for an outstanding one. */
export function closedNote(standing: Standing): ClosedNote | undefined {
  const { status, closedBy } = standing;
  if (status === 'outstanding' || closedBy === undefined) return undefined;
  const { record } = closedBy;
  const mark = status.toUpperCase();
  const on = printedDate(record.at);
  const id = eventId(closedBy);
  const replacedBy = record.results ?? [];
  const where = status === 'stopped' ? `: ${STOPPED}` : replacedBy.length === 0 ? '' : `; replaced by ${replacedBy.join(', ')}`;
  return {
    status,
    mark,
    at: record.at,
    on,
    event: { id, type: record.event },
    replacedBy,
    line: `${mark} on ${on} by ${record.event} ${id}${where}`,
  };
}

/** The verification's answer for a genuine paper: "Genuine", and never that alone for a closed certificate. */
export function genuineVerdict(note: ClosedNote | undefined): string {
  if (note === undefined) return 'Genuine, and outstanding';
  const replaced = note.replacedBy.length === 0 ? '' : `, replaced by ${note.replacedBy.join(', ')}`;
  if (note.status === 'superseded') return `Genuine, but superseded by ${note.replacedBy.join(', ')} on ${note.on}`;
  if (note.status === 'stopped') return `Genuine, but stopped on ${note.on} (${STOPPED})`;
  return `Genuine, but cancelled on ${note.on}${replaced}`;
}
