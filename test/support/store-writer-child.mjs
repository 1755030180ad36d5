/**
 * Child process of the crash test (`test/e2e/store-crash.e2e.test.ts`): opens the embedded store in DATA_DIR
 * (argv[2]) and writes without pause — single creates, and transactions that create three tagged Conditions and
 * set a counter — printing one `ack` line per write only after the store acknowledged it. The parent kills it
 * with SIGKILL at a random moment. Plain JS run by Node; the TypeScript sources are loaded through Vite's SSR
 * module loader (the test runner's own), so no build is needed.
 */
import { createServer } from 'vite';

const dataDir = process.argv[2];
const run = process.argv[4] ?? 'r'; // tags and texts carry the run, so runs over one folder stay apart
const root = new URL('../..', import.meta.url).pathname;
const vite = await createServer({ root, configFile: false, logLevel: 'silent', server: { middlewareMode: true, hmr: false, watch: null }, appType: 'custom', optimizeDeps: { noDiscovery: true, include: [] } });
const { EmbeddedFhirStore } = await vite.ssrLoadModule('/src/embedded/embedded-store.ts');
const { buildEmbeddedCapabilityStatement } = await vite.ssrLoadModule('/src/fhir/capability-statement.ts');
const store = await EmbeddedFhirStore.open(buildEmbeddedCapabilityStatement('crash-test', '2026-01-01'), { dataDir, compactAfterBytes: Number(process.argv[3] ?? 1 << 20) });
const call = (method, path, body) => store.handle({ method, path, query: new URLSearchParams(), body, headers: {}, baseUrl: 'http://fhir.test/fhir/R4' });
const padding = 'x'.repeat(2000); // bigger records make a kill inside a write likelier
const condition = (text, tag) => ({ resourceType: 'Condition', subject: { reference: 'Patient/p1' }, code: { text }, note: [{ text: padding }], ...(tag ? { meta: { tag: [{ system: 'urn:txn', code: tag }] } } : {}) });
const counter = await call('POST', 'Basic', { resourceType: 'Basic', code: { text: '0' } });
process.stdout.write(`counter ${counter.body.id}\n`);
for (let n = 1; ; n++) {
  if (n % 2 === 0) {
    const r = await call('POST', 'Condition', condition(`w-${run}-${n}`));
    if (r.status !== 201) throw new Error(`create answered ${r.status}`);
    process.stdout.write(`ack write ${n} ${r.body.id}\n`);
  } else {
    const r = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        ...[1, 2, 3].map((i) => ({ resource: condition(`t-${n}-${i}`, `txn-${run}-${n}`), request: { method: 'POST', url: 'Condition' } })),
        { resource: { resourceType: 'Basic', id: counter.body.id, code: { text: String(n) } }, request: { method: 'PUT', url: `Basic/${counter.body.id}` } },
      ],
    });
    if (r.status !== 200) throw new Error(`transaction answered ${r.status}`);
    process.stdout.write(`ack txn ${n}\n`);
  }
}
