import { RequestValidationException } from './request-validation';

const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, if sent: 1 to 255 visible ASCII characters. */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!VALID_KEY.test(value)) {
    throw new RequestValidationException([
      { field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' },
    ]);
  }
  return value;
}
