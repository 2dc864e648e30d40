import type * as Swagger from '@nestjs/swagger';

/**
 * The @nestjs/swagger decorators the API's classes carry. They only feed the OpenAPI document, and
 * the server serves the committed openapi.json (built from this code by `npm run openapi`; CI and
 * openapi.spec.ts check that it is current), so in the server they record nothing and
 * @nestjs/swagger is never loaded: its modules cost the api some 10 MB of memory. A process that
 * builds the document calls `recordOpenApiMetadata()` before it imports the API's modules.
 */
let swagger: typeof Swagger | undefined;

/** From now on the decorators are @nestjs/swagger's own; call it before the API's modules are imported. */
export function recordOpenApiMetadata(): void {
  swagger ??= require('@nestjs/swagger') as typeof Swagger;
}

const recordsNothing = () => undefined;

/** `name` from @nestjs/swagger once metadata is recorded, otherwise a decorator that does nothing. */
function decorator<Name extends keyof typeof Swagger>(name: Name): (typeof Swagger)[Name] {
  return ((...options: unknown[]) =>
    swagger ? (swagger[name] as (...options: unknown[]) => unknown)(...options) : recordsNothing) as never;
}

export const ApiAcceptedResponse = decorator('ApiAcceptedResponse');
export const ApiBearerAuth = decorator('ApiBearerAuth');
export const ApiBody = decorator('ApiBody');
export const ApiCreatedResponse = decorator('ApiCreatedResponse');
export const ApiExcludeController = decorator('ApiExcludeController');
export const ApiExtraModels = decorator('ApiExtraModels');
export const ApiHeader = decorator('ApiHeader');
export const ApiOkResponse = decorator('ApiOkResponse');
export const ApiOperation = decorator('ApiOperation');
export const ApiParam = decorator('ApiParam');
export const ApiProduces = decorator('ApiProduces');
export const ApiProperty = decorator('ApiProperty');
export const ApiPropertyOptional = decorator('ApiPropertyOptional');
export const ApiQuery = decorator('ApiQuery');
export const ApiResponse = decorator('ApiResponse');
export const ApiTags = decorator('ApiTags');

/** A schema reference (`#/components/schemas/Name`) once metadata is recorded, otherwise unused and empty. */
export function getSchemaPath(model: Parameters<typeof Swagger.getSchemaPath>[0]): string {
  return swagger ? swagger.getSchemaPath(model) : '';
}
