/**
 * POST /v1/responses: the Responses API, answered from the same deterministic plan as chat completions (the
 * request's input items and instructions are the prompt; function tools are called with schema-valid
 * arguments), as a Response object or as the typed event stream (response.created … response.completed).
 * Enough of the API for the gateway's pass-through to OpenAI-style upstreams; it stores nothing.
 */
import { planChat, type ChatPlan } from './chat.js';
import { MockHttpError } from './errors.js';
import type { Json } from './validate.js';

type Item = { type?: string; role?: string; content?: unknown; output?: unknown; arguments?: unknown };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join(' ');
}

/** The Responses request as the chat request the plan understands. */
function asChat(body: Json): Json {
  const input = body.input;
  if (input === undefined) throw new MockHttpError(400, "Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const items: Item[] = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? (input as Item[]) : [];
  const messages = items.map((it) => ({ role: it.role === 'assistant' ? 'assistant' : 'user', content: textOf(it.content ?? it.output ?? it.arguments) }));
  if (typeof body.instructions === 'string') messages.unshift({ role: 'system', content: body.instructions });
  if (messages.length === 0) throw new MockHttpError(400, "'input' must not be empty", 'input', 'invalid_value');
  const tools = Array.isArray(body.tools)
    ? (body.tools as Array<{ type?: string; name?: string; parameters?: unknown }>).filter((t) => t.type === 'function').map((t) => ({ type: 'function', function: { name: t.name, parameters: t.parameters } }))
    : undefined;
  const tc = body.tool_choice as { type?: string; name?: string } | string | undefined;
  const toolChoice = typeof tc === 'object' && tc?.type === 'function' ? { type: 'function', function: { name: tc.name } } : tc;
  return { model: body.model, messages, ...(tools?.length ? { tools } : {}), ...(toolChoice ? { tool_choice: toolChoice } : {}), ...(typeof body.max_output_tokens === 'number' ? { max_tokens: body.max_output_tokens } : {}) } as unknown as Json;
}

export interface ResponsesPlan {
  chat: ChatPlan;
  id: string;
  body: Json;
}

export function planResponses(body: Json, forcedLength: number | undefined): ResponsesPlan {
  const chat = planChat(asChat(body), forcedLength);
  return { chat, id: 'resp_mock' + chat.id.slice('chatcmpl-mock'.length), body };
}

function responseObject(p: ResponsesPlan, status: string, output: object[], withUsage: boolean): object {
  const u = p.chat.usage;
  return {
    id: p.id,
    object: 'response',
    created_at: p.chat.created,
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: p.body.instructions ?? null,
    max_output_tokens: p.body.max_output_tokens ?? null,
    model: p.chat.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: p.body.previous_response_id ?? null,
    store: p.body.store !== false,
    text: { format: { type: 'text' } },
    tool_choice: p.body.tool_choice ?? 'auto',
    tools: p.body.tools ?? [],
    usage: withUsage
      ? { input_tokens: u.prompt_tokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: u.completion_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: u.total_tokens }
      : null,
    metadata: {},
  };
}

function finalStatus(p: ResponsesPlan): string {
  return p.chat.choices[0]!.finish === 'length' ? 'incomplete' : 'completed';
}

function outputItems(p: ResponsesPlan): object[] {
  const c = p.chat.choices[0]!;
  if (c.tool) return [{ type: 'function_call', id: 'fc_' + c.tool.id.slice(5), status: 'completed', call_id: c.tool.id, name: c.tool.name, arguments: c.tool.arguments }];
  return [{ type: 'message', id: 'msg_' + p.id.slice(5), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: c.tokens.join(''), annotations: [] }] }];
}

export function responsesJson(p: ResponsesPlan): string {
  return JSON.stringify(responseObject(p, finalStatus(p), outputItems(p), true));
}

/** The typed event stream, one `event: …\ndata: …\n\n` string per event. */
export function* responsesEvents(p: ResponsesPlan): Generator<string> {
  let seq = 0;
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  yield ev('response.created', { response: responseObject(p, 'in_progress', [], false) });
  yield ev('response.in_progress', { response: responseObject(p, 'in_progress', [], false) });
  const c = p.chat.choices[0]!;
  const [item] = outputItems(p) as Array<{ id: string }>;
  if (c.tool) {
    yield ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
    for (const piece of c.tool.pieces) yield ev('response.function_call_arguments.delta', { item_id: item!.id, output_index: 0, delta: piece });
    yield ev('response.function_call_arguments.done', { item_id: item!.id, output_index: 0, arguments: c.tool.arguments });
  } else {
    yield ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    yield ev('response.content_part.added', { item_id: item!.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const t of c.tokens) yield ev('response.output_text.delta', { item_id: item!.id, output_index: 0, content_index: 0, delta: t, logprobs: [] });
    const text = c.tokens.join('');
    yield ev('response.output_text.done', { item_id: item!.id, output_index: 0, content_index: 0, text, logprobs: [] });
    yield ev('response.content_part.done', { item_id: item!.id, output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
  }
  yield ev('response.output_item.done', { output_index: 0, item });
  const status = finalStatus(p);
  yield ev(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseObject(p, status, outputItems(p), true) });
}
