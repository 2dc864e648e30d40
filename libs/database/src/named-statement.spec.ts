import type { QueryConfig } from 'pg';
import { NamedStatements } from './named-statement';

describe('NamedStatements', () => {
  const text = 'SELECT id FROM jobs WHERE id = $1';
  const refusal = (code: string) => Object.assign(new Error('prepared statement trouble'), { code });

  /** Records each query it is given; fails the ones `fail` picks. */
  function fakeDatabase(fail: (query: QueryConfig) => Error | undefined = () => undefined) {
    const queries: QueryConfig[] = [];
    const execute = async (query: QueryConfig) => {
      queries.push(query);
      const error = fail(query);
      if (error) throw error;
      return 'rows';
    };
    return { queries, execute };
  }

  it('runs statements named while enabled', async () => {
    const database = fakeDatabase();
    const statements = new NamedStatements(true, jest.fn());

    await expect(statements.run(text, ['a'], database.execute)).resolves.toBe('rows');

    expect(database.queries).toEqual([{ name: expect.stringMatching(/^mediagen_[0-9a-f]{24}$/), text, values: ['a'] }]);
  });

  it('names a statement after its text: the same name every time, another for another text', async () => {
    const database = fakeDatabase();
    const statements = new NamedStatements(true, jest.fn());

    await statements.run(text, ['a'], database.execute);
    await statements.run(text, ['b'], database.execute);
    await statements.run('SELECT id FROM jobs WHERE owner = $1', [], database.execute);

    const [first, again, other] = database.queries;
    expect(again).toEqual({ name: first.name, text, values: ['b'] });
    expect(other.name).not.toBe(first.name);
  });

  it('runs them unnamed when disabled, and passes a refusal on (nothing to fall back from)', async () => {
    const database = fakeDatabase(() => refusal('26000'));
    const statements = new NamedStatements(false, jest.fn());

    await expect(statements.run(text, ['a'], database.execute)).rejects.toMatchObject({ code: '26000' });

    expect(database.queries).toEqual([{ text, values: ['a'] }]);
  });

  it.each([
    ['26000', 'prepared statement does not exist'],
    ['42P05', 'prepared statement already exists'],
  ])('on %s (%s) runs the statement again unnamed, says so once, and names nothing afterwards', async (code) => {
    const database = fakeDatabase((query) => (query.name ? refusal(code) : undefined));
    const onRefused = jest.fn();
    const statements = new NamedStatements(true, onRefused);

    await expect(statements.run(text, ['a'], database.execute)).resolves.toBe('rows');
    await expect(statements.run(text, ['b'], database.execute)).resolves.toBe('rows');

    expect(database.queries.map((query) => query.name)).toEqual([expect.any(String), undefined, undefined]);
    expect(database.queries[1]).toEqual({ text, values: ['a'] });
    expect(onRefused.mock.calls).toEqual([[expect.objectContaining({ code })]]);
  });

  it('says so once when statements already under way are refused too', async () => {
    const database = fakeDatabase((query) => (query.name ? refusal('26000') : undefined));
    const onRefused = jest.fn();
    const statements = new NamedStatements(true, onRefused);

    await Promise.all([statements.run(text, ['a'], database.execute), statements.run(text, ['b'], database.execute)]);

    expect(onRefused).toHaveBeenCalledTimes(1);
    expect(database.queries.filter((query) => !query.name)).toHaveLength(2);
  });

  it('passes any other error on without running the statement again', async () => {
    const failure = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const database = fakeDatabase(() => failure);
    const onRefused = jest.fn();

    await expect(new NamedStatements(true, onRefused).run(text, [], database.execute)).rejects.toBe(failure);

    expect(database.queries).toHaveLength(1);
    expect(onRefused).not.toHaveBeenCalled();
  });
});
