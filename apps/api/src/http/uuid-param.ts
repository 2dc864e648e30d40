import { Param, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from './request-validation';

/** Ids are stored, queued and used as folder names in lower case; an upper-case spelling is the same id. */
const LOWER_CASE: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/** A path parameter that must be a UUID (any letter case); anything else is a 400 naming the parameter. */
export const UuidParam = (name: string) =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new RequestValidationException([{ field: name, message: `${name} must be a UUID` }]),
    }),
    LOWER_CASE,
  );
