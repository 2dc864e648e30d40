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

  it('serves ReDoc at /redoc from the installed package, loading nothing from outside', async () => {
    const { page, external, local } = await open('/redoc');

    await page.getByRole('heading', { name: 'Submit a generation job' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/redoc.png` });

    expect(local.some((url) => url.endsWith('/redoc/redoc.standalone.js'))).toBe(true);
    expect(external).toEqual([]);
  });
});
