/** POST /v1/completions (legacy text completions): same generator as chat, `text_completion` shapes. */
import { validateOpenAIRequest } from '../../regional/src/validation/index.js';
import { countWords, defaultLength, generate, hash32, stopList, type FinishReason } from './text.js';
import type { CompletionRequest, Usage } from './types.js';
import type { Json } from './validate.js';

export interface CompletionPlan {
  id: string;
  created: number;
  model: string;
  /** One entry per prompt × n, in OpenAI's order (prompt-major). */
  choices: { text: string; tokens: string[]; finish: FinishReason }[];
  usage: Usage;
  includeUsage: boolean;
}

function prompts(prompt: unknown): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) return [''];
    if (prompt.every((p) => typeof p === 'string')) return prompt as string[];
    if (prompt.every((p) => typeof p === 'number')) return [prompt.join(' ')];
    if (prompt.every((p) => Array.isArray(p))) return (prompt as unknown[][]).map((p) => p.join(' '));
  }
  return [];
}

export function planCompletion(body: Json, forcedLength: number | undefined): CompletionPlan {
  const model = validateOpenAIRequest(body, 'completions');
  const req = body as unknown as CompletionRequest;
  const list = prompts(req.prompt);
  const n = req.n ?? 1;
  const maxTokens = req.max_tokens ?? 16; // OpenAI's default for this endpoint
  const stop = stopList(req.stop);
  const choices: CompletionPlan['choices'] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for (const p of list) {
    promptTokens += countWords(p);
    const seed = hash32(p);
    for (let i = 0; i < n; i++) {
      const choiceSeed = hash32(String(i), seed);
      const g = generate(choiceSeed, forcedLength ?? defaultLength(choiceSeed), maxTokens, stop);
      const text = (req.echo === true ? p : '') + g.tokens.join('');
      choices.push({ text, tokens: g.tokens, finish: g.finish });
      completionTokens += g.tokens.length;
    }
  }
  return {
    id: 'cmpl-mock' + hash32(list.join('\u0000')).toString(36),
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    includeUsage: req.stream_options?.include_usage === true,
  };
}

export function completionJson(plan: CompletionPlan): string {
  return JSON.stringify({
    id: plan.id,
    object: 'text_completion',
    created: plan.created,
    model: plan.model,
    system_fingerprint: 'fp_mock',
    choices: plan.choices.map((c, index) => ({ text: c.text, index, logprobs: null, finish_reason: c.finish })),
    usage: plan.usage,
  });
}

export function* completionChunks(plan: CompletionPlan): Generator<string> {
  const head = `{"id":"${plan.id}","object":"text_completion","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":"fp_mock","choices":[`;
  const tail = plan.includeUsage ? '],"usage":null}' : ']}';
  for (let index = 0; index < plan.choices.length; index++) {
    const c = plan.choices[index]!;
    for (const t of c.tokens) yield `data: ${head}${JSON.stringify({ text: t, index, logprobs: null, finish_reason: null })}${tail}\n\n`;
    yield `data: ${head}${JSON.stringify({ text: '', index, logprobs: null, finish_reason: c.finish })}${tail}\n\n`;
  }
  if (plan.includeUsage) yield `data: ${head}],"usage":${JSON.stringify(plan.usage)}}\n\n`;
  yield 'data: [DONE]\n\n';
}
