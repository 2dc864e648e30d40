import type { Browser } from 'playwright-core';
import { ARTIFACTS, describeWithBrowser, launchBrowser, openOffline } from './support/browser';
import { type RunningService, startService } from './support/service';

describeWithBrowser('API docs in a headless browser, fully offline', () => {
  let service: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    service = await startService();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await service.stop();
  });

  const open = (path: string) => openOffline(browser, service.baseUrl, path);

  it('serves Swagger UI at /docs with every operation, loading nothing from outside', async () => {
    const { page, external, local } = await open('/docs');

    await page.getByText('Submit a generation job').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/swagger-ui.png`, fullPage: true });

    for (const summary of ['Read a job', 'Download an output']) {
      expect(await page.getByText(summary).count()).toBeGreaterThan(0);
    }
    expect(local.some((url) => url.includes('/docs/swagger-ui-bundle.js'))).toBe(true);
    expect(external).toEqual([]);
  });

  it('"Try it out" on submit runs with the pre-filled example: Execute answers 202', async () => {
    const { page, external } = await open('/docs');
    const submit = page.locator('.opblock-post', { hasText: '/v1/generate' });
    await submit.locator('.opblock-summary').click();
    await submit.getByRole('button', { name: 'Try it out' }).click();

    const body = await submit.locator('textarea.body-param__text').inputValue();
    expect(JSON.parse(body)).toEqual({
      prompt: 'a red fox in fresh snow, golden hour',
      input: { width: 512, height: 512, seed: 7 },
    });
    expect(await submit.locator('input[placeholder="Idempotency-Key"]').inputValue()).toBe('');

    await submit.getByRole('button', { name: 'Execute' }).click();
    const status = submit.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/swagger-try-it.png`, fullPage: true });

    expect((await status.textContent())?.trim()).toBe('202');
    expect(external).toEqual([]);
  });

  it('serves ReDoc at /redoc from the installed package, loading nothing from outside', async () => {
    const { page, external, local } = await open('/redoc');

    await page.getByRole('heading', { name: 'Submit a generation job' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/redoc.png` });

    expect(local.some((url) => url.endsWith('/redoc/redoc.standalone.js'))).toBe(true);
    expect(external).toEqual([]);
  });
});
