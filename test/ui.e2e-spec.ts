import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { GENERATION_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApiApp } from '../apps/api/src/api.app';
import { createWorkerApp } from '../apps/worker/src/worker.app';
import { ARTIFACTS, describeWithBrowser, launchBrowser } from './support/browser';
import { EnvironmentOverrides } from './support/environment-overrides';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/isolated-database';
import { type Job, JobsClient } from './support/jobs-client';
import { deleteKeys } from './support/redis-keys';
import { eventually } from './support/timing';

const KEY = 'ui-e2e-key';
const PHONE = { width: 390, height: 844 };
const BULK_JOBS = 14;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
}

// Gallery counts must be exact, so the file has a database of its own. A failed attempt waits
// 20 s for its retry: long enough to cancel a queued job from the page. Each job works 2.5 s.
describeWithBrowser('browser UI at / on a phone, fully offline', () => {
  const env = new EnvironmentOverrides();
  const basePrefix = process.env.QUEUE_PREFIX as string;
  let database: IsolatedDatabase;
  let app: NestFastifyApplication;
  let worker: INestApplicationContext;
  let queue: Queue;
  let baseUrl: string;
  let client: JobsClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const external: string[] = [];
  const local: Recorded[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createIsolatedDatabase('ui');
    env.set({
      DATABASE_URL: database.url,
      API_KEYS: `ui:${sha256(KEY)}`,
      JOB_BACKOFF_MS: '20000',
      // Long enough to watch a job work: the mock reports its steps as progress.
      MOCK_LATENCY_MS: '2500',
      SUBMIT_RATE_LIMIT_PER_MINUTE: '0',
    });
    app = await createApiApp();
    await app.listen(0, '127.0.0.1');
    worker = await createWorkerApp();
    queue = app.get<Queue>(getQueueToken(GENERATION_QUEUE));
    baseUrl = await app.getUrl();
    client = new JobsClient(baseUrl, KEY);

    browser = await launchBrowser();
    context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    // Refuse (and record) every request that would leave this machine.
    await context.route('**/*', (route) => {
      const request = route.request();
      const url = request.url();
      if (url.startsWith(baseUrl) || url.startsWith('data:') || url.startsWith('blob:')) {
        local.push({ method: request.method(), url, authorization: request.headers().authorization });
        return route.continue();
      }
      external.push(url);
      return route.abort();
    });
    await context.addInitScript(() => {
      const violations: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = violations;
      document.addEventListener('securitypolicyviolation', (event) =>
        violations.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await worker?.close();
    await queue?.obliterate({ force: true });
    await app?.close();
    await rm(process.env.STORAGE_LOCAL_DIR as string, { recursive: true, force: true });
    env.restore();
    await database?.drop();
    await deleteKeys(`${basePrefix}*`);
  });

  const tiles = () => page.locator('#gallery .tile');

  async function listAll(): Promise<Job[]> {
    const { data, error, response } = await client.api.GET('/v1/jobs', { params: { query: { limit: 100 } } });
    if (!data) throw new Error(`list answered ${response.status}: ${JSON.stringify(error)}`);
    return data.data;
  }

  async function cardShows(prompt: string, status: Job['status']): Promise<string> {
    await page.locator('#job-prompt', { hasText: prompt }).waitFor();
    await page.locator(`#job-status[data-status="${status}"]`).waitFor();
    return (await page.locator('#job-id').textContent()) as string;
  }

  async function galleryShows(text: string | RegExp): Promise<void> {
    await page.locator('#gallery-status', { hasText: text }).waitFor();
    await page.locator('#gallery[aria-busy="false"]').waitFor({ state: 'attached' });
  }

  it('serves the page with a strict CSP, and its script and stylesheet with their types', async () => {
    const pageAnswer = await fetch(`${baseUrl}/`);
    expect(pageAnswer.status).toBe(200);
    expect(pageAnswer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The policy as written out here, not the server's own constant, so a loosened policy fails.
    const csp = pageAnswer.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(csp.split('; ').map((directive) => directive.split(/ (.*)/, 2)));
    expect(directives).toEqual({
      'default-src': "'self'",
      'img-src': "'self' blob: data:",
      'media-src': "'self' blob:",
      'style-src': "'self'",
      'script-src': "'self'",
      'connect-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
      'frame-ancestors': "'none'",
    });
    expect(await pageAnswer.text()).toContain('<script type="module" src="/ui/app.js"></script>');

    const script = await fetch(`${baseUrl}/ui/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const styles = await fetch(`${baseUrl}/ui/styles.css`);
    expect(styles.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const etag = styles.headers.get('etag') as string;
    expect((await fetch(`${baseUrl}/ui/styles.css`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('asks for the key, submits from the keyboard and shows the image through a blob: URL', async () => {
    await page.goto(`${baseUrl}/`);
    // Without a key the list is a 401 problem, with a hint.
    await page.locator('#gallery-problem', { hasText: 'Enter a valid API key above.' }).waitFor();

    await page.getByLabel('API key', { exact: true }).fill(KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await galleryShows('No jobs yet.');
    expect(await page.evaluate(() => [sessionStorage.getItem('mediagen.apiKey'), localStorage.length])).toEqual([
      KEY,
      0,
    ]);

    await page.getByLabel('Prompt').fill('a red fox in fresh snow');
    await page.getByLabel('Width').fill('64');
    await page.getByLabel('Height').fill('64');
    await page.getByRole('button', { name: 'Generate' }).focus();
    await page.keyboard.press('Enter');

    const id = await cardShows('a red fox in fresh snow', 'succeeded');
    expect(await page.locator('#job-attempts').textContent()).toBe('1 of 3');
    expect(await page.locator('#job-announcer').textContent()).toBe(`Job ${id.slice(0, 8)}: succeeded.`);
    const image = page.locator('#job-outputs img');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#job-outputs img');
      return img?.complete && img.naturalWidth > 0;
    });
    expect(await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([64, 64]);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    expect(await image.getAttribute('alt')).toBe('Output 1 of 1 for “a red fox in fresh snow”');

    // Read by path from this origin (outputs name http://media.test), with the key.
    const media = local.filter((request) => request.url === `${baseUrl}/v1/media/${id}/0.png`);
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((request) => request.authorization === `Bearer ${KEY}`)).toBe(true);
    // The card followed the job's event stream, not polls.
    expect(local.filter((request) => request.url === `${baseUrl}/v1/jobs/${id}/events`).length).toBe(1);
    expect(local.filter((request) => request.url === `${baseUrl}/v1/status/${id}`)).toEqual([]);
    // Fits the phone: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  });

  it('shows the job live: processing with a progress bar that moves, the elapsed time, then succeeded', async () => {
    // Every status the card shows, in order, and the highest percent the bar reached.
    await page.evaluate(() => {
      const seen: string[] = [];
      const percents: number[] = [];
      Object.assign(window, { seenStatuses: seen, seenPercents: percents });
      const status = document.getElementById('job-status') as HTMLElement;
      const bar = document.getElementById('job-progress-bar') as HTMLProgressElement;
      const progress = document.getElementById('job-progress') as HTMLElement;
      new MutationObserver(() => {
        const label = `${status.dataset.status}`;
        if (seen.at(-1) !== label) seen.push(label);
        if (!progress.hidden && bar.hasAttribute('value')) percents.push(bar.value);
      }).observe(document.getElementById('job-card') as HTMLElement, {
        subtree: true,
        attributes: true,
        childList: true,
        characterData: true,
      });
    });
    await page.getByLabel('Prompt').fill('a heron, watched live');
    await page.getByRole('button', { name: 'Generate' }).click();

    await page.locator('#job-status[data-status="processing"]').waitFor();
    await page.locator('#job-progress:not([hidden])').waitFor();
    await page.waitForFunction(() => {
      const bar = document.getElementById('job-progress-bar') as HTMLProgressElement;
      return bar.hasAttribute('value') && bar.value > 0 && bar.value < 100;
    });
    expect(await page.locator('#job-progress-label').textContent()).toMatch(/^\d+% · step \d+\/20$/);
    expect(await page.locator('#job-elapsed').textContent()).toMatch(/\d/);
    expect(await page.locator('#job-history').textContent()).toContain('Attempt 1');
    await page.locator('#job-card').screenshot({ path: `${ARTIFACTS}/ui-live-progress.png` });

    const id = await cardShows('a heron, watched live', 'succeeded');
    expect(await page.locator('#job-progress').isHidden()).toBe(true);
    const seen = await page.evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses);
    expect(seen.indexOf('processing')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('processing')).toBeLessThan(seen.indexOf('succeeded'));
    const percents = await page.evaluate(() => (window as unknown as { seenPercents: number[] }).seenPercents);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#job-history').textContent()).toMatch(/Attempt 1, started .* ended after/);
    expect(local.filter((request) => request.url === `${baseUrl}/v1/jobs/${id}/events`).length).toBe(1);
  });

  it('makes one job of a double click, and replays it when the unchanged form is sent again', async () => {
    await page.getByLabel('Prompt').fill('double click');
    await page.getByRole('button', { name: 'Generate' }).dblclick();
    const id = await cardShows('double click', 'succeeded');

    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('#submit-status', { hasText: 'Already submitted: this is the same job.' }).waitFor();
    expect(await page.locator('#job-id').textContent()).toBe(id);
    expect((await listAll()).filter((job) => job.prompt === 'double click').map((job) => job.id)).toEqual([id]);
  });

  it('shows the problem details of a rejected request next to the form', async () => {
    await page.getByLabel('Model').fill('not a model');
    await page.getByRole('button', { name: 'Generate' }).click();
    const problem = page.locator('#form-problem');
    await problem.locator('.problem-title', { hasText: '(400)' }).waitFor();
    expect(await problem.textContent()).toContain('model must look like owner/name or owner/name:version');
    expect(await page.getByLabel('Model').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-problem');

    // The generator's own checks come back the same way, on the field they name.
    await page.getByLabel('Model').fill('');
    await page.getByLabel('Width').fill('2000');
    await page.getByRole('button', { name: 'Generate' }).click();
    await problem.getByText('input.width must be an integer from 16 to 1024').waitFor();
    expect(await page.getByLabel('Width').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Model').getAttribute('aria-invalid')).toBeNull();
    await page.getByLabel('Width').fill('64');

    // A mistake the page catches itself: other inputs that are not a JSON object.
    await page.getByText('More model inputs').click();
    await page.getByLabel('Other inputs (JSON object)').fill('[1, 2]');
    await page.getByRole('button', { name: 'Generate' }).click();
    await problem.getByText('Other inputs must be a JSON object').waitFor();
    expect(await page.getByLabel('Other inputs (JSON object)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Width').getAttribute('aria-invalid')).toBeNull();
    expect((await listAll()).length).toBe(3);
  });

  it('cancels a job waiting for its retry with the Cancel button', async () => {
    await page.getByLabel('Prompt').fill('cancel me');
    await page.getByLabel('Other inputs (JSON object)').fill('{"fail_first_attempts": 1}');
    await page.getByRole('button', { name: 'Generate' }).click();
    const id = await cardShows('cancel me', 'queued');
    expect(await page.locator('#form-problem').isHidden()).toBe(true);
    // The first attempt fails; the retry is 20 s away. The card says so, with the error and the history.
    await eventually(async () => ((await client.job(id)).attempts === 1 ? true : undefined));
    await page.locator('#job-status', { hasText: 'Retrying' }).waitFor();
    expect(await page.locator('#job-error').textContent()).toContain('upstream_unavailable');
    expect(await page.locator('#job-history').textContent()).toMatch(
      /Attempt 1, started .* failed after .*upstream_unavailable/,
    );

    await page.getByRole('button', { name: 'Cancel job' }).click();
    await cardShows('cancel me', 'canceled');
    expect(await page.getByRole('button', { name: 'Cancel job' }).isHidden()).toBe(true);
    expect(await page.locator('#job-announcer').textContent()).toBe(`Job ${id.slice(0, 8)}: canceled.`);
    expect(await page.locator('#job-error').textContent()).toContain('upstream_unavailable');
    expect((await client.job(id)).status).toBe('canceled');
    // One event stream was open the whole time: no polling.
    expect(local.filter((request) => request.url === `${baseUrl}/v1/jobs/${id}/events`).length).toBe(1);
    expect(local.filter((request) => request.url === `${baseUrl}/v1/status/${id}`)).toEqual([]);

    await page.getByLabel('Other inputs (JSON object)').fill('');
  });

  it('lists recent jobs with thumbnails, filters them by status and pages through them', async () => {
    // One after the other: submitted at once, their creation order (the gallery's order) would be a race.
    const made: Job[] = [];
    for (let index = 0; index < BULK_JOBS; index += 1) {
      made.push(
        await client.submit({ prompt: `bulk job ${index + 1}`, input: { width: 96, height: 96, seed: index } }),
      );
    }
    await Promise.all(made.map((job) => client.waitUntilDone(job.id)));
    const total = BULK_JOBS + 4;

    await page.getByRole('button', { name: 'Refresh' }).click();
    await galleryShows('Page 1: 12 jobs, more on the next page.');
    expect(await tiles().count()).toBe(12);
    expect(await tiles().first().textContent()).toContain(`bulk job ${BULK_JOBS}`);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#gallery .tile img');
      return img?.complete && img.naturalWidth > 0;
    });
    const firstPage = await tiles().evaluateAll((buttons) => buttons.map((button) => button.dataset.jobId));

    await page.getByRole('button', { name: 'Next page' }).click();
    await galleryShows(`Page 2: ${total - 12} jobs.`);
    const secondPage = await tiles().evaluateAll((buttons) => buttons.map((button) => button.dataset.jobId));
    expect(secondPage).toHaveLength(total - 12);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    // The disabled button gave focus back to the section heading.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('gallery-heading');

    await page.getByRole('button', { name: 'Back to first page' }).click();
    await galleryShows('Page 1: 12 jobs, more on the next page.');
    expect(await page.getByRole('button', { name: 'Back to first page' }).isDisabled()).toBe(true);

    await page.getByLabel('Status').selectOption('canceled');
    await galleryShows('Page 1: 1 canceled job.');
    expect(await tiles().textContent()).toContain('cancel me');

    await page.getByLabel('Status').selectOption('failed');
    await galleryShows('No failed jobs yet.');
    expect(await tiles().count()).toBe(0);

    await page.getByLabel('Status').selectOption('succeeded');
    await galleryShows('Page 1: 12 succeeded jobs, more on the next page.');
    await page.getByRole('button', { name: 'Next page' }).click();
    await galleryShows(`Page 2: ${total - 1 - 12} succeeded jobs.`);

    // Opening a job from the gallery shows it in the card.
    await page.getByLabel('Status').selectOption('');
    await galleryShows('Page 1: 12 jobs, more on the next page.');
    await tiles().first().click();
    await cardShows(`bulk job ${BULK_JOBS}`, 'succeeded');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#job-outputs img');
      return img?.complete && img.naturalWidth === 96;
    });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}/ui.png`, fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  });

  it('loaded nothing from outside, broke no CSP rule and threw no error', async () => {
    expect(external).toEqual([]);
    expect(local.some((request) => request.url === `${baseUrl}/ui/app.js`)).toBe(true);
    expect(local.some((request) => request.url === `${baseUrl}/ui/styles.css`)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
