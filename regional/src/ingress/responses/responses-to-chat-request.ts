/**
 * Ingress: a Responses API request (POST /v1/responses) → the canonical OpenAI chat request. Input items
 * become messages (function calls and their outputs become tool_calls and tool messages), `instructions` a
 * leading system message, function tools chat tools, `text.format` response_format, `reasoning.effort`
 * reasoning_effort, `max_output_tokens` max_completion_tokens. The conversation of a previous response (when
 * `previous_response_id` is given) comes first, as `history`.
 */
import { InvalidRequest, MissingParameter } from '../../errors/catalogue.js';
import type { OAIChatRequest, OAIContentPart, OAIMessage, OAITool, OAIToolChoice } from '../../providers/common/openai-wire.js';
import type { ResponsesFunctionCallItem, ResponsesInputContent, ResponsesInputItem, ResponsesMessageItem, ResponsesRequest } from './responses-wire.js';

/** The canonical request, with the fields a chat request has no room for. */
export type CanonicalChat = OAIChatRequest & { reasoning_effort?: string };

/** `input` as a list of items (a string is one user message). */
export function inputItems(input: ResponsesRequest['input']): ResponsesInputItem[] {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input)) throw new InvalidRequest("'input' must be a string or an array of input items", 'input');
  return input;
}

function textOfParts(content: ResponsesMessageItem['content']): string {
  if (typeof content === 'string') return content;
  return content.map((p) => (typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : typeof (p as { refusal?: unknown }).refusal === 'string' ? (p as { refusal: string }).refusal : '')).join('');
}

function userParts(content: ResponsesInputContent[], param: string): OAIContentPart[] {
  return content.map((p, i) => {
    if (p.type === 'input_text' || p.type === 'output_text') return { type: 'text', text: String((p as { text: unknown }).text ?? '') };
    if (p.type === 'input_image') {
      const url = (p as { image_url?: unknown }).image_url;
      if (typeof url !== 'string') throw new InvalidRequest('input_image needs an image_url (file_id is not supported by this model)', `${param}.content[${i}]`);
      const detail = (p as { detail?: unknown }).detail;
      return { type: 'image_url', image_url: { url, ...(typeof detail === 'string' ? { detail } : {}) } };
    }
    throw new InvalidRequest(`content type '${p.type}' is not supported by this model`, `${param}.content[${i}]`);
  });
}

function functionOutput(output: ResponsesInputItem & { output?: unknown }): string {
  const o = output.output;
  if (typeof o === 'string') return o;
  if (Array.isArray(o)) return o.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('');
  return JSON.stringify(o ?? '');
}

/** Items → chat messages. Consecutive function calls join one assistant turn, as chat expects. */
export function itemsToMessages(items: ResponsesInputItem[], param = 'input'): OAIMessage[] {
  const out: OAIMessage[] = [];
  items.forEach((item, i) => {
    const p = `${param}[${i}]`;
    const type = (item as { type?: string }).type ?? 'message';
    if (type === 'message') {
      const m = item as ResponsesMessageItem;
      if (m.content === undefined || m.content === null) throw new MissingParameter(`${p}.content`);
      if (m.role === 'system' || m.role === 'developer') out.push({ role: m.role, content: textOfParts(m.content) });
      else if (m.role === 'assistant') out.push({ role: 'assistant', content: textOfParts(m.content) });
      else if (m.role === 'user') out.push({ role: 'user', content: typeof m.content === 'string' ? m.content : userParts(m.content, p) });
      else throw new InvalidRequest(`unsupported role '${String(m.role)}'`, `${p}.role`);
    } else if (type === 'function_call') {
      const c = item as ResponsesFunctionCallItem;
      if (!c.call_id || !c.name) throw new InvalidRequest('function_call items need call_id and name', p);
      const call = { id: c.call_id, type: 'function' as const, function: { name: c.name, arguments: c.arguments ?? '' } };
      const last = out[out.length - 1];
      if (last?.role === 'assistant' && (last.tool_calls || !last.content)) (last.tool_calls ??= []).push(call);
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      const callId = (item as { call_id?: unknown }).call_id;
      if (typeof callId !== 'string') throw new MissingParameter(`${p}.call_id`);
      out.push({ role: 'tool', tool_call_id: callId, content: functionOutput(item) });
    } else if (type === 'reasoning') {
      // The model's own reasoning: other providers cannot take it back.
    } else {
      throw new InvalidRequest(`input item type '${type}' is not supported by this model`, `${p}.type`);
    }
  });
  return out;
}

function tools(req: ResponsesRequest): OAITool[] | undefined {
  if (!req.tools?.length) return undefined;
  return req.tools.map((t, i) => {
    if (t.type !== 'function') throw new InvalidRequest(`tool type '${t.type}' is not supported by this model (function tools only)`, `tools[${i}].type`);
    const f = t as { name?: unknown; description?: unknown; parameters?: unknown; strict?: unknown };
    if (typeof f.name !== 'string' || !f.name) throw new MissingParameter(`tools[${i}].name`);
    return {
      type: 'function',
      function: {
        name: f.name,
        ...(typeof f.description === 'string' ? { description: f.description } : {}),
        ...(f.parameters && typeof f.parameters === 'object' ? { parameters: f.parameters as Record<string, unknown> } : {}),
        ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}),
      },
    };
  });
}

function toolChoice(tc: ResponsesRequest['tool_choice']): OAIToolChoice | undefined {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return tc;
  if (typeof tc === 'object' && tc.type === 'function' && typeof tc.name === 'string') return { type: 'function', function: { name: tc.name } };
  throw new InvalidRequest('unsupported tool_choice (auto, none, required or a function)', 'tool_choice');
}

/** Translate; `history` is the stored conversation `previous_response_id` points at. */
export function responsesToChatRequest(req: ResponsesRequest, history: ResponsesInputItem[] = []): CanonicalChat {
  if (typeof req.model !== 'string' || !req.model) throw new MissingParameter('model');
  const messages: OAIMessage[] = [];
  // Instructions of a previous response do not carry over (as OpenAI documents): only this request's apply.
  if (typeof req.instructions === 'string' && req.instructions) messages.push({ role: 'system', content: req.instructions });
  messages.push(...itemsToMessages(history, 'previous_response'), ...itemsToMessages(inputItems(req.input)));
  if (!messages.some((m) => m.role !== 'system' && m.role !== 'developer')) throw new MissingParameter('input');

  const out: CanonicalChat = { model: req.model, messages };
  if (typeof req.max_output_tokens === 'number') out.max_completion_tokens = req.max_output_tokens;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (typeof req.user === 'string') out.user = req.user;
  const t = tools(req);
  if (t) out.tools = t;
  const choice = toolChoice(req.tool_choice);
  if (choice && t) out.tool_choice = choice;
  if (typeof req.parallel_tool_calls === 'boolean' && t) out.parallel_tool_calls = req.parallel_tool_calls;
  const format = req.text?.format;
  if (format?.type === 'json_object') out.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    if (!format.schema || typeof format.schema !== 'object') throw new MissingParameter('text.format.schema');
    out.response_format = { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}) } as { name: string; schema: Record<string, unknown> } };
  }
  if (typeof req.reasoning?.effort === 'string') out.reasoning_effort = req.reasoning.effort;
  if (req.stream) {
    out.stream = true;
    // The Responses stream ends with the usage (response.completed): the canonical stream must carry it.
    out.stream_options = { include_usage: true };
  }
  return out;
}
