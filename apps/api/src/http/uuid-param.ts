import { Param, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationException } from './request-validation';

/** A path parameter that must be a UUID; anything else is a 400 naming the parameter. */
export const UuidParam = (name: string) =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new RequestValidationException([{ field: name, message: `${name} must be a UUID` }]),
    }),
  );
