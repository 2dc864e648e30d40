import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Max } from 'class-validator';
import { flattenValidationErrors, RequestValidationException, RequestValidationPipe } from './request-validation';

class Order {
  @IsString()
  item: string;

  @IsOptional()
  @IsObject()
  extras?: Record<string, unknown>;
}

class Page {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Max(100)
  limit: number = 20;
}

const pipe = new RequestValidationPipe();
const body = (metatype?: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });
const query = (metatype?: ArgumentMetadata['metatype'], data?: string): ArgumentMetadata => ({
  type: 'query',
  metatype,
  data,
});

async function fieldErrors(value: unknown, metadata: ArgumentMetadata) {
  const error = await pipe.transform(value, metadata).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof RequestValidationException)) throw new Error(`expected a validation error, got ${error}`);
  return error.fieldErrors;
}

describe('RequestValidationPipe', () => {
  it('gives the handler an instance of the body DTO, nested values as sent', async () => {
    const extras = { size: 'large', toppings: ['basil'] };
    const order = await pipe.transform({ item: 'pizza', extras }, body(Order));
    expect(order).toBeInstanceOf(Order);
    expect(order).toEqual(Object.assign(new Order(), { item: 'pizza', extras }));
  });

  it('refuses a body that breaks its DTO rules, naming each field', async () => {
    expect(await fieldErrors({ item: 42, extras: 'none' }, body(Order))).toEqual([
      { field: 'item', message: 'item must be a string' },
      { field: 'extras', message: 'extras must be an object' },
    ]);
  });

  it('refuses fields the DTO does not declare', async () => {
    expect(await fieldErrors({ item: 'pizza', colour: 'red' }, body(Order))).toEqual([
      { field: 'colour', message: 'property colour should not exist' },
    ]);
  });

  it.each([
    ['a string', 'pizza'],
    ['an array', [{ item: 'pizza' }]],
    ['null', null],
  ])('refuses a body that is %s', async (_case, value) => {
    expect(await fieldErrors(value, body(Order))).toEqual([
      { field: 'body', message: 'The body must be a JSON object' },
    ]);
  });

  it('validates a missing body as an empty one', async () => {
    expect(await fieldErrors(undefined, body(Order))).toEqual([{ field: 'item', message: 'item must be a string' }]);
  });

  it.each(['__proto__', 'constructor'])(
    'refuses a body with an own %s key, leaving the prototype alone',
    async (key) => {
      const value = JSON.parse(`{"item":"pizza","${key}":{"admin":true}}`);
      expect(await fieldErrors(value, body(Order))).toEqual([
        { field: key, message: `property ${key} should not exist` },
      ]);
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    },
  );

  it('checks the shape of a body before its DTO, for DTO and plain types alike', async () => {
    const nul = { field: 'item', message: 'item must not contain NUL characters (\\u0000)' };
    expect(await fieldErrors({ item: 'piz\u0000za' }, body(Order))).toEqual([nul]);
    expect(await fieldErrors({ item: 'piz\u0000za' }, body(Object))).toEqual([nul]);
  });

  it('converts a query string as its DTO declares, defaults included', async () => {
    const page = await pipe.transform({ limit: '5' }, query(Page));
    expect(page).toBeInstanceOf(Page);
    expect(page).toEqual(Object.assign(new Page(), { limit: 5 }));
    expect(await pipe.transform({}, query(Page))).toEqual(new Page());
  });

  it('refuses a query string that breaks its DTO rules', async () => {
    expect(await fieldErrors({ limit: '500' }, query(Page))).toEqual([
      { field: 'limit', message: 'limit must not be greater than 100' },
    ]);
  });

  it('checks the shape of one query parameter but leaves its value as it is', async () => {
    expect(await pipe.transform('abc', query(String, 'token'))).toBe('abc');
    expect(await fieldErrors('a\u0000', query(String, 'token'))).toEqual([
      { field: 'token', message: 'token must not contain NUL characters (\\u0000)' },
    ]);
  });

  it.each([
    ['no declared type', undefined],
    ['a plain object type', Object],
  ])('leaves a body with %s as it came, once its shape is fine', async (_case, metatype) => {
    const value = { anything: [1, 'two'] };
    expect(await pipe.transform(value, body(metatype))).toBe(value);
  });

  it('passes other parameters through untouched', async () => {
    const value = { item: 42 };
    expect(await pipe.transform(value, { type: 'param', metatype: Order, data: 'id' })).toBe(value);
    expect(await pipe.transform(value, { type: 'custom', metatype: Order })).toBe(value);
    expect(await pipe.transform('x\u0000', { type: 'custom', metatype: String })).toBe('x\u0000');
  });
});

describe('flattenValidationErrors', () => {
  it('lists each message of each field, nested fields by their dotted path', () => {
    const errors = [
      { property: 'item', constraints: { isString: 'item must be a string' } },
      {
        property: 'extras',
        children: [{ property: 'size', constraints: { isIn: 'size must be small or large', isString: 'no' } }],
      },
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'item', message: 'item must be a string' },
      { field: 'extras.size', message: 'size must be small or large' },
      { field: 'extras.size', message: 'no' },
    ]);
  });
});
