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

  it.each([
    ['404 when webhooks are off', new WebhooksDisabledError(), 404, 'webhooks_disabled'],
    [
      '403 rather than serve the shared secret of an open API',
      new SharedSecretNotServedError(),
      403,
      'webhook_secret_not_served',
    ],
  ])('answers %s', async (_, refusal, status, code) => {
    secrets.readableBy.mockImplementation(() => {
      throw refusal;
    });
    const response = await getSecret();
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code });
  });
});
