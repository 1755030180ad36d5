import { createInterface } from 'node:readline';
import { assertTarget } from '../nlp/assert-target.js';
import { readRuleLexicons } from '../nlp/lexicons/rule-lexicons.js';
import type { Span } from '../nlp/types.js';
import type { CliCommand } from './command.js';
import { UsageError } from './command.js';

/** One input line. */
interface AssertRequest {
  readonly text: string;
  readonly target: string;
  readonly span?: readonly [number, number];
}

/**
 * `chartmine assert`: JSON lines in (`{"text", "target", "span"?}`), one JSON line out per input with the ConText
 * assertion. A line that cannot be judged gets `{"error": ...}` naming its line number (never its text), and the
 * exit code is 1; the other lines are still answered, in order.
 */
export const assertCommand: CliCommand = {
  name: 'assert',
  help: [
    'Usage: chartmine assert < input.jsonl > output.jsonl',
    '',
    'Reads one JSON object per line: {"text": "...", "target": "..."} where target is a substring of text,',
    'optionally with "span": [start, end] (UTF-16 offsets into text) when the target occurs more than once.',
    'Writes one JSON object per input line:',
    '  {"assertion": "affirmed|negated|possible|historical|family|hypothetical", "relative"?: "MTH",',
    '   "span": [start, end], "context": {"negation", "temporality", "experiencer"}}',
    'A line that cannot be judged yields {"error": "..."} and the exit code is 1.',
  ].join('\n'),
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const lexicons = readRuleLexicons();
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
    let lineNo = 0;
    let failed = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const request = parseRequest(line, lineNo);
      if (typeof request === 'string') {
        failed++;
        io.stdout.write(`${JSON.stringify({ error: request })}\n`);
        continue;
      }
      const { text, span } = request;
      const result = assertTarget(text, span, lexicons);
      const { negation, temporality, experiencer } = result.context;
      io.stdout.write(
        `${JSON.stringify({
          assertion: result.assertion,
          ...(result.relative ? { relative: result.relative } : {}),
          span: [span.start, span.end],
          context: { negation, temporality, experiencer },
        })}\n`
      );
    }
    return failed > 0 ? 1 : 0;
  },
};

/** Validates one input line; returns an error message (with the line number only) when it is unusable. */
function parseRequest(line: string, lineNo: number): { text: string; span: Span } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err: unknown) {
    return `line ${lineNo}: not JSON (${err instanceof SyntaxError ? 'syntax error' : 'unreadable'})`;
  }
  if (typeof value !== 'object' || value === null) return `line ${lineNo}: expected an object`;
  const { text, target, span } = value as Partial<AssertRequest>;
  if (typeof text !== 'string' || typeof target !== 'string' || target === '') {
    return `line ${lineNo}: "text" and a non-empty "target" are required strings`;
  }
  if (span !== undefined) {
    const [start, end] = Array.isArray(span) ? (span as unknown[]) : [];
    if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end)) {
      return `line ${lineNo}: "span" must be [start, end] inside text`;
    }
    if (start < 0 || end > text.length || end <= start) return `line ${lineNo}: "span" must be [start, end] inside text`;
    if (text.slice(start, end) !== target) return `line ${lineNo}: "span" does not cover "target"`;
    return { text, span: { start, end } };
  }
  let start = text.indexOf(target);
  if (start < 0) start = text.toLowerCase().indexOf(target.toLowerCase());
  if (start < 0) return `line ${lineNo}: "target" is not a substring of "text"`;
  return { text, span: { start, end: start + target.length } };
}
