/** Liveness and readiness. Readiness names each dependency and its state; it never includes secrets or text. */

/** One readiness check: resolves when healthy, throws otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** Result of the readiness checks. */
export interface ReadinessReport {
  readonly status: 'ready' | 'not-ready';
  readonly checks: Readonly<Record<string, 'ok' | 'failed' | 'timeout' | 'not-required'>>;
}

/** A check gets this long before it counts as failed. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * Runs the checks in parallel.
 * @param checks - named checks; `undefined` means not required in this process.
 * @returns the report.
 */
export async function checkReadiness(checks: Readonly<Record<string, ReadinessCheck | undefined>>): Promise<ReadinessReport> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      if (!check) return [name, 'not-required'] as const;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), READINESS_TIMEOUT_MS);
      });
      try {
        const result = await Promise.race([check().then(() => 'ok' as const), timeout]);
        return [name, result] as const;
      } catch (err: unknown) {
        void err;
        return [name, 'failed'] as const;
      } finally {
        clearTimeout(timer);
      }
    })
  );
  const ok = results.every(([, r]) => r === 'ok' || r === 'not-required');
  return { status: ok ? 'ready' : 'not-ready', checks: Object.fromEntries(results) };
}
