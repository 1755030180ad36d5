/**
 * The bot in Medplum's `vmcontext` runtime, not in plain Node. Self-hosted Medplum runs bots with
 * `vm.runInNewContext` (packages/server/src/bots/vmcontext.ts, Medplum 4.x): the bot's compiled CommonJS is wrapped
 * with `const exports = {}; const module = {exports};`, then `exports.handler(medplum, event)` is awaited, and the
 * sandbox holds only console, fetch, require, ContentType, Hl7Message, MedplumClient, the text codecs and streams,
 * URL, URLSearchParams, Headers, Request, Response and event. No `crypto`, `AbortSignal`, `setTimeout`, `Buffer`:
 * issue 13 observed the earlier bot fail there with "crypto is not defined".
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { ContentType, Hl7Message, MedplumClient } from '@medplum/core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scriptedPipeline } from '../../test/support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../../test/support/test-server.js';

const SECRET = 'bot-vm-notify-secret-0123456789abcdef';
let chartmine: TestServer;
/** The bot as `npx tsc … --module commonjs` compiles it for deployment (README, "The Medplum bot"). */
const code = ts.transpileModule(readFileSync(new URL('./chartmine-forwarder.ts', import.meta.url), 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
}).outputText;

beforeAll(async () => {
  chartmine = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { NOTIFY_SECRET: SECRET, WORKERS: '0' } });
});
afterAll(async () => {
  await chartmine?.close();
});

/** Runs the bot as vmcontext does; returns the handler's result and what it logged. */
async function runInVmContext(input: unknown, headers: Record<string, string> = {}): Promise<{ result: unknown; logs: string[] }> {
  const logs: string[] = [];
  const sandbox = {
    console: { log: (...args: unknown[]) => void logs.push(args.map(String).join(' ')), error: (...args: unknown[]) => void logs.push(args.map(String).join(' ')) },
    fetch: globalThis.fetch,
    require: createRequire(import.meta.url),
    ContentType,
    Hl7Message,
    MedplumClient,
    TextDecoder,
    TextEncoder,
    TextDecoderStream,
    TextEncoderStream,
    ReadableStream,
    WritableStream,
    TransformStream,
    URL,
    URLSearchParams,
    Headers,
    Request,
    Response,
    event: {
      bot: { reference: 'Bot/chartmine-forwarder' },
      baseUrl: 'http://127.0.0.1:1/',
      accessToken: 'unused',
      input,
      contentType: 'application/fhir+json',
      secrets: { CHARTMINE_URL: { name: 'CHARTMINE_URL', valueString: chartmine.url }, CHARTMINE_NOTIFY_SECRET: { name: 'CHARTMINE_NOTIFY_SECRET', valueString: SECRET } },
      headers,
    },
  };
  const wrapped = `
    const exports = {};
    const module = { exports };
    ${code}
    (async () => {
      const medplum = new MedplumClient({ baseUrl: event.baseUrl, fetch: (url, options) => fetch(url, options) });
      medplum.setAccessToken(event.accessToken);
      const { bot, input, contentType, secrets, headers } = event;
      return exports.handler(medplum, { bot, input, contentType, secrets, headers });
    })();`;
  const result: unknown = await vm.runInNewContext(wrapped, sandbox, { timeout: 10_000 });
  return { result, logs };
}

describe('chartmine-forwarder in the vmcontext runtime', () => {
  test('the sandbox really lacks crypto and AbortSignal (so the test would catch a bot relying on them)', () => {
    expect(vm.runInNewContext('[typeof crypto, typeof AbortSignal, typeof setTimeout, typeof Buffer]', {})).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
  });

  test('forwards an update, signed; a real Chartmine verifies the signature and queues it (202)', async () => {
    const { result } = await runInVmContext({ resourceType: 'DocumentReference', id: 'vm-note-1', meta: { versionId: '3' }, status: 'current', content: [] });
    expect(JSON.parse(JSON.stringify(result))).toEqual({ forwarded: 'upsert', status: 202, jobIds: ['note-vm-note-1-v3'] });
  });

  test('forwards a deletion from the header Medplum sets', async () => {
    const { result } = await runInVmContext({}, { 'X-Medplum-Deleted-Resource': 'DocumentReference/vm-note-2' });
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ forwarded: 'delete', status: 202 });
  });
});
