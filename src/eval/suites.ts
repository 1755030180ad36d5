/** The registry of evaluation suites for `chartmine eval`. Each suite lives in its own file under `src/eval/`. */
import { bc5cdrSuite } from './bc5cdr.js';
import { ncbiSuite } from './ncbi.js';
import type { EvalSuite } from './suite.js';

export const EVAL_SUITES: readonly EvalSuite[] = [bc5cdrSuite, ncbiSuite];
