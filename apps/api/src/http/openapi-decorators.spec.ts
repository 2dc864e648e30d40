import 'reflect-metadata';

const PROPERTY_METADATA = 'swagger/apiModelProperties';
const OPERATION_METADATA = 'swagger/apiOperation';

/** A body and a controller carrying `decorators`, and the metadata @nestjs/swagger would keep for them. */
function decorated({ ApiOperation, ApiProperty }: typeof import('./openapi-decorators')) {
  class Body {
    @ApiProperty({ description: 'what to draw' })
    prompt!: string;
  }
  class Controller {
    @ApiOperation({ summary: 'Submit' })
    submit() {}
  }
  return {
    Body,
    property: Reflect.getMetadata(PROPERTY_METADATA, Body.prototype, 'prompt') as unknown,
    operation: Reflect.getMetadata(OPERATION_METADATA, Controller.prototype.submit) as unknown,
  };
}

describe('the OpenAPI decorators', () => {
  let decorators: typeof import('./openapi-decorators');
  beforeEach(() => {
    jest.isolateModules(() => {
      decorators = require('./openapi-decorators') as typeof import('./openapi-decorators');
    });
  });

  it('record nothing in the server, where the committed document is served', () => {
    const { Body, property, operation } = decorated(decorators);

    expect(property).toBeUndefined();
    expect(operation).toBeUndefined();
    expect(decorators.getSchemaPath(Body)).toBe('');
  });

  it("are @nestjs/swagger's own once a process records metadata for the document", () => {
    decorators.recordOpenApiMetadata();
    const { Body, property, operation } = decorated(decorators);

    expect(property).toMatchObject({ description: 'what to draw' });
    expect(operation).toMatchObject({ summary: 'Submit' });
    expect(decorators.getSchemaPath(Body)).toBe('#/components/schemas/Body');
  });

  it("leave @nestjs/swagger out of the server: the API's modules and its docs load without it", () => {
    jest.isolateModules(() => {
      jest.doMock('@nestjs/swagger', () => {
        throw new Error('@nestjs/swagger was loaded');
      });
      expect(() => require('../api.module')).not.toThrow();
      expect(() => require('../api.app')).not.toThrow();
    });
  });
});
