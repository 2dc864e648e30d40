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
    expect((await client.media(old.outputs[0].url)).status).toBe(404);

    expect(existsSync(media(recent.id))).toBe(true);
    expect(await client.job(recent.id)).toMatchObject({ outputs: recent.outputs, outputsExpiredAt: null });
  });
});
