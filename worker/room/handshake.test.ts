import { describe, expect, it } from 'vitest';
import { parseCursor, parseSeverityList } from '../../protocol/room.ts';
import { connectProblem, identityOf, roomTarget } from './handshake.ts';

const url = (query: string) => new URL(`https://room.internal/api/rooms/Ship/ws?${query}`);
const problem = (query: string) => {
  const u = url(query);
  return connectProblem(u, parseSeverityList(u.searchParams.get('severity')), parseCursor(u.searchParams.get('after')));
};

describe('worker > room > handshake', () => {
  it('reads the room and shard the Worker named, and 404s a name that is none', async () => {
    expect(roomTarget(url('room=Ship'))).toEqual({ category: 'Ship', shard: undefined });
    expect(roomTarget(url('room=Ship&shard=3'))).toEqual({ category: 'Ship', shard: 3 });
    for (const bad of [
      '',
      'room=ship',
      'room=Harbour',
      'room=Ship&shard=0',
      'room=Ship&shard=x',
      'room=Ship&shard=65',
    ]) {
      const answer = roomTarget(url(bad));
      expect(answer).toBeInstanceOf(Response);
      expect((answer as Response).status).toBe(404);
    }
  });

  it('names the first bad parameter: a repeated one, then severity, then after', () => {
    expect(problem('severity=Critical,high&after=12')).toBeUndefined();
    expect(problem('severity=High&severity=Low')).toBe('severity may be given once');
    expect(problem('after=1&after=2&severity=nope')).toBe('after may be given once');
    expect(problem('severity=nope&after=x')).toBe(
      'severity must be a comma-separated list of Critical, High, Medium, Low',
    );
    expect(problem('after=1234567890123456')).toBe('after must be a non-negative integer seq (at most 15 digits)');
  });

  it('takes who the subscriber is from the headers the Worker set; an exp that is not a positive number is none', () => {
    const req = (headers: Record<string, string>) => new Request('https://room.internal/', { headers });
    expect(identityOf(req({ 'x-qc-user': 'viewer-1', 'x-qc-exp': '1900000000', 'x-qc-conn': 'c1' }))).toEqual({
      user: 'viewer-1',
      exp: 1_900_000_000,
      conn: 'c1',
    });
    expect(identityOf(req({}))).toEqual({ user: 'anonymous', exp: undefined, conn: undefined });
    for (const exp of ['-5', '0', 'soon', 'Infinity', ''])
      expect(identityOf(req({ 'x-qc-exp': exp })).exp).toBeUndefined();
  });
});
