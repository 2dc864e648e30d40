import { namedStatement } from './named-statement';

describe('namedStatement', () => {
  const select = 'SELECT id FROM jobs WHERE id = $1';

  it('names a prepared statement after its text, the same name every time', () => {
    const first = namedStatement(select, ['a'], true);
    const again = namedStatement(select, ['b'], true);

    expect(first).toEqual({ name: expect.stringMatching(/^mediagen_[0-9a-f]{24}$/), text: select, values: ['a'] });
    expect(again.name).toBe(first.name);
    expect(again.values).toEqual(['b']);
  });

  it('gives different texts different names', () => {
    const other = namedStatement('SELECT id FROM jobs WHERE owner = $1', [], true);

    expect(other.name).not.toBe(namedStatement(select, [], true).name);
  });

  it('leaves the statement unnamed when prepared statements are off', () => {
    expect(namedStatement(select, ['a'], false)).toEqual({ text: select, values: ['a'] });
  });
});
