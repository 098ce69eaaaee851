/**
 * POST /v1/chat/completions: a deterministic answer, as JSON or as OpenAI-shaped SSE chunks. The request is
 * checked with the gateway's own validators (OpenAI's rules) first; then the mock decides like a model: a tool
 * call or text (tools.ts), JSON for `response_format` (schema-value.ts), logprobs when asked, and the same
 * answer for the same prompt and `seed`.
 */
import { validateOpenAIRequest } from '../../regional/src/validation/index.js';
import { MockHttpError } from './errors.js';
import { logprobsFor, type TokenLogprob } from './logprobs.js';
import { valueForSchema } from './schema-value.js';
import { countWords, defaultLength, generate, hash32, messagesText, prng, stopList, tokens as words, type FinishReason } from './text.js';
import { argumentPieces, chosenTool, toolArguments } from './tools.js';
import type { ChatRequest, Usage } from './types.js';
import type { Json } from './validate.js';

interface PlannedChoice {
  tokens: string[];
  finish: FinishReason | 'tool_calls';
  tool?: { id: string; name: string; arguments: string; pieces: string[] };
  logprobs?: TokenLogprob[];
}

export interface ChatPlan {
  id: string;
  created: number;
  model: string;
  choices: PlannedChoice[];
  usage: Usage;
  includeUsage: boolean;
}

/** The JSON text a `response_format` asks for, or undefined for plain text. */
function jsonAnswer(req: ChatRequest, prompt: string, seed: number): string | undefined {
  const rf = req.response_format;
  if (!rf || rf.type === 'text') return undefined;
  if (rf.type === 'json_object') {
    // OpenAI's own rule: the conversation must ask for JSON.
    if (!/json/i.test(prompt)) {
      throw new MockHttpError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'messages', 'invalid_value');
    }
    return JSON.stringify({ answer: words(seed, 6).join('') });
  }
  return JSON.stringify(valueForSchema(rf.json_schema.schema ?? { type: 'object', properties: { answer: { type: 'string' } } }, prng(seed)));
}

/** Cut `pieces` to `maxTokens`: finish "length" when they did not fit. */
function capped(pieces: string[], maxTokens: number | undefined): { tokens: string[]; finish: FinishReason } {
  if (maxTokens !== undefined && pieces.length > maxTokens) return { tokens: pieces.slice(0, maxTokens), finish: 'length' };
  return { tokens: pieces, finish: 'stop' };
}

/** Validates the request and decides every choice's tokens up front. */
export function planChat(body: Json, forcedLength: number | undefined): ChatPlan {
  const model = validateOpenAIRequest(body, 'chat');
  const req = body as unknown as ChatRequest;
  const n = req.n ?? 1;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  const stop = stopList(req.stop);
  const prompt = messagesText(req.messages);
  const seed = typeof req.seed === 'number' ? hash32(String(req.seed), hash32(prompt)) : hash32(prompt);
  const tool = chosenTool(req.tools, req.tool_choice, req.messages);
  const top = req.logprobs === true ? (req.top_logprobs ?? 0) : undefined;
  const choices: PlannedChoice[] = [];
  let completionTokens = 0;
  for (let i = 0; i < n; i++) {
    const choiceSeed = hash32(String(i), seed);
    let choice: PlannedChoice;
    if (tool) {
      const args = toolArguments(tool, choiceSeed);
      const pieces = argumentPieces(args);
      const id = 'call_' + choiceSeed.toString(36).padStart(7, '0');
      choice = { tokens: [], finish: 'tool_calls', tool: { id, name: tool.function.name, arguments: args, pieces } };
      completionTokens += pieces.length;
    } else {
      const json = jsonAnswer(req, prompt, choiceSeed);
      choice = json !== undefined ? capped(argumentPieces(json), maxTokens) : generate(choiceSeed, forcedLength ?? defaultLength(choiceSeed), maxTokens, stop);
      completionTokens += choice.tokens.length;
      if (top !== undefined) choice.logprobs = logprobsFor(choice.tokens, top, choiceSeed);
    }
    choices.push(choice);
  }
  const promptTokens = countWords(prompt);
  return {
    id: 'chatcmpl-mock' + seed.toString(36),
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    includeUsage: req.stream_options?.include_usage === true,
  };
}

export function chatJson(plan: ChatPlan): string {
  return JSON.stringify({
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    system_fingerprint: 'fp_mock',
    choices: plan.choices.map((c, index) => ({
      index,
      message: c.tool
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: c.tool.id, type: 'function', function: { name: c.tool.name, arguments: c.tool.arguments } }],
          }
        : { role: 'assistant', content: c.tokens.join(''), refusal: null },
      logprobs: c.logprobs ? { content: c.logprobs, refusal: null } : null,
      finish_reason: c.finish,
    })),
    usage: plan.usage,
  });
}

/** The SSE events of a streamed answer, one `data: ...\n\n` string each, ending with `data: [DONE]`. */
export function* chatChunks(plan: ChatPlan): Generator<string> {
  const head = `{"id":"${plan.id}","object":"chat.completion.chunk","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":"fp_mock","choices":[`;
  const tail = plan.includeUsage ? '],"usage":null}' : ']}';
  const event = (choice: object) => `data: ${head}${JSON.stringify(choice)}${tail}\n\n`;
  for (let index = 0; index < plan.choices.length; index++) {
    const c = plan.choices[index]!;
    if (c.tool) {
      const call = { index: 0, id: c.tool.id, type: 'function', function: { name: c.tool.name, arguments: '' } };
      yield event({ index, delta: { role: 'assistant', content: null, tool_calls: [call] }, logprobs: null, finish_reason: null });
      for (const piece of c.tool.pieces) {
        yield event({ index, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, logprobs: null, finish_reason: null });
      }
    } else {
      yield event({ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null });
      for (let k = 0; k < c.tokens.length; k++) {
        const logprobs = c.logprobs ? { content: [c.logprobs[k]], refusal: null } : null;
        yield event({ index, delta: { content: c.tokens[k] }, logprobs, finish_reason: null });
      }
    }
    yield event({ index, delta: {}, logprobs: null, finish_reason: c.finish });
  }
  if (plan.includeUsage) {
    yield `data: ${head}],"usage":${JSON.stringify(plan.usage)}}\n\n`;
  }
  yield 'data: [DONE]\n\n';
}
