import { describe, expect, it } from 'vitest';
import { parseForwardedEvent } from '../../src/http/forwarded.js';
import { MAX_TRANSFEREES, parseEventAsked, parseEventBody } from '../../src/http/validate-events.js';

const who = { principal: 'key:clerk', requestId: '3f9a0c41d27be85a16-2s' };
const refusedWith = (code: string, field?: string) =>
  expect.objectContaining({ code, ...(field === undefined ? {} : { message: expect.stringContaining(field) }) });

describe('an event request’s body (parseEventBody): only its type’s fields, each bounded', () => {
  it('takes a transfer, trimming and normalizing each transferee’s name, and the class from the certificate', () => {
    expect(
      parseEventBody(
        'transfer',
        { certificate: 'CS-7' },
        { transferees: [{ name: '  Buyer ', amount: 400, terms: { holder: 'sh-1' } }] },
        'k-1',
      ),
    ).toEqual({
      event: 'transfer',
      class: 'CS',
      certificate: 'CS-7',
      transferees: [{ name: 'Buyer', amount: 400, terms: { holder: 'sh-1' } }],
      idempotencyKey: 'k-1',
    });
  });

  it.each([
    ['a field of another event', 'cancellation', { price: { amount: '1', currency: 'USD' } }, 'invalid_body', 'price'],
    ['a class beside the certificate', 'stop', { class: 'CS' }, 'invalid_body', 'class'],
    ['a quantity of 0', 'cancellation', { quantity: 0 }, 'invalid_amount', 'quantity'],
    ['a reason with a control character', 'stop', { reason: 'lost\u0007' }, 'invalid_body', 'reason'],
    ['a reason over 200 characters', 'stop', { reason: 'r'.repeat(201) }, 'invalid_body', 'reason'],
    ['no transferees', 'transfer', { transferees: [] }, 'invalid_body', 'transferees'],
    [
      'too many transferees',
      'transfer',
      { transferees: Array.from({ length: MAX_TRANSFEREES + 1 }, () => ({ name: 'B', amount: 1 })) },
      'invalid_body',
      'transferees',
    ],
    ['a transferee with a mixed-script name', 'transfer', { transferees: [{ name: 'Аlice', amount: 1 }] }, 'invalid_name', undefined],
    ['a transferee with an unknown field', 'transfer', { transferees: [{ name: 'B', amount: 1, email: 'b@x' }] }, 'invalid_body', 'email'],
    ['terms with an unknown field', 'reissuance', { terms: { holder: 'sh-1', vip: true } }, 'invalid_body', 'vip'],
    ['a price as a number', 'repurchase', { price: 1.5 }, 'invalid_body', 'price'],
    ['a "__proto__" key', 'stop', JSON.parse('{"__proto__": {"quantity": 1}}') as unknown, 'invalid_body', '__proto__'],
  ] as const)('refuses %s', (_, type, body, code, field) => {
    expect(() => parseEventBody(type, { certificate: 'CS-7' }, body)).toThrow(refusedWith(code, field));
  });

  it('refuses a certificate that is no certificate id, and a class that is no class code', () => {
    expect(() => parseEventBody('stop', { certificate: 'nonsense' }, {})).toThrow(refusedWith('invalid_certificate_id'));
    expect(() => parseEventBody('adjustment', { class: 'c s' }, { authorized: 1, approvedOn: '2026-01-01' })).toThrow(
      refusedWith('invalid_class'),
    );
  });

  it('takes an adjustment on a real date only, and a legend with bounded id, name and text', () => {
    expect(parseEventBody('adjustment', { class: 'PS' }, { authorized: 5, approvedOn: '2028-02-29' })).toEqual({
      event: 'adjustment',
      class: 'PS',
      authorized: 5,
      approvedOn: '2028-02-29',
    });
    expect(() => parseEventBody('adjustment', { class: 'PS' }, { authorized: 5, approvedOn: '2027-02-29' })).toThrow(
      refusedWith('invalid_body', 'approvedOn'),
    );
    const legend = { id: 'rule-144', name: 'Rule 144', text: 'NOT REGISTERED' };
    expect(parseEventBody('legend', { class: 'CS' }, { legend })).toEqual({ event: 'legend', class: 'CS', legend });
    expect(() => parseEventBody('legend', { class: 'CS' }, { legend: { ...legend, text: 't'.repeat(4001) } })).toThrow(
      refusedWith('invalid_body', 'text'),
    );
    expect(() => parseEventBody('legend', { class: 'CS' }, { legend: { ...legend, id: 'has space' } })).toThrow(
      refusedWith('invalid_body', 'id'),
    );
  });
});

describe('a forwarded event (parseForwardedEvent): validated again on the writer, with who asked', () => {
  const asked = parseEventBody('cancellation', { certificate: 'CS-7' }, { quantity: 3 }, 'k-2');

  it('carries the request, its key, the principal and the request id through as the edge parsed them', () => {
    expect(parseForwardedEvent(JSON.parse(JSON.stringify({ ...asked, ...who })) as unknown)).toEqual({ ...asked, ...who });
  });

  it('refuses what the edge would refuse, and a request without its principal or with a forged class', () => {
    expect(() => parseForwardedEvent({ ...asked, ...who, quantity: -1 })).toThrow(refusedWith('invalid_amount'));
    expect(() => parseForwardedEvent({ ...asked, requestId: who.requestId })).toThrow(refusedWith('invalid_body', 'principal'));
    expect(() => parseForwardedEvent({ ...asked, ...who, class: 'PS' })).toThrow(refusedWith('invalid_body', 'class'));
    expect(() => parseForwardedEvent({ ...asked, ...who, event: 'mint' })).toThrow(refusedWith('invalid_body', 'event'));
    expect(() => parseEventAsked({ event: 'stop', certificate: 'CS-1', at: '2020-01-01T00:00:00Z' })).toThrow(
      refusedWith('invalid_body', 'at'),
    );
  });
});
