import { issueRequest, type Asked, type IssueRequest } from '../../src/core/certificate.js';

/** The principal tests issue as when who asks does not matter to them. */
export const TEST_PRINCIPAL = 'key:test';

let requests = 0;

/** The request `principal` makes for `asked`, under a request id of its own as the edge gives one. */
export function asking(asked: Asked, principal = TEST_PRINCIPAL): IssueRequest {
  requests += 1;
  return issueRequest(asked, principal, `test-${requests}`);
}
