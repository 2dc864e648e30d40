import { type Browser, type Page } from 'playwright-core';
import { ARTIFACTS, describeWithBrowser, launchBrowser } from './support/browser';
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

  /** Opens `path`, refusing (and recording) every request that would leave this machine. */
  async function open(path: string): Promise<{ page: Page; external: string[]; local: string[] }> {
    const context = await browser.newContext();
    const external: string[] = [];
    const local: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(service.baseUrl) || url.startsWith('data:') || url.startsWith('blob:')) {
        local.push(url);
        return route.continue();
      }
      external.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    await page.goto(`${service.baseUrl}${path}`);
    return { page, external, local };
  }

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
