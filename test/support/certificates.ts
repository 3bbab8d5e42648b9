import { certificateId, type Certificate } from '../../src/core/certificate.js';

/** Builds a run of consecutive certificates of one class, as an actor would commit them. */
export function certificates(shareClass: string, firstNumber: number, count: number, amount = 10): Certificate[] {
  return Array.from({ length: count }, (_, index) => {
    const number = firstNumber + index;
    return {
      id: certificateId(shareClass, number),
      class: shareClass,
      number,
      name: `Holder ${number}`,
      amount,
      issuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, number)).toISOString(),
      sharesIssued: number * amount,
    };
  });
}
