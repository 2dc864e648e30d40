import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RetentionService } from '@app/jobs';
import { MAINTENANCE_QUEUE } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { useService } from './support/service';

describe('retention', () => {
  const running = useService();
  const media = (jobId: string) => join(process.env.STORAGE_LOCAL_DIR as string, jobId);

  it('is scheduled once per interval through a BullMQ job scheduler', async () => {
    const maintenance = running.service.worker.get<Queue>(getQueueToken(MAINTENANCE_QUEUE));

    const schedulers = await maintenance.getJobSchedulers();

    expect(schedulers.map((scheduler) => scheduler.key)).toContain('retention');
  });

  it('deletes the media of jobs that ended more than RETENTION_DAYS ago, and says so on the job', async () => {
    const { client, service } = running;
    const old = await client.waitUntilDone(
      (await client.submit({ prompt: 'old', input: { width: 16, height: 16 } })).id,
    );
    const recent = await client.waitUntilDone(
      (await client.submit({ prompt: 'new', input: { width: 16, height: 16 } })).id,
    );
    await service.api
      .get(DataSource)
      .query(`UPDATE jobs SET completed_at = now() - interval '31 days' WHERE id = $1`, [old.id]);
    expect(existsSync(media(old.id))).toBe(true);

    const report = await service.worker.get(RetentionService).purge();

    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect(existsSync(media(old.id))).toBe(false);
    const expired = await client.job(old.id);
    expect(expired).toMatchObject({ status: 'succeeded', outputs: [] });
    expect(expired.outputsExpiredAt).not.toBeNull();

    expect(existsSync(media(recent.id))).toBe(true);
    expect(await client.job(recent.id)).toMatchObject({ outputs: recent.outputs, outputsExpiredAt: null });
  });

  it('answers 410 Gone with media_expired and when, for a media URL whose files retention removed', async () => {
    const { client, service } = running;
    const job = await client.waitUntilDone(
      (await client.submit({ prompt: 'short-lived', input: { width: 16, height: 16 } })).id,
    );
    await service.api
      .get(DataSource)
      .query(`UPDATE jobs SET completed_at = now() - interval '31 days' WHERE id = $1`, [job.id]);
    const before = await client.media(job.outputs[0].url);
    await service.worker.get(RetentionService).purge();
    const { outputsExpiredAt } = await client.job(job.id);

    const gone = await client.media(job.outputs[0].url);
    const otherName = await client.get(`/v1/media/${job.id}/7.png`);
    const neverExisted = await client.get(`/v1/media/${randomUUID()}/0.png`);

    expect(before.status).toBe(200);
    expect(outputsExpiredAt).toEqual(expect.any(String));
    for (const response of [gone, otherName]) {
      expect(response.status).toBe(410);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.json()).toMatchObject({ status: 410, code: 'media_expired', outputsExpiredAt });
    }
    expect(neverExisted.status).toBe(404);
    expect(await neverExisted.json()).toMatchObject({ code: 'job_not_found' });
  });

  it('still answers 404 media_not_found for a file a live job never had', async () => {
    const { client } = running;
    const job = await client.waitUntilDone(
      (await client.submit({ prompt: 'alive', input: { width: 16, height: 16 } })).id,
    );

    const missing = await client.get(`/v1/media/${job.id}/9.png`);

    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'media_not_found' });
  });
});
