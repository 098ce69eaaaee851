/**
 * OpenAI's rules for a Responses API request (POST /v1/responses), checked before the request is translated
 * or passed through: the shapes the translator relies on (input items, content parts, tools, text.format) and
 * the ranges of the sampling parameters. Errors name the Responses path (`input[2].content[0].type`).
 */
import { TOOL_NAME, MAX_TOOLS } from './chat-tools.js';
import { arr, badValue, isObject, matching, obj, oneOf, optBool, optInt, optNumber, optObj, optStr, required, str, wrongType, type Json } from './checks.js';

const ROLES = ['user', 'assistant', 'system', 'developer'] as const;
const FORMATS = ['text', 'json_object', 'json_schema'] as const;
const NAME_SHOWN = '^[a-zA-Z0-9_-]{1,64}$';

function contentParts(list: unknown[], param: string): void {
  list.forEach((part, i) => {
    const p = `${param}[${i}]`;
    const o = obj(part, p);
    const type = str(required(o, 'type', `${p}.type`), `${p}.type`);
    if ((type === 'input_text' || type === 'output_text') && typeof o.text !== 'string') throw wrongType(`${p}.text`, 'a string', o.text);
    if (type === 'input_image') optStr(o, 'image_url', `${p}.image_url`);
    if (type === 'refusal') optStr(o, 'refusal', `${p}.refusal`);
  });
}

function inputItem(item: unknown, p: string): void {
  const o = obj(item, p);
  const type = optStr(o, 'type', `${p}.type`) ?? 'message';
  if (type === 'message') {
    oneOf(required(o, 'role', `${p}.role`), `${p}.role`, ROLES);
    const content = required(o, 'content', `${p}.content`);
    if (typeof content !== 'string') contentParts(arr(content, `${p}.content`), `${p}.content`);
  } else if (type === 'function_call') {
    str(required(o, 'call_id', `${p}.call_id`), `${p}.call_id`);
    str(required(o, 'name', `${p}.name`), `${p}.name`);
    optStr(o, 'arguments', `${p}.arguments`);
  } else if (type === 'function_call_output') {
    str(required(o, 'call_id', `${p}.call_id`), `${p}.call_id`);
    const out = required(o, 'output', `${p}.output`);
    if (typeof out !== 'string') contentParts(arr(out, `${p}.output`), `${p}.output`);
  }
}

function tools(body: Json): void {
  if (body.tools === undefined || body.tools === null) return;
  arr(body.tools, 'tools', 0, MAX_TOOLS).forEach((tool, i) => {
    const p = `tools[${i}]`;
    const t = obj(tool, p);
    const type = str(required(t, 'type', `${p}.type`), `${p}.type`);
    if (type !== 'function') return; // built-in tools: the provider decides
    matching(required(t, 'name', `${p}.name`), `${p}.name`, TOOL_NAME, NAME_SHOWN);
    optStr(t, 'description', `${p}.description`);
    optObj(t, 'parameters', `${p}.parameters`);
    optBool(t, 'strict', `${p}.strict`);
  });
}

function toolChoice(body: Json): void {
  const v = body.tool_choice;
  if (v === undefined || v === null) return;
  if (typeof v === 'string') {
    oneOf(v, 'tool_choice', ['none', 'auto', 'required']);
    return;
  }
  const o = obj(v, 'tool_choice');
  const type = str(required(o, 'type', 'tool_choice.type'), 'tool_choice.type');
  if (type === 'function') str(required(o, 'name', 'tool_choice.name'), 'tool_choice.name');
}

function textFormat(body: Json): void {
  const text = optObj(body, 'text');
  const format = text && optObj(text, 'format', 'text.format');
  if (!format) return;
  const type = oneOf(required(format, 'type', 'text.format.type'), 'text.format.type', FORMATS);
  if (type === 'json_schema') {
    matching(required(format, 'name', 'text.format.name'), 'text.format.name', TOOL_NAME, NAME_SHOWN);
    optObj(format, 'schema', 'text.format.schema');
    optBool(format, 'strict', 'text.format.strict');
  }
}

/** Throws a catalogue 400 naming the first offending path. `model` is checked by the caller. */
export function validateResponsesRequest(body: Json): void {
  const input = body.input;
  if (input !== undefined && input !== null && typeof input !== 'string') {
    arr(input, 'input').forEach((item, i) => inputItem(item, `input[${i}]`));
  }
  optStr(body, 'instructions');
  tools(body);
  toolChoice(body);
  textFormat(body);
  const reasoning = optObj(body, 'reasoning');
  if (reasoning) optStr(reasoning, 'effort', 'reasoning.effort');
  optInt(body, 'max_output_tokens', 1);
  optNumber(body, 'temperature', 0, 2);
  optNumber(body, 'top_p', 0, 1);
  optBool(body, 'stream');
  optBool(body, 'store');
  optBool(body, 'parallel_tool_calls');
  optStr(body, 'previous_response_id');
  optStr(body, 'user');
  const metadata = optObj(body, 'metadata');
  if (metadata) for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw wrongType(`metadata.${k}`, 'a string', v);
  if (isObject(body.stream_options) && body.stream !== true) throw badValue('stream_options', 'stream_options is only allowed when stream is true.');
}
