/**
 * The whole app, per environment: synthesized once per environment (the slow step) and checked for every item of
 * the infrastructure issue, edge and regions, plus cdk-nag.
 */
import { after, before, describe } from 'node:test';
import { configStoreTests, globalLimitTests } from './config-store-assertions.js';
import { consoleTests } from './console-assertions.js';
import { edgeTests } from './edge-assertions.js';
import { nagTests } from './nag-assertions.js';
import { regionalTests } from './regional-assertions.js';
import { ENVIRONMENTS, removeSynthesized, type SynthesizedEnvironment, synthEnvironment } from './synth.js';

for (const name of ENVIRONMENTS) {
  describe(`environment ${name}`, () => {
    let synthesized: SynthesizedEnvironment | undefined;
    before(() => {
      synthesized = synthEnvironment(name);
    });
    after(() => removeSynthesized(synthesized));
    const get = (): SynthesizedEnvironment => {
      if (!synthesized) throw new Error(`environment ${name} did not synthesize`);
      return synthesized;
    };
    describe('edge stack', () => edgeTests(get));
    describe('regional stacks', () => regionalTests(get));
    describe('config store', () => configStoreTests(get));
    describe('limits across regions', () => globalLimitTests(get));
    describe('console sign-in', () => consoleTests(get));
    describe('cdk-nag', () => nagTests(get));
  });
}
