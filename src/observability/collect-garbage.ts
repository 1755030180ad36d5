/**
 * A full garbage collection on demand, through the in-process inspector (no `--expose-gc` flag, no port opened).
 * Processes run one when start-up is over: loading the terminology index and the models leaves tens of MB of
 * garbage (the decompressed index text, file buffers) that V8 would otherwise keep, and count in RSS, until its
 * next major GC — which an idle worker may not run for a long time.
 */
import { Session } from 'node:inspector/promises';

/** Runs a full garbage collection (all generations), and resolves when it is done. */
export async function collectGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}
