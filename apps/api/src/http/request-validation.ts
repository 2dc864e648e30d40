import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { type ValidationError, type ValidatorOptions, validate } from 'class-validator';
import { jsonShapeProblem } from './json-shape';
import type { FieldError } from './problem-details';

/** A request that failed validation, with one entry per invalid field. */
export class RequestValidationException extends BadRequestException {
  constructor(readonly fieldErrors: FieldError[]) {
    super('The request is invalid');
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Unknown fields are refused, not dropped; errors carry messages only (never the values sent). */
const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/** Types a parameter may be declared as that hold no rules of their own. */
const PLAIN_TYPES = new Set<unknown>([Object, String, Number, Boolean, Array, Buffer, Date]);

/** Keys a copy onto a class instance would not store as fields (assigning `__proto__` swaps the prototype). */
const PROTOTYPE_KEYS = ['__proto__', 'constructor'];

type DtoClass = new () => object;

/**
 * The one pipe that request bodies and query strings go through (registered globally): first the
 * shape limits of any request data (`jsonShapeProblem`), then, for a parameter declared as a DTO
 * class, that class's class-validator rules, unknown fields refused; the handler gets an instance
 * of the class.
 *
 * A body is JSON, so its values already have the types its DTO declares: it is copied onto the
 * instance as it is, which is why a body DTO (`*-request.dto.ts`) takes no class-transformer
 * decorators (a lint rule keeps it so). A query string is all strings: class-transformer converts
 * it as its DTO's decorators say. (Nest's ValidationPipe, used before, also sent bodies through
 * class-transformer and walked them twice more, for prototype keys and binary values: work every
 * submit paid for, which a JSON body from Fastify's parser, refusing `__proto__`, does not need.)
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const shapeProblem = jsonShapeProblem(value, metadata.data);
    if (shapeProblem) throw new RequestValidationException([shapeProblem]);
    const dto = metadata.metatype;
    if (!isDtoClass(dto)) return value;
    const instance = metadata.type === 'query' ? plainToInstance(dto, value ?? {}) : bodyInstance(dto, value);
    const errors = await validate(instance, VALIDATOR_OPTIONS);
    if (errors.length > 0) throw new RequestValidationException(flattenValidationErrors(errors));
    return instance;
  }
}

function isDtoClass(metatype: unknown): metatype is DtoClass {
  return typeof metatype === 'function' && !PLAIN_TYPES.has(metatype);
}

/** The body's fields on a new instance of its DTO (no body at all counts as an empty object). */
function bodyInstance(dto: DtoClass, body: unknown = {}): object {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestValidationException([{ field: 'body', message: 'The body must be a JSON object' }]);
  }
  const unsafe = PROTOTYPE_KEYS.filter((key) => Object.hasOwn(body, key));
  if (unsafe.length > 0) {
    throw new RequestValidationException(
      unsafe.map((key) => ({ field: key, message: `property ${key} should not exist` })),
    );
  }
  return Object.assign(new dto(), body);
}
