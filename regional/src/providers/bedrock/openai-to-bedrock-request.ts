/** OpenAI chat request → Bedrock Converse request (the same body serves ConverseStream). */
import { InvalidRequest } from '../../errors/catalogue.js';
import {
  asChatRequest,
  maxTokensOf,
  parseArguments,
  parseDataUrl,
  partsOf,
  stopList,
  textOf,
  cacheControlOf,
  marksCache,
  type OAIContentPart,
  type OAIImagePart,
  type OAIToolChoice,
} from '../common/openai-wire.js';
import type { CachePoint, ConverseContentBlock, ConverseImageFormat, ConverseMessage, ConverseRequest, ConverseToolChoice, ConverseToolSpec } from './converse-wire.js';

/** Anthropic's cache_control on a part becomes a Converse cachePoint right after that part's block. */
const CACHE_POINT: CachePoint = { cachePoint: { type: 'default' } };
import { bedrockFamily, type ResolvedBedrock } from './options.js';

const IMAGE_FORMATS: Record<string, ConverseImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function imageBlock(part: OAIImagePart, param: string): ConverseContentBlock {
  const data = parseDataUrl(part.image_url?.url ?? '');
  if (!data) throw new InvalidRequest('Bedrock models take images as base64 data: URLs only', param);
  const format = IMAGE_FORMATS[data.mediaType];
  if (!format) throw new InvalidRequest(`image type ${data.mediaType} is not supported (png, jpeg, gif, webp)`, param);
  return { image: { format, source: { bytes: data.base64 } } };
}

function userBlocks(parts: OAIContentPart[], param: string): ConverseContentBlock[] {
  const out: ConverseContentBlock[] = [];
  parts.forEach((p, i) => {
    if (p.type === 'text') {
      const text = String((p as { text: unknown }).text ?? '');
      if (text) out.push({ text }); // Converse rejects blank text blocks
    } else if (p.type === 'image_url') out.push(imageBlock(p as OAIImagePart, `${param}.content[${i}]`));
    else throw new InvalidRequest(`content part type '${p.type}' is not supported by this model`, `${param}.content[${i}]`);
    if (cacheControlOf(p) && out.length) out.push(CACHE_POINT);
  });
  return out;
}

function append(messages: ConverseMessage[], role: ConverseMessage['role'], blocks: ConverseContentBlock[]): void {
  if (!blocks.length) return;
  const last = messages[messages.length - 1];
  // Converse requires user and assistant turns to alternate: merge repeats.
  if (last && last.role === role) last.content.push(...blocks);
  else messages.push({ role, content: blocks });
}

function toolChoice(choice: OAIToolChoice | undefined): ConverseToolChoice | undefined {
  if (choice === undefined || choice === 'none') return undefined;
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (typeof choice === 'object' && choice.function?.name) return { tool: { name: choice.function.name } };
  throw new InvalidRequest('unsupported tool_choice', 'tool_choice');
}

/** Models without a system role in Converse (older Mistral instruct models): fold it into the first turn. */
function lacksSystemRole(modelId: string): boolean {
  return /mistral\.(mistral-7b|mixtral)/.test(modelId);
}

export function openAIToBedrockRequest(body: Record<string, unknown>, modelId: string, opts: ResolvedBedrock): ConverseRequest {
  const req = asChatRequest(body);
  const family = bedrockFamily(modelId);
  const system: string[] = [];
  /** Indexes into `system` after which a cache point goes. */
  const systemCache = new Set<number>();
  const messages: ConverseMessage[] = [];
  req.messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(m.content);
        if (t) system.push(t);
        if (t && marksCache(m)) systemCache.add(system.length - 1);
        break;
      }
      case 'user':
        append(messages, 'user', userBlocks(partsOf(m.content), param));
        break;
      case 'assistant': {
        const blocks: ConverseContentBlock[] = [];
        const text = textOf(m.content);
        if (text) blocks.push({ text });
        if (text && marksCache(m)) blocks.push(CACHE_POINT);
        for (const [j, tc] of (m.tool_calls ?? []).entries()) {
          blocks.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `${param}.tool_calls[${j}]`) } });
        }
        append(messages, 'assistant', blocks);
        break;
      }
      case 'tool':
        if (!m.tool_call_id) throw new InvalidRequest('tool messages need a tool_call_id', `${param}.tool_call_id`);
        append(messages, 'user', [{ toolResult: { toolUseId: m.tool_call_id, content: [{ text: textOf(m.content) || '(empty)' }] } }, ...(marksCache(m) ? [CACHE_POINT] : [])]);
        break;
      default:
        throw new InvalidRequest(`unsupported role '${String((m as { role: unknown }).role)}'`, `${param}.role`);
    }
  });
  if (!messages.length) throw new InvalidRequest('at least one user or assistant message is required', 'messages');

  const out: ConverseRequest = { messages };
  if (system.length) {
    if (lacksSystemRole(modelId) && messages[0]!.role === 'user') messages[0]!.content.unshift({ text: system.join('\n\n') });
    else out.system = system.flatMap((text, i) => (systemCache.has(i) ? [{ text }, CACHE_POINT] : [{ text }]));
  }
  const inference: NonNullable<ConverseRequest['inferenceConfig']> = {};
  const maxTokens = maxTokensOf(req) ?? opts.default_max_tokens;
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (typeof req.temperature === 'number') inference.temperature = family === 'anthropic' ? Math.min(1, req.temperature) : req.temperature;
  if (typeof req.top_p === 'number') inference.topP = req.top_p;
  const stop = stopList(req.stop);
  if (stop) inference.stopSequences = stop;
  if (Object.keys(inference).length) out.inferenceConfig = inference;

  if (req.tools?.length) {
    out.toolConfig = {
      tools: req.tools.flatMap((t): Array<ConverseToolSpec | CachePoint> => {
        const spec: ConverseToolSpec = {
          toolSpec: {
            name: t.function.name,
            ...(t.function.description ? { description: t.function.description } : {}),
            inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
          },
        };
        return cacheControlOf(t) ? [spec, CACHE_POINT] : [spec];
      }),
    };
    // Llama models on Bedrock accept only automatic tool choice.
    const choice = family === 'meta' ? undefined : toolChoice(req.tool_choice);
    if (choice) out.toolConfig.toolChoice = choice;
  }
  if (opts.additional_model_request_fields) out.additionalModelRequestFields = opts.additional_model_request_fields;
  if (opts.guardrail_identifier && opts.guardrail_version) {
    out.guardrailConfig = { guardrailIdentifier: opts.guardrail_identifier, guardrailVersion: opts.guardrail_version };
  }
  return out;
}
