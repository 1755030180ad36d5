/** The registry of evaluation suites for `chartmine eval`. Each suite lives in its own file under `src/eval/`. */
import { negexSuite } from './negex.js';
import type { EvalSuite } from './suite.js';
import { syntheaSuite } from './synthea.js';

export const EVAL_SUITES: readonly EvalSuite[] = [
  negexSuite,
  syntheaSuite,
];
