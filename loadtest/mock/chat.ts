/** POST /v1/chat/completions: a deterministic answer, as JSON or as OpenAI-shaped SSE chunks. */
import { MockHttpError } from './errors.js';
import { countWords, defaultLength, generate, hash32, messagesText, stopList, type FinishReason } from './text.js';
import { argumentPieces, chosenTool, toolArguments } from './tools.js';
import type { ChatRequest, Usage } from './types.js';
import { optionalInt, requirePresent, requireString, type Json } from './validate.js';

interface PlannedChoice {
  tokens: string[];
  finish: FinishReason | 'tool_calls';
  tool?: { id: string; name: string; arguments: string; pieces: string[] };
}

export interface ChatPlan {
  id: string;
  created: number;
  model: string;
  choices: PlannedChoice[];
  usage: Usage;
  includeUsage: boolean;
}

/** Validates the request and decides every choice's tokens up front. */
export function planChat(body: Json, forcedLength: number | undefined): ChatPlan {
  const model = requireString(body, 'model');
  const messages = requirePresent(body, 'messages');
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new MockHttpError(400, "'messages' must be a non-empty array", 'messages', 'invalid_value');
  }
  const req = body as unknown as ChatRequest;
  const n = optionalInt(body, 'n', 1, 128) ?? 1;
  const maxTokens = optionalInt(body, 'max_completion_tokens', 0, 1 << 30) ?? optionalInt(body, 'max_tokens', 0, 1 << 30);
  const stop = stopList(req.stop);
  const prompt = messagesText(req.messages);
  const seed = hash32(prompt);
  const tool = chosenTool(req.tools, req.tool_choice);
  const choices: PlannedChoice[] = [];
  let completionTokens = 0;
  for (let i = 0; i < n; i++) {
    const choiceSeed = hash32(String(i), seed);
    if (tool) {
      const args = toolArguments(tool, choiceSeed);
      const pieces = argumentPieces(args);
      const id = 'call_' + choiceSeed.toString(36).padStart(7, '0');
      choices.push({ tokens: [], finish: 'tool_calls', tool: { id, name: tool.function.name, arguments: args, pieces } });
      completionTokens += pieces.length;
    } else {
      const g = generate(choiceSeed, forcedLength ?? defaultLength(choiceSeed), maxTokens, stop);
      choices.push({ tokens: g.tokens, finish: g.finish });
      completionTokens += g.tokens.length;
    }
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
      logprobs: null,
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
      for (const t of c.tokens) yield event({ index, delta: { content: t }, logprobs: null, finish_reason: null });
    }
    yield event({ index, delta: {}, logprobs: null, finish_reason: c.finish });
  }
  if (plan.includeUsage) {
    yield `data: ${head}],"usage":${JSON.stringify(plan.usage)}}\n\n`;
  }
  yield 'data: [DONE]\n\n';
}
