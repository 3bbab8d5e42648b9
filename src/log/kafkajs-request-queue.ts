import { createRequire } from 'node:module';

/** The part of kafkajs's RequestQueue (src/network/requestQueue) that its pending-request check uses. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own retry interval for requests held back by its in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * With nothing pending, nothing needs checking later: kafkajs's push() schedules a check itself
 * when it queues a request. kafkajs 2.2.4 arms a timer here even then, for `throttledUntil - now`,
 * a negative delay while unthrottled that Node runs after 1 ms; the timer's check arms the next.
 * So every broker connection that has had one answer woke the event loop a thousand times a second
 * for as long as it lived (tulios/kafkajs#1704), and Node 24 warned TimeoutNegativeWarning on the
 * first (#1751). This is the fix proposed upstream, where nobody merges any more.
 */
function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** kafkajs's RequestQueue class: the module every kafkajs connection loads it from. */
export function kafkajsRequestQueue(): new (...args: never[]) => RequestQueue {
  return createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (...args: never[]) => RequestQueue;
}

/**
 * Stops kafkajs's idle connections from polling their empty queues (see scheduleCheckPendingRequests
 * above). Idempotent; createKafka calls it for every client the service makes.
 */
export function quietIdleRequestQueues(): void {
  const prototype = kafkajsRequestQueue().prototype;
  if (typeof prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests: expected kafkajs 2.2.4 internals, found others');
  }
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}
