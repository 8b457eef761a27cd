// Periodic jobs on node-cron: a baseline snapshot row every minute and pruning every hour.
// Exact timing (unbans to the second, polling) is the poll loop's job, not cron's: a minute grid is too coarse for it.
import { schedule, type ScheduledTask } from 'node-cron';

/** A job: a name for the logs and what to run. */
export interface CronJob {
  name: string;
  /** A cron expression (node-cron, seconds field optional). */
  expression: string;
  run: () => void | Promise<void>;
}

/**
 * Starts the jobs; a failing run is logged and the job stays scheduled. Returns a function that stops them all.
 * @example const stop = startScheduler([{ name: 'prune', expression: '17 * * * *', run: prune }], log);
 */
export function startScheduler(jobs: CronJob[], log: { error(msg: string): void }): () => Promise<void> {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    schedule(job.expression, async () => {
      try {
        await job.run();
      } catch (err) {
        log.error(`scheduled job ${job.name} failed: ${(err as Error).message}`);
      }
    }, { name: `warden-${job.name}`, noOverlap: true }),
  );
  return async () => {
    for (const t of tasks) await t.destroy();
  };
}
