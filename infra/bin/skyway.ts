#!/usr/bin/env node
/**
 * The CDK app (cdk.json "app": `node dist/infra/bin/skyway.js`).
 *   npx cdk synth --all -c env=dev        # offline, from cdk.context.json
 *   npx cdk deploy --all -c env=prod
 * `-c edgeFunctionFile=<path>` overrides the edge artifact (default dist/edge/viewer-request.js).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { findRepoRoot } from '../lib/repo-root.js';
import { buildSkyway, environmentFromContext } from '../lib/skyway-app.js';

const app = new App();
const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const functionFile = app.node.tryGetContext('edgeFunctionFile') as string | undefined;
buildSkyway(app, environmentFromContext(app), { repoRoot, ...(functionFile ? { functionFile } : {}) });
app.synth();
