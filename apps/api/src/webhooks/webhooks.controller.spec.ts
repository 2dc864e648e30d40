import { SharedSecretNotServedError, WebhookSecrets, WebhooksDisabledError } from '@app/webhooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUTHORIZED, OWNER, startControllerApp } from '../../../../test/support/controller-app';
import { WebhooksController } from './webhooks.controller';

describe('WebhooksController', () => {
  let app: NestFastifyApplication;
  const secrets = { readableBy: jest.fn() };

  beforeAll(async () => {
    app = await startControllerApp(WebhooksController, [{ provide: WebhookSecrets, useValue: secrets }]);
  });

  afterAll(() => app.close());

  beforeEach(() => jest.resetAllMocks());

  const getSecret = () => app.inject({ method: 'GET', url: '/v1/webhooks/secret', headers: AUTHORIZED });

  it("answers 200 with the key owner's signing secrets", async () => {
    secrets.readableBy.mockReturnValue({ secret: 'whsec_new', secrets: ['whsec_old', 'whsec_new'] });
    const response = await getSecret();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ secret: 'whsec_new', secrets: ['whsec_old', 'whsec_new'] });
    expect(secrets.readableBy).toHaveBeenCalledWith(OWNER);
  });

  it('answers 404 when webhooks are off', async () => {
    secrets.readableBy.mockImplementation(() => {
      throw new WebhooksDisabledError();
    });
    const response = await getSecret();
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'webhooks_disabled' });
  });

  it('answers 403 rather than serve the shared secret of an open API', async () => {
    secrets.readableBy.mockImplementation(() => {
      throw new SharedSecretNotServedError();
    });
    const response = await getSecret();
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'webhook_secret_not_served' });
  });
});
