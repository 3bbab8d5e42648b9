/** The certificate both baseline servers answer with: the same shape and size as the service's 201. */
export const FIXED_CERTIFICATE = {
  id: 'CS-1',
  class: 'CS',
  number: 1,
  name: 'Salt Bae',
  amount: 10,
  issuedAt: '2026-01-01T00:00:00.000Z',
  sharesIssued: 10,
} as const;

export const FIXED_LOCATION = `/certificates/${FIXED_CERTIFICATE.id}`;

export function listenPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`Expected PORT to be a port number, got ${JSON.stringify(process.env.PORT)}`);
  return port;
}
