import { existsSync, statSync } from 'node:fs';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';

/** CloudFront Functions reject code over 10 KB (not adjustable). */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024;

export interface EdgeFunctionProps {
  /** Path of the built viewer-request function (`dist/edge/viewer-request.js`, produced by `npm run build`). */
  readonly codeFile: string;
  /**
   * Comment on the function and the store.
   * @default 'Skyway viewer-request'
   */
  readonly comment?: string;
}

/**
 * The KeyValueStore and the viewer-request CloudFront Function (runtime 2.0) associated with it.
 * The keys in the store (signing secrets, revocations, region health) are written by the admin role's publisher.
 */
export class EdgeFunction extends Construct {
  readonly keyValueStore: cloudfront.KeyValueStore;
  readonly function: cloudfront.Function;

  constructor(scope: Construct, id: string, props: EdgeFunctionProps) {
    super(scope, id);
    if (!existsSync(props.codeFile)) {
      throw new Error(`edge function artifact ${props.codeFile} is missing: run \`npm run build\` before \`cdk synth\``);
    }
    const size = statSync(props.codeFile).size;
    if (size > CLOUDFRONT_FUNCTION_MAX_BYTES) {
      throw new Error(`edge function artifact ${props.codeFile} is ${size} bytes; CloudFront Functions allow at most ${CLOUDFRONT_FUNCTION_MAX_BYTES}`);
    }
    const comment = props.comment ?? 'Skyway viewer-request';
    this.keyValueStore = new cloudfront.KeyValueStore(this, 'Store', { comment });
    this.function = new cloudfront.Function(this, 'ViewerRequest', {
      code: cloudfront.FunctionCode.fromFile({ filePath: props.codeFile }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.keyValueStore,
      comment,
      autoPublish: true,
    });
  }
}
