import type { Browser } from 'playwright-core';
import { ARTIFACTS, describeWithBrowser, launchBrowser, openOffline } from './support/browser';
import { EnvironmentOverrides } from './support/environment-overrides';
import { type RunningService, startService } from './support/service';

describeWithBrowser('queue dashboard in a headless browser, fully offline', () => {
  const env = new EnvironmentOverrides();
  let service: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    env.set({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'dashboard-secret' });
    service = await startService();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    env.restore();
  });

  it('renders the queues while loading nothing from outside', async () => {
    const { page, external, local } = await openOffline(browser, service.baseUrl, '/admin/queues', {
      httpCredentials: { username: 'ops', password: 'dashboard-secret' },
    });

    // The overview cards come from the dashboard's own API, so they prove scripts and requests ran.
    await page.getByText('0 Jobs').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/queue-dashboard.png` });

    expect(local.some((url) => url.includes('/admin/queues/static/'))).toBe(true);
    expect(external).toEqual([]);
  });

  it('forbids the page every origin but its own', async () => {
    const response = await service.client.get('/admin/queues', {
      authorization: `Basic ${Buffer.from('ops:dashboard-secret').toString('base64')}`,
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("font-src 'self' data:");
  });
});
