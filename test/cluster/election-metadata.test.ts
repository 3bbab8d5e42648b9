import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ClusterAuth } from '../../src/cluster/cluster-auth.js';
import { chooseWriter, memberUserData, provenCandidate, validCandidate, type Candidate } from '../../src/cluster/election.js';

const GROUP = 'certificates.writer';
const member = new ClusterAuth(Buffer.from('election metadata test secret, 32+ bytes'));
const stranger = ClusterAuth.ofItsOwn();
const candidate: Candidate = { url: 'http://10.0.0.5:3001', writingSince: undefined, end: 42 };

/** Member metadata as kafkajs carries it, around `userData`. */
const metadata = (userData: Buffer): Buffer => AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['certificates'], userData });

describe('what a member tells the election group', () => {
  it('is believed when the cluster secret signed it, for this group', () => {
    expect(provenCandidate(GROUP, metadata(memberUserData(GROUP, candidate, member)), member)).toEqual(candidate);
  });

  it('is not believed unsigned (as members once spoke), with a forged proof, signed with another secret, or signed for another group', () => {
    const text = JSON.stringify({ ...candidate, writingSince: Date.now() + 1e9 });
    const unproven = [
      Buffer.from(text),
      Buffer.from(JSON.stringify({ candidate: text, proof: 'A'.repeat(43) })),
      Buffer.from(JSON.stringify({ candidate: text })),
      memberUserData(GROUP, candidate, stranger),
      memberUserData('another.writer', candidate, member),
      Buffer.alloc(0),
      Buffer.from('not json'),
    ];
    for (const userData of unproven) expect(provenCandidate(GROUP, metadata(userData), member)).toBeUndefined();
    expect(provenCandidate(GROUP, Buffer.from('not member metadata'), member)).toBeUndefined();
  });

  it('is refused over 2 KB before anything is parsed, even signed', () => {
    const long = { ...candidate, url: `http://h/${'a'.repeat(500)}` };
    expect(provenCandidate(GROUP, metadata(memberUserData(GROUP, long, member)), member)).toEqual(long);
    const padded = Buffer.concat([memberUserData(GROUP, candidate, member), Buffer.alloc(2048, 0x20)]);
    expect(provenCandidate(GROUP, metadata(padded), member)).toBeUndefined();
  });

  it.each([
    ['a javascript: URL', { url: 'javascript:alert(1)' }],
    ['a file: URL', { url: 'file:///etc/passwd' }],
    ['not a URL', { url: 'certificates-2:3001' }],
    ['a URL over 512 characters', { url: `http://h/${'a'.repeat(510)}` }],
    ['credentials in the URL', { url: 'http://user:pass@h:1' }],
    ['a URL that is not text', { url: 42 }],
    ['a negative end', { end: -1 }],
    ['a fractional writingSince', { writingSince: 1.5 }],
    ['a writingSince as text', { writingSince: '1' }],
  ])('is not a candidate, even signed, with %s', (_, change) => {
    const bad = { ...candidate, ...change } as unknown as Candidate;
    expect(validCandidate(bad)).toBeUndefined();
    expect(provenCandidate(GROUP, metadata(memberUserData(GROUP, bad, member)), member)).toBeUndefined();
  });
});

describe('chooseWriter', () => {
  it('never chooses a member without a proven candidate, however senior it claims to be; none when no member proves', () => {
    const members = [
      { memberId: 'a', candidate: undefined },
      { memberId: 'b', candidate: { url: 'http://b:1', writingSince: undefined, end: 10 } },
      { memberId: 'c', candidate: { url: 'http://c:1', writingSince: undefined, end: 20 } },
    ];
    expect(chooseWriter(members)).toBe('c');
    expect(chooseWriter([{ memberId: 'a', candidate: undefined }])).toBeUndefined();
    // A sitting writer first, then the most caught-up, then by member id.
    expect(chooseWriter([...members, { memberId: 'd', candidate: { url: 'http://d:1', writingSince: 5, end: 0 } }])).toBe('d');
  });
});
