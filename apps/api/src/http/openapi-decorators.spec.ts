import 'reflect-metadata';

const PROPERTY_METADATA = 'swagger/apiModelProperties';
const OPERATION_METADATA = 'swagger/apiOperation';

describe('the OpenAPI decorators', () => {
  let decorators: typeof import('./openapi-decorators');
  beforeEach(() => {
    jest.isolateModules(() => {
      decorators = require('./openapi-decorators') as typeof import('./openapi-decorators');
    });
  });

  it('record nothing in the server, where the committed document is served', () => {
    const { ApiOperation, ApiProperty, getSchemaPath } = decorators;
    class Body {
      @ApiProperty({ description: 'what to draw' })
      prompt!: string;
    }
    class Controller {
      @ApiOperation({ summary: 'Submit' })
      submit() {}
    }

    expect(Reflect.getMetadata(PROPERTY_METADATA, Body.prototype, 'prompt')).toBeUndefined();
    expect(Reflect.getMetadata(OPERATION_METADATA, Controller.prototype.submit)).toBeUndefined();
    expect(getSchemaPath(Body)).toBe('');
  });

  it("are @nestjs/swagger's own once a process records metadata for the document", () => {
    const { ApiOperation, ApiProperty, getSchemaPath, recordOpenApiMetadata } = decorators;
    recordOpenApiMetadata();
    class Body {
      @ApiProperty({ description: 'what to draw' })
      prompt!: string;
    }
    class Controller {
      @ApiOperation({ summary: 'Submit' })
      submit() {}
    }

    expect(Reflect.getMetadata(PROPERTY_METADATA, Body.prototype, 'prompt')).toMatchObject({
      description: 'what to draw',
    });
    expect(Reflect.getMetadata(OPERATION_METADATA, Controller.prototype.submit)).toMatchObject({ summary: 'Submit' });
    expect(getSchemaPath(Body)).toBe('#/components/schemas/Body');
  });
});
