import { parseArgs } from 'node:util';
import type { Job, Queue } from 'bullmq';
import { loadConfig } from '../config/config.js';
import type { AnalyzeNoteJobData } from '../jobs/analyze-note.job.js';
import type { AnalyzeFeedbackJobData } from '../jobs/analyze-feedback.job.js';
import { AnalyzeFeedbackProducer } from '../queue/analyze-feedback.queue.js';
import { AnalyzeNoteProducer } from '../queue/analyze-note.queue.js';
import { createRedis } from '../queue/connection.js';
import { resolveQueueNamespace } from '../queue/namespace.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

/** `chartmine jobs`: inspect the queue and replay failed jobs. Prints ids, states and reasons, never note text. */
export const jobsCommand: CliCommand = {
  name: 'jobs',
  help: [
    'Usage: chartmine jobs [counts | failed [--limit N] | show JOB_ID | retry JOB_ID... | retry --all-failed] [--queue notes|feedback]',
    '',
    '  --queue Q            notes (nlp-analyze-note, default) or feedback (nlp-analyze-feedback: patient feedback)',
    '  counts               jobs per state (default)',
    '  failed               failed jobs, newest first: id, note, attempts and the OperationOutcome reason',
    '  show JOB_ID          one job: state, data (identifiers only), result or reason',
    '  retry JOB_ID...      move failed jobs back to waiting (they keep their id, so nothing is duplicated)',
    '  retry --all-failed   replay every failed job',
    '',
    'Uses REDIS_URL, QUEUE_PREFIX and the queue namespace of the FHIR server (FHIR_BASE_URL, or the embedded store on',
    'PORT/PUBLIC_URL; QUEUE_NAMESPACE overrides it: see /readyz).',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        limit: { type: 'string', default: '50' },
        'all-failed': { type: 'boolean', default: false },
        queue: { type: 'string', default: 'notes' },
      },
      allowPositionals: true,
    });
    if (values.queue !== 'notes' && values.queue !== 'feedback') throw new UsageError('--queue must be notes or feedback');
    const config = loadConfig(io.env);
    const redis = createRedis(config.redisUrl, 'producer');
    const prefix = resolveQueueNamespace(config).prefix;
    const producer = values.queue === 'feedback' ? new AnalyzeFeedbackProducer(redis, prefix) : new AnalyzeNoteProducer(redis, prefix);
    const queue = producer.queue as Queue<AnalyzeNoteJobData | AnalyzeFeedbackJobData>;
    const print = (value: unknown): void => void io.stdout.write(`${JSON.stringify(value)}\n`);
    try {
      const [action = 'counts', ...ids] = positionals;
      switch (action) {
        case 'counts':
          print(await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'));
          return 0;
        case 'failed': {
          const limit = Number(values.limit);
          if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
          for (const job of await queue.getFailed(0, limit - 1)) print(describe(job));
          return 0;
        }
        case 'show': {
          if (ids.length !== 1) throw new UsageError('show takes one JOB_ID');
          const job = await queue.getJob(ids[0]);
          if (!job) {
            io.stderr.write(`no job ${ids[0]}\n`);
            return 1;
          }
          print({ ...describe(job), state: await job.getState(), result: job.returnvalue });
          return 0;
        }
        case 'retry': {
          const jobs = values['all-failed'] ? await queue.getFailed() : await Promise.all(ids.map((id) => queue.getJob(id)));
          if (jobs.length === 0 && !values['all-failed']) throw new UsageError('retry takes JOB_IDs or --all-failed');
          let retried = 0;
          for (const job of jobs) {
            if (job && (await job.getState()) === 'failed') {
              await job.retry('failed');
              retried++;
            }
          }
          print({ retried });
          return 0;
        }
        default:
          throw new UsageError(`unknown action '${action}'`);
      }
    } finally {
      await producer.close();
      redis.disconnect();
    }
  },
};

function describe(job: Job<AnalyzeNoteJobData | AnalyzeFeedbackJobData>): Record<string, unknown> {
  let reason: unknown = job.failedReason;
  try {
    reason = job.failedReason ? (JSON.parse(job.failedReason) as unknown) : undefined;
  } catch (err: unknown) {
    void err; // a reason written by another version: print it as it is
  }
  return {
    id: job.id,
    ...('noteId' in job.data ? { note: `DocumentReference/${job.data.noteId}` } : { source: `${job.data.resourceType}/${job.data.id}` }),
    versionId: job.data.versionId,
    attemptsMade: job.attemptsMade,
    finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
    reason,
  };
}
