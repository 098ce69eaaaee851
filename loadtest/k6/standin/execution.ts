/** Stand-in for `k6/execution`: the few read-only fields a script may look at. */
import { state } from './context.js';

export default {
  get scenario() {
    return { name: state.tags.scenario ?? 'default', iterationInTest: globalThis.__ITER ?? 0 };
  },
  get vu() {
    return { idInTest: globalThis.__VU ?? 1, iterationInScenario: globalThis.__ITER ?? 0 };
  },
};
