import { describe, expect, it } from 'vitest';
import { saslExchange } from '../../../src/log/wire/sasl.js';

describe('SASL exchanges', () => {
  it('PLAIN sends the user and password in one message and is then done', async () => {
    const exchange = saslExchange('plain', 'alice', 's3cret');
    expect(exchange.mechanism).toBe('PLAIN');
    expect(exchange.first().toString()).toBe('\0alice\0s3cret');
    expect(await exchange.next(Buffer.alloc(0))).toBeUndefined();
  });

  it("SCRAM-SHA-256 computes RFC 7677's example proof and accepts only the server's true signature", async () => {
    const run = () => saslExchange('scram-sha-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    const serverFirst = Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const exchange = run();
    expect(exchange.mechanism).toBe('SCRAM-SHA-256');
    expect(exchange.first().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    expect((await exchange.next(serverFirst))?.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(await exchange.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeUndefined();

    const impostor = run();
    impostor.first();
    await impostor.next(serverFirst);
    await expect(impostor.next(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).rejects.toThrow(
      /did not prove it knows the password/,
    );
  });

  it('SCRAM refuses a first answer that does not extend its nonce, and escapes = and , in the user name', async () => {
    const exchange = saslExchange('scram-sha-512', 'a=b,c', 'pw', 'nonce');
    expect(exchange.first().toString()).toBe('n,,n=a=3Db=2Cc,r=nonce');
    await expect(exchange.next(Buffer.from('r=other,s=c2FsdA==,i=4096'))).rejects.toThrow(/extend our nonce/);
  });
});
