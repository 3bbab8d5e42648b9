import { createServer } from 'node:http';
import { FIXED_CERTIFICATE, FIXED_LOCATION, listenPort } from './fixed-response.js';

// The ceiling for any Node edge: no framework, no parsing, a body serialised once.
const body = JSON.stringify(FIXED_CERTIFICATE);
const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Location: FIXED_LOCATION };

const server = createServer((request, response) => {
  // The body must be consumed before answering, as any real handler would.
  request.resume();
  request.on('end', () => {
    response.writeHead(201, headers);
    response.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(listenPort(), '127.0.0.1');
