/**
 * The billed seconds of a transcription or translation, and a log line saying where they came from: the
 * upstream's answer, the duration measured from the upload (audio-meter.ts) or, when neither, the size bound
 * the reservation used (see transcriptionBill in media-usage.ts). Called once the upstream answered.
 */
import type { Logger } from 'pino';
import type { Usage } from '../../providers/adapter.js';
import { transcriptionBill } from './media-usage.js';
import type { UploadIntake } from './upload-intake.js';

export function audioUsage(logger: Logger, requestId: string, body: Buffer, contentType: string, intake: UploadIntake | undefined): Usage {
  const meter = intake?.fields?.audio;
  const measure = meter?.result();
  // The figure is read once: a parse still running is not needed any more.
  intake?.fields?.stop();
  const bill = transcriptionBill(body, contentType, measure, intake?.declared ?? intake?.received ?? 0);
  const unmeasured = meter ? measure?.reason : 'no_file_part';
  const line = {
    requestId,
    audioSeconds: bill.usage.audioSeconds,
    audioSecondsSource: bill.source,
    measuredSeconds: measure?.seconds,
    audioBytes: measure?.bytes,
    ...(unmeasured ? { unmeasured } : {}),
  };
  if (bill.source === 'size_bound') logger.warn(line, 'audio billed at the size bound: neither the answer nor the upload gave a duration');
  else logger.info(line, 'audio billed');
  return bill.usage;
}
